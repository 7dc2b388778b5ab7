import { createMemoryKeyStore } from '@palisade/core';
import { keyStoreConformance } from './key-store-suite.js';

keyStoreConformance({ name: 'memory', open: () => Promise.resolve({ store: createMemoryKeyStore() }) });
