export { Kek } from './kek.js';
export { ENVELOPE_KEY, ERASED, Envelope, asEnvelope } from './envelope.js';
export { createDataKeys, type DataKeys, type DataKeysOptions, type KeyEvent } from './data-keys.js';
export {
  TENANT_KEY_REF,
  createEncryption,
  type Encryption,
  type EncryptionOptions,
  type PersonalDataRule,
} from './service.js';
export { encryptionFromConfig, parseRules } from './from-config.js';
