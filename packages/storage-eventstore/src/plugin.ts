import type { StoragePlugin } from '@palisade/core';
import { createEventStoreStorage } from './eventstore-storage.js';
import { EventStoreConfig, fromConfig } from './options.js';

/** `storage: { kind: eventstore, connection_string: '${secret:ESDB_URL}' }` */
export const storagePlugin: StoragePlugin<EventStoreConfig> = {
  kind: 'eventstore',
  options: EventStoreConfig,
  create: (options) => createEventStoreStorage(fromConfig(options)),
};
