import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { configInvalid, type ConfigInvalid, type Secret } from '@palisade/core';

/** The key that signs checkpoints and export seals. */
export interface AuditSigner {
  readonly keyId: string;
  sign(statement: string): string;
  /** The public key, SPKI PEM, for verifiers. */
  readonly publicKeyPem: string;
}

/** A public key verifiers trust, by key id. */
export interface TrustedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/**
 * Loads an Ed25519 signer from a PKCS#8 PEM private key. `source` names where
 * it came from for errors (`audit.signing.key`); the key never appears in one.
 */
export const loadSigner = (
  keyId: string,
  privateKeyPem: string | Secret,
  source = 'audit.signing.key',
): E.Either<ConfigInvalid, AuditSigner> => {
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof privateKeyPem === 'string' ? privateKeyPem : privateKeyPem.reveal());
  } catch {
    return E.left(configInvalid('config', [{ path: source, message: 'is not a PEM private key' }]));
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    return E.left(configInvalid('config', [{ path: source, message: 'must be an Ed25519 key' }]));
  }
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return E.right({
    keyId,
    publicKeyPem,
    sign: (statement) => sign(null, Buffer.from(statement, 'utf8'), key).toString('base64url'),
  });
};

/** Parses an SPKI PEM public key; Left says why (not the key). */
export const loadPublicKey = (keyId: string, pem: string): E.Either<string, TrustedKey> => {
  try {
    const publicKey = createPublicKey(pem);
    if (publicKey.asymmetricKeyType !== 'ed25519') return E.left('is not an Ed25519 public key');
    return E.right({ keyId, publicKey });
  } catch {
    return E.left('is not a PEM public key');
  }
};

export const verifySignature = (key: TrustedKey, statement: string, signature: string): boolean => {
  try {
    return verify(null, Buffer.from(statement, 'utf8'), key.publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
};
