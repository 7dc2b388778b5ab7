import { createMemoryStorage } from '@palisade/core';
import { eventStoreConformance } from './suite.js';

// The reference adapter runs the suite here, so the suite itself is tested on every change.
eventStoreConformance({
  name: 'memory',
  open: () => Promise.resolve({ adapter: createMemoryStorage() }),
});
