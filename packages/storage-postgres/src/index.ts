export { createPostgresStorage, DEFAULT_SCHEMA, type PostgresStorageOptions } from './postgres-storage.js';
export { storagePlugin, type PostgresConfig } from './plugin.js';
export { migrate, SCHEMA_VERSION, type MigrationOutcome } from './schema.js';
export { createPostgresKeyStore, type PostgresKeyStoreOptions } from './key-store.js';
