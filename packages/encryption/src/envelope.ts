import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as t from 'io-ts';
import type { JsonObject, JsonValue } from '@palisade/core';

/*
 * An encrypted value, stored where the plain value was:
 *   { "$enc": { v: 1, k: keyRef, s: stream, e: eventId, p: path, iv, ct, tag } }
 * AES-256-GCM; the additional authenticated data (AAD) is the tenant, the
 * stream, the event id, the field's path and the key ref. All of these are
 * known before the write (the version is not: it is assigned by storage inside
 * the append, so it cannot be bound), and together they pin the ciphertext to
 * one field of one event of one tenant: copied anywhere else, it fails to decrypt.
 */

export const ENVELOPE_KEY = '$enc';
/** The shape a read returns for a field whose key is destroyed (frozen: compare with it, never hand it out). */
export const ERASED: JsonObject = Object.freeze({ $erased: true });
/** What a read returns for a field whose key is destroyed: a new object each time, so no caller can change another's. */
export const erased = (): JsonObject => ({ $erased: true });

const B64 = t.refinement(t.string, (s) => /^[A-Za-z0-9_-]*$/.test(s), 'Base64Url');

export const Envelope = t.exact(
  t.type({ v: t.literal(1), k: t.string, s: t.string, e: t.string, p: t.string, iv: B64, ct: B64, tag: B64 }),
  'Envelope',
);
export type Envelope = t.TypeOf<typeof Envelope>;

export interface Binding {
  readonly tenant: string;
  readonly stream: string;
  readonly eventId: string;
  readonly path: string;
}

const aad = (tenant: string, e: Omit<Envelope, 'iv' | 'ct' | 'tag' | 'v'>): Buffer =>
  Buffer.from(JSON.stringify(['palisade-enc/1', tenant, e.s, e.e, e.p, e.k]), 'utf8');

// IVs come from a pool of random bytes filled 4,096 IVs at a time: one call to the CSPRNG per 4,096 seals instead
// of one per seal (it was the largest single cost of sealing). Each IV is still 96 fresh random bits, used once.
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
const nextIv = (): Buffer => {
  if (ivOffset + 12 > ivPool.length) {
    ivPool = randomBytes(12 * 4096);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + 12);
  ivOffset += 12;
  return iv;
};

export const seal = (key: Buffer, keyRef: string, at: Binding, value: JsonValue): JsonObject => {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const header = { k: keyRef, s: at.stream, e: at.eventId, p: at.path };
  cipher.setAAD(aad(at.tenant, header));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  const envelope: Envelope = {
    v: 1,
    ...header,
    iv: iv.toString('base64url'),
    ct: ct.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  };
  return { [ENVELOPE_KEY]: envelope };
};

/** The plain value, or null when the ciphertext does not authenticate (wrong key, tenant, place or bytes). */
export const open = (key: Buffer, tenant: string, envelope: Envelope): JsonValue | null => {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64url'));
    decipher.setAAD(aad(tenant, envelope));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JsonValue;
  } catch {
    return null;
  }
};

/** The envelope in `value` when it is one (`{ "$enc": {...} }` and nothing else). */
export const asEnvelope = (value: JsonValue): Envelope | null => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== ENVELOPE_KEY) return null;
  const decoded = Envelope.decode(value[ENVELOPE_KEY]);
  return decoded._tag === 'Right' ? decoded.right : null;
};

/** Wraps a data key under the KEK (AES-256-GCM, bound to tenant and ref). */
export const wrapKey = (kek: Buffer, tenant: string, ref: string, dataKey: Buffer): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(`palisade-dek/1\u0000${tenant}\u0000${ref}`, 'utf8'));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
};

export const unwrapKey = (kek: Buffer, tenant: string, ref: string, wrapped: string): Buffer | null => {
  try {
    const bytes = Buffer.from(wrapped, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', kek, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(`palisade-dek/1\u0000${tenant}\u0000${ref}`, 'utf8'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const key = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    return key.length === 32 ? key : null;
  } catch {
    return null;
  }
};
