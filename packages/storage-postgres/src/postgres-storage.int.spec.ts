import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { eventStoreConformance } from '@palisade/storage-testkit';
import { createPostgresStorage } from './postgres-storage.js';
import {
  appUrl,
  dropSchema,
  ensureTestDatabase,
  ownerUrl,
  storedText,
  uniqueSchema,
} from './test-database.spec-helper.js';

const pluginModule = fileURLToPath(new URL('../dist/index.js', import.meta.url));

eventStoreConformance({
  name: 'postgres',
  open: async () => {
    await ensureTestDatabase();
    const schema = uniqueSchema();
    // Four partitions rather than sixteen: the suite opens a fresh schema for every case.
    const adapter = await createPostgresStorage({ url: appUrl, migrationUrl: ownerUrl, schema, partitions: 4 })();
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    return {
      adapter: adapter.right,
      storedText: () => storedText(schema),
      shared: { pluginModule, options: { url: appUrl, migration_url: ownerUrl, schema, partitions: 4 } },
      cleanup: () => dropSchema(schema),
    };
  },
});
