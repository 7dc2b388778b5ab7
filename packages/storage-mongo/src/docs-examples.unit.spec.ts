import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { storagePlugin } from './plugin.js';

// The README's config example, loaded through the real config loader and decoded by this plugin's own codec.
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the documented mongo config example', () => {
  afterEach(() => {
    delete process.env.PALISADE_SECRET_MONGO_URL;
  });

  it('loads as written, takes the url from a secret, and decodes as the plugin options', async () => {
    const example = (await readDocExamples(readme)).get('readme-mongo');
    if (example === undefined) throw new Error('README.md has no example readme-mongo');
    process.env.PALISADE_SECRET_MONGO_URL = 'mongodb://palisade:documented@db.internal:27017/?replicaSet=rs0';
    const loaded = await loadDocExample(example, { plugins: [envSecretsPlugin] });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    try {
      const { kind, ...options } = loaded.right.config.storage as Record<string, unknown>;
      expect(kind).toBe(storagePlugin.kind);
      expect(storagePlugin.options.decode(options)).toEqual(
        E.right({
          url: 'mongodb://palisade:documented@db.internal:27017/?replicaSet=rs0',
          database: 'palisade',
          collection_prefix: 'palisade_',
          change_streams: true,
          server_selection_timeout_ms: 10000,
          max_append_attempts: 100,
        }),
      );
    } finally {
      await loaded.right.close();
    }
  });
});
