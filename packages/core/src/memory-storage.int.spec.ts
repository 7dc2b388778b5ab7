import { eventStoreConformance } from '@palisade/storage-testkit';
import { createMemoryStorage } from './memory-storage.js';

eventStoreConformance({
  name: 'memory',
  open: () => Promise.resolve({ adapter: createMemoryStorage() }),
});
