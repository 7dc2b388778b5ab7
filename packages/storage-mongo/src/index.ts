export { createMongoStorage } from './mongo-storage.js';
export { DEFAULT_COLLECTION_PREFIX, DEFAULT_DATABASE, type MongoStorageOptions } from './options.js';
export { storagePlugin } from './plugin.js';
export type { MongoConfig } from './options.js';
