import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { documentedStorageOptions } from '@palisade/storage-testkit';
import { describe, expect, it } from 'vitest';
import { storagePlugin } from './plugin.js';

// The README's config example, loaded through the real config loader and decoded by this plugin's own codec.
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the documented eventstore config example', () => {
  it('loads as written, takes the connection_string from a secret, and decodes as the plugin options', async () => {
    const connectionString = 'esdb://palisade:documented@esdb.internal:2113?tls=true';
    const { kind, options } = await documentedStorageOptions(readme, 'readme-eventstore', storagePlugin, {
      plugins: [envSecretsPlugin],
      env: { PALISADE_SECRET_EVENTSTORE_URL: connectionString },
    });
    expect(kind).toBe(storagePlugin.kind);
    expect(options).toEqual(
      E.right({
        connection_string: connectionString,
        namespace: 'prod',
        max_append_attempts: 100,
        read_batch_size: 500,
        live_subscriptions: true,
      }),
    );
  });
});
