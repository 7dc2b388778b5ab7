import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractVault } from './contract/vault-contract-server.js';
import { vaultSecretsPlugin } from './index.js';

// The examples in docs/secrets.md and this package's README, loaded through the real config loader.
// Those that point at ${VAULT_ADDR} resolve their references against the contract server.
const example = async (file: string, id: string): Promise<string> => {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const found = (await readDocExamples(path)).get(id);
  if (found === undefined) throw new Error(`${path} has no example '${id}'`);
  return found;
};
const docs = '../../../docs/secrets.md';
const plugins = [vaultSecretsPlugin];

describe('documented vault examples load as written', () => {
  let vault: ContractVault;
  let dir = '';
  beforeAll(async () => {
    vault = await new ContractVault().start();
    vault.put('db/creds', { username: 'app', password: 'documented-vault-password' });
    vault.addAppRole('documented-role', 'documented-secret-id', { ttlSeconds: 600, maxTtlSeconds: 3600 });
    dir = await mkdtemp(join(tmpdir(), 'palisade-doc-vault-'));
  });
  afterAll(async () => {
    await vault.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('vault-token: reads db/creds#password with a static token', async () => {
    const loaded = await loadDocExample(await example(docs, 'vault-token'), {
      plugins,
      env: { VAULT_ADDR: vault.url, VAULT_TOKEN: vault.rootToken },
    });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect((loaded.right.config.storage as Record<string, unknown>)['password']).toBe('documented-vault-password');
    expect(loaded.right.bindings).toEqual([
      expect.objectContaining({ path: 'storage.password', backend: 'vault', version: '1' }),
    ]);
    await loaded.right.close();
  });

  it('readme-vault: AppRole login from ${ENV} credentials, then the read', async () => {
    const loginsBefore = vault.stats.logins;
    const loaded = await loadDocExample(await example('../README.md', 'readme-vault'), {
      plugins,
      env: { VAULT_ADDR: vault.url, VAULT_ROLE_ID: 'documented-role', VAULT_SECRET_ID: 'documented-secret-id' },
    });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect((loaded.right.config.storage as Record<string, unknown>)['password']).toBe('documented-vault-password');
    expect(vault.stats.logins).toBe(loginsBefore + 1);
    await loaded.right.close();
  });

  it('vault-approle (every option) and vault-kubernetes decode and build; an unset variable is named', async () => {
    const approle = await example(docs, 'vault-approle');
    const loaded = await loadDocExample(approle, {
      plugins,
      env: { VAULT_ROLE_ID: 'role', VAULT_SECRET_ID: 'secret-id' },
    });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    await loaded.right.close();
    const missing = await loadDocExample(approle, { plugins, env: { VAULT_ROLE_ID: 'role' } });
    expect(E.isLeft(missing) && missing.left.issues).toEqual([
      { path: 'secrets.backends.0.auth.secret_id', message: expect.stringContaining('VAULT_SECRET_ID') as unknown },
    ]);

    const k8s = await loadDocExample(await example(docs, 'vault-kubernetes'), { plugins, env: {} });
    if (E.isLeft(k8s)) throw new Error(k8s.left.message);
    await k8s.right.close();
  });

  it('vault-kubernetes logs in with the service account token file it names', async () => {
    const jwtPath = join(dir, 'token');
    await writeFile(jwtPath, 'eyJ.documented.jwt\n', { mode: 0o600 });
    vault.addKubernetesRole('palisade', 'eyJ.documented.jwt', { ttlSeconds: 600, maxTtlSeconds: 3600 });
    const text = (await example(docs, 'vault-kubernetes'))
      .replace('https://vault.internal:8200', vault.url)
      .replace('/var/run/secrets/kubernetes.io/serviceaccount/token', jwtPath);
    const loaded = await loadDocExample(
      `${text}storage:\n  kind: postgres\n  password: \${secret:db/creds#password}\n`,
      {
        plugins,
        env: {},
      },
    );
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect((loaded.right.config.storage as Record<string, unknown>)['password']).toBe('documented-vault-password');
    await loaded.right.close();
  });
});
