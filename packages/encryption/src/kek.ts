import { createHmac, hkdfSync } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { configInvalid, type ConfigInvalid, type Secret } from '@palisade/core';

/**
 * The key-encryption key (KEK): 32 bytes from config or a secret backend. It
 * wraps every data key and never leaves this process; the key store only ever
 * holds wrapped keys. It lives in a private field so that logging or
 * serialising the object cannot reach it.
 */
export class Kek {
  readonly #key: Buffer;
  readonly #refKey: Buffer;

  private constructor(
    readonly id: string,
    key: Buffer,
  ) {
    this.#key = key;
    // A separate key, derived once, names subjects' keys: a ref reveals nothing about the subject id.
    this.#refKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'palisade subject key ref v1', 32));
  }

  /** Parses 32 bytes given as base64 or base64url; `path` names the config key in errors. */
  static parse(id: string, value: string | Secret, path = 'encryption.kek'): E.Either<ConfigInvalid, Kek> {
    const text = (typeof value === 'string' ? value : value.reveal()).trim();
    const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) {
      return E.left(configInvalid('config', [{ path, message: 'must be 32 bytes in base64 or base64url' }]));
    }
    return E.right(new Kek(id, bytes));
  }

  /** For the cipher calls in this package only. */
  material(): Buffer {
    return this.#key;
  }

  /** The key ref of a subject's data key: `s:` and an HMAC of tenant and subject id. */
  subjectRef(tenant: string, subject: string): string {
    return `s:${createHmac('sha256', this.#refKey).update(`${tenant}\u0000${subject}`, 'utf8').digest('base64url')}`;
  }

  toJSON(): string {
    return `[kek ${this.id}]`;
  }

  toString(): string {
    return `[kek ${this.id}]`;
  }
}
