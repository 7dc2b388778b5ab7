export { createEventStoreStorage } from './eventstore-storage.js';
export type { EventStoreStorageOptions, EventStoreConfig } from './options.js';
export { storagePlugin } from './plugin.js';
export {
  decodeStreamName,
  encodeStreamName,
  streamNames,
  type StreamNames,
  type TenantStream,
} from './stream-names.js';
export {
  applyTenantRetention,
  retentionMetadata,
  tenantRetention,
  type RetentionMetadata,
  type RetentionPolicy,
} from './retention.js';
