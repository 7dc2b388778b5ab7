export { eventStoreConformance } from './suite.js';
export type { ConformanceTarget, OpenedStorage } from './target.js';
export { collect, fails, ok, openStore, reopenShared, tenantId, waitFor, type Opened } from './harness.js';
export {
  secretBackendConformance,
  expectNoValueIn,
  capturePrinted,
  type SecretBackendHarness,
} from './secrets-suite.js';
export {
  readDocExamples,
  loadDocExample,
  documentedStorageOptions,
  DocsExampleConfig,
  type DocsExample,
} from './doc-examples.js';
export { keyStoreConformance, type KeyStoreTarget } from './key-store-suite.js';
