import type { StoragePlugin } from '@palisade/core';
import { createMongoStorage } from './mongo-storage.js';
import { MongoConfig, fromConfig } from './options.js';

/** `storage: { kind: mongo, url: '${secret:MONGO_URL}', database: palisade }` */
export const storagePlugin: StoragePlugin<MongoConfig> = {
  kind: 'mongo',
  options: MongoConfig,
  create: (options) => createMongoStorage(fromConfig(options)),
};
