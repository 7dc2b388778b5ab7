import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { storagePlugin } from './plugin.js';

// The README's config example, loaded through the real config loader and decoded by this plugin's own codec.
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the documented eventstore config example', () => {
  afterEach(() => {
    delete process.env.PALISADE_SECRET_EVENTSTORE_URL;
  });

  it('loads as written, takes the connection_string from a secret, and decodes as the plugin options', async () => {
    const example = (await readDocExamples(readme)).get('readme-eventstore');
    if (example === undefined) throw new Error('README.md has no example readme-eventstore');
    process.env.PALISADE_SECRET_EVENTSTORE_URL = 'esdb://palisade:documented@esdb.internal:2113?tls=true';
    const loaded = await loadDocExample(example, { plugins: [envSecretsPlugin] });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    try {
      const { kind, ...options } = loaded.right.config.storage as Record<string, unknown>;
      expect(kind).toBe(storagePlugin.kind);
      expect(storagePlugin.options.decode(options)).toEqual(
        E.right({
          connection_string: 'esdb://palisade:documented@esdb.internal:2113?tls=true',
          namespace: 'prod',
          max_append_attempts: 100,
          read_batch_size: 500,
          live_subscriptions: true,
        }),
      );
    } finally {
      await loaded.right.close();
    }
  });
});
