import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { envSecretsPlugin } from './index.js';

// The examples in docs/secrets.md and this package's README, loaded through the real config loader.
const docs = fileURLToPath(new URL('../../../docs/secrets.md', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('documented env examples load as written', () => {
  const set: string[] = [];
  const setEnv = (name: string, value: string): void => {
    process.env[name] = value;
    set.push(name);
  };
  afterEach(() => set.splice(0).forEach((n) => delete process.env[n]));

  for (const [file, id] of [
    [docs, 'env'],
    [readme, 'readme-env'],
  ] as const) {
    it(`${id} resolves db/password from PALISADE_SECRET_DB_PASSWORD`, async () => {
      const example = (await readDocExamples(file)).get(id);
      if (example === undefined) throw new Error(`${file} has no example '${id}'`);
      setEnv('PALISADE_SECRET_DB_PASSWORD', 'documented-env-password');
      const loaded = await loadDocExample(example, { plugins: [envSecretsPlugin] });
      if (E.isLeft(loaded)) throw new Error(loaded.left.message);
      expect((loaded.right.config.storage as Record<string, unknown>)['password']).toBe('documented-env-password');
      expect(loaded.right.bindings).toEqual([
        expect.objectContaining({ path: 'storage.password', reference: 'db/password', backend: 'env' }),
      ]);
      await loaded.right.close();
    });
  }
});
