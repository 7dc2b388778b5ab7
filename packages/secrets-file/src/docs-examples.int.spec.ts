import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { storagePlugin as postgres } from '@palisade/storage-postgres';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileSecretsPlugin, KubernetesSecretDir } from './index.js';

// The examples in docs/secrets.md, the root README and this package's README, loaded through the real config
// loader against a directory in the Kubernetes secret-volume layout.
const example = async (file: string, id: string): Promise<string> => {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const found = (await readDocExamples(path)).get(id);
  if (found === undefined) throw new Error(`${path} has no example '${id}'`);
  return found;
};
const plugins = [fileSecretsPlugin, envSecretsPlugin];

/** The examples' storage section, decoded by the PostgreSQL adapter's own options codec: the password it will use. */
const postgresPassword = (storage: unknown): string | undefined => {
  const { kind, ...options } = storage as { kind?: unknown };
  expect(kind).toBe('postgres');
  const decoded = postgres.options.decode(options);
  if (E.isLeft(decoded)) throw new Error('the documented storage section is not valid PostgreSQL adapter options');
  return decoded.right.password;
};

describe('documented file examples load as written', () => {
  let root = '';
  let k8s: KubernetesSecretDir;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PALISADE_SECRETS_DIR: k8s.dir });
  const setVars: string[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-doc-file-'));
    k8s = new KubernetesSecretDir(join(root, 'mounted'));
    await k8s.write({
      'db-password': 'documented-file-password',
      'db/password': 'documented-nested-password',
      'redaction/hmac-current': 'hmac-key-from-volume',
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  afterEach(() => setVars.splice(0).forEach((n) => delete process.env[n]));

  it('every example in docs/secrets.md is one that a docs-examples test loads', async () => {
    const path = fileURLToPath(new URL('../../../docs/secrets.md', import.meta.url));
    // env: secrets-env; file, overview: here; vault-*: secrets-vault; aws*: secrets-aws. A new example needs a test.
    expect([...(await readDocExamples(path)).keys()].sort()).toEqual(
      ['aws', 'aws-full', 'env', 'file', 'overview', 'vault-approle', 'vault-kubernetes', 'vault-token'].sort(),
    );
  });

  it('file: every option, db-password read from the mounted volume', async () => {
    const loaded = await loadDocExample(await example('../../../docs/secrets.md', 'file'), { plugins, env: env() });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect(postgresPassword(loaded.right.config.storage)).toBe('documented-file-password');
    expect(loaded.right.bindings.map((b) => b.backend)).toEqual(['k8s']);
    await loaded.right.close();
  });

  for (const [file, id] of [
    ['../../../docs/secrets.md', 'overview'],
    ['../../../README.md', 'readme-secrets'],
  ] as const) {
    it(`${id}: the file backend first, environment variables after it; password and hash keys resolved`, async () => {
      process.env['PALISADE_SECRET_REDACTION_HMAC_PREVIOUS'] = 'hmac-key-from-env';
      process.env['PALISADE_SECRET_DB_PASSWORD'] = 'shadowed-by-the-volume';
      setVars.push('PALISADE_SECRET_REDACTION_HMAC_PREVIOUS', 'PALISADE_SECRET_DB_PASSWORD');
      const loaded = await loadDocExample(await example(file, id), { plugins, env: env() });
      if (E.isLeft(loaded)) throw new Error(loaded.left.message);
      const { config, bindings } = loaded.right;
      expect(postgresPassword(config.storage)).toBe('documented-nested-password');
      expect((config.redaction as { hash_keys?: unknown } | undefined)?.hash_keys).toEqual({
        active: 'current',
        keys: { current: 'hmac-key-from-volume', previous: 'hmac-key-from-env' },
      });
      expect(bindings.map((b) => [b.path, b.backend])).toEqual(
        expect.arrayContaining([
          ['storage.password', 'file'],
          ['redaction.hash_keys.keys.current', 'file'],
          ['redaction.hash_keys.keys.previous', 'env'],
        ]),
      );
      await loaded.right.close();
    });
  }

  it('readme-file: the package README example, and a rotation seen by refresh() after invalidate', async () => {
    const loaded = await loadDocExample(await example('../README.md', 'readme-file'), { plugins, env: env() });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect(postgresPassword(loaded.right.config.storage)).toBe('documented-nested-password');
    await k8s.write({ 'db/password': 'rotated-nested-password' });
    loaded.right.secrets.invalidate('db/password');
    const next = await loaded.right.refresh()();
    if (E.isLeft(next)) throw new Error(next.left.message);
    expect(postgresPassword(next.right.config.storage)).toBe('rotated-nested-password');
    expect(next.right.changed).toEqual(['storage.password']);
    await loaded.right.close();
  });
});
