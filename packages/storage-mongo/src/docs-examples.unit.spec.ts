import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { documentedStorageOptions } from '@palisade/storage-testkit';
import { describe, expect, it } from 'vitest';
import { storagePlugin } from './plugin.js';

// The README's config example, loaded through the real config loader and decoded by this plugin's own codec.
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the documented mongo config example', () => {
  it('loads as written, takes the url from a secret, and decodes as the plugin options', async () => {
    const url = 'mongodb://palisade:documented@db.internal:27017/?replicaSet=rs0';
    const { kind, options } = await documentedStorageOptions(readme, 'readme-mongo', storagePlugin, {
      plugins: [envSecretsPlugin],
      env: { PALISADE_SECRET_MONGO_URL: url },
    });
    expect(kind).toBe(storagePlugin.kind);
    expect(options).toEqual(
      E.right({
        url,
        database: 'palisade',
        collection_prefix: 'palisade_',
        change_streams: true,
        server_selection_timeout_ms: 10000,
        max_append_attempts: 100,
      }),
    );
  });
});
