export { createSqliteStorage, DEFAULT_SQLITE_PATH, type SqliteStorageOptions } from './sqlite-storage.js';
export { storagePlugin, type SqliteConfig } from './plugin.js';
export { createSqliteKeyStore, type SqliteKeyStoreOptions } from './key-store.js';
