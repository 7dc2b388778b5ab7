import { generateKeyPairSync } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { loadPublicKey, loadSigner, type AuditSigner, type TrustedKey } from './signing.js';

/** A fresh Ed25519 signer and the matching trusted key, for tests and benchmarks. */
export const testSigner = (keyId = 'test-key'): { signer: AuditSigner; trusted: TrustedKey; privateKeyPem: string } => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const signer = loadSigner(keyId, privateKeyPem);
  if (E.isLeft(signer)) throw new Error(signer.left.message);
  const trusted = loadPublicKey(keyId, signer.right.publicKeyPem);
  if (E.isLeft(trusted)) throw new Error(trusted.left);
  return { signer: signer.right, trusted: trusted.right, privateKeyPem };
};
