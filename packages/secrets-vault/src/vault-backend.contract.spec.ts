import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { createSecretChain, toIssues } from '@palisade/core';
import { secretBackendConformance, waitFor } from '@palisade/storage-testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContractVault } from './contract/vault-contract-server.js';
import { createVaultSecrets, vaultSecretsPlugin, type VaultSecretBackend } from './index.js';
import { vaultHarness } from './vault-harness.test-helper.js';

// Contract tests: the peer is ContractVault, a loopback server written from Vault's API documentation,
// not Vault itself. The same suite runs against a real Vault in vault-backend.int.spec.ts when one is configured.
let shared: ContractVault;
secretBackendConformance(
  'vault (contract server)',
  vaultHarness({
    setup: async () => {
      shared = await new ContractVault().start();
    },
    teardown: () => shared.stop(),
    address: () => shared.url,
    operatorToken: () => shared.rootToken,
    tokenWithoutRead: () => Promise.resolve(shared.createToken({ ttlSeconds: 600, canRead: false })),
  }),
);

describe('secrets-vault auth, renewal and namespaces (contract server)', () => {
  let clock = 0;
  let vault: ContractVault;
  let dir = '';
  const open: VaultSecretBackend[] = [];
  const backend = (
    o: Omit<Parameters<typeof createVaultSecrets>[0], 'address' | 'now' | 'backgroundRenewal'>,
  ): VaultSecretBackend => {
    const b = createVaultSecrets({ address: vault.url, now: () => clock, backgroundRenewal: false, ...o });
    open.push(b);
    return b;
  };
  const read = async (
    b: VaultSecretBackend,
    name: string,
    extra: { field?: string; version?: string } = {},
  ): Promise<string> => {
    const outcome = await b.lookup({ name, ...extra })();
    if (E.isLeft(outcome)) return `failed:${outcome.left.reason}`;
    return outcome.right._tag === 'Found' ? outcome.right.value.reveal() : 'not-found';
  };

  beforeAll(async () => {
    vault = await new ContractVault(() => clock).start();
    dir = await mkdtemp(join(tmpdir(), 'palisade-vault-'));
  });
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
    await vault.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock = 1_700_000_000_000;
  });

  it('logs in with AppRole once and reads with the token it got', async () => {
    vault.addAppRole('role-a', 'secret-id-a', { ttlSeconds: 600, maxTtlSeconds: 3600 });
    vault.put('app/db', { password: 'approle-read-value' });
    const b = backend({ auth: { method: 'approle', roleId: 'role-a', secretId: 'secret-id-a' } });
    expect(await read(b, 'app/db', { field: 'password' })).toBe('approle-read-value');
    expect(await read(b, 'app/db', { field: 'password' })).toBe('approle-read-value');
    expect(b.authStats.logins).toBe(1);
  });

  it('refuses a wrong AppRole secret id as denied', async () => {
    const b = backend({ auth: { method: 'approle', roleId: 'role-a', secretId: 'wrong-secret-id' } });
    expect(await read(b, 'app/db')).toBe('failed:denied');
  });

  it('logs in with Kubernetes auth using the service account token file', async () => {
    const jwtPath = join(dir, 'token');
    await writeFile(jwtPath, 'eyJ.k8s-service-account.jwt\n', { mode: 0o600 });
    vault.addKubernetesRole('palisade', 'eyJ.k8s-service-account.jwt', { ttlSeconds: 600, maxTtlSeconds: 3600 });
    vault.put('k8s/api', { value: 'kubernetes-read-value' });
    expect(await read(backend({ auth: { method: 'kubernetes', role: 'palisade', jwtPath } }), 'k8s/api')).toBe(
      'kubernetes-read-value',
    );
    expect(await read(backend({ auth: { method: 'kubernetes', role: 'other', jwtPath } }), 'k8s/api')).toBe(
      'failed:denied',
    );
    expect(
      await read(
        backend({ auth: { method: 'kubernetes', role: 'palisade', jwtPath: join(dir, 'absent') } }),
        'k8s/api',
      ),
    ).toBe('failed:misconfigured');
  });

  it('renews a token before it expires, so reads go on past its first TTL', async () => {
    const token = vault.createToken({ ttlSeconds: 60, renewable: true });
    vault.put('renew/me', { value: 'renewed-read-value' });
    const b = backend({ auth: { method: 'token', token } });
    expect(await read(b, 'renew/me')).toBe('renewed-read-value');
    for (let i = 0; i < 4; i++) {
      clock += 45_000; // past two thirds of the 60 s lease each time
      expect(await read(b, 'renew/me')).toBe('renewed-read-value');
    }
    expect(b.authStats.renewals).toBe(4);
  });

  /** A Vault on the real clock for `body`; `renewing(fraction)` is a backend renewing a fresh 6 s token in the background. */
  const withLiveVault = async (
    body: (live: ContractVault, renewing: (renewAfterFraction: number) => VaultSecretBackend) => Promise<void>,
  ): Promise<void> => {
    const live = await new ContractVault().start();
    try {
      await body(live, (renewAfterFraction) => {
        const token = live.createToken({ ttlSeconds: 6, renewable: true });
        const b = createVaultSecrets({ address: live.url, auth: { method: 'token', token }, renewAfterFraction });
        open.push(b);
        return b;
      });
    } finally {
      await live.stop();
    }
  };
  const readValue = async (b: VaultSecretBackend, name: string): Promise<string | undefined> => {
    const outcome = await b.lookup({ name })();
    return E.isRight(outcome) && outcome.right._tag === 'Found' ? outcome.right.value.reveal() : undefined;
  };

  it('background renewal keeps an idle token alive past its TTL (real clock, no lookups in between)', () =>
    withLiveVault(async (live, renewing) => {
      live.put('idle/x', { value: 'idle-read-value' });
      const b = renewing(0.2);
      expect(await readValue(b, 'idle/x')).toBe('idle-read-value');
      const readsBefore = live.stats.reads;
      // Idle for longer than the 6 s TTL: only the timer can have kept the token valid. The wait is a
      // condition with a generous deadline, not a fixed sleep: a busy CI machine delays timers by seconds.
      const idleSince = Date.now();
      await waitFor(() => Date.now() - idleSince > 7_000 && b.authStats.renewals >= 2, 60_000);
      expect(live.stats.reads).toBe(readsBefore);
      expect(live.stats.renewals).toBe(b.authStats.renewals);
      expect(await readValue(b, 'idle/x')).toBe('idle-read-value');
    }));

  it('keeps renewing when a timer fires a little early (many idle backends, real clock)', () =>
    withLiveVault(async (live, renewing) => {
      live.put('many/x', { value: 'many-read-value' });
      // 6 s / 7 = 857.14 ms: a fractional renewal point, which a timer (whole milliseconds) often reaches a
      // fraction of a millisecond early; then there is nothing to renew yet, and the timer must be set again.
      const backends = Array.from({ length: 12 }, () => renewing(1 / 7));
      for (const b of backends) expect(await readValue(b, 'many/x')).toBe('many-read-value');
      await waitFor(() => backends.every((b) => b.authStats.renewals >= 4), 60_000);
      for (const b of backends) expect(await readValue(b, 'many/x')).toBe('many-read-value');
    }));

  it('tries a failed background renewal again before the token expires (real clock)', () =>
    withLiveVault(async (live, renewing) => {
      live.put('retry/x', { value: 'retried-read-value' });
      const b = renewing(0.2);
      expect(await readValue(b, 'retry/x')).toBe('retried-read-value');
      live.failNext(503); // the first background renewal meets a sealed Vault
      const idleSince = Date.now();
      await waitFor(() => Date.now() - idleSince > 7_000 && b.authStats.renewals >= 1, 60_000);
      expect(live.stats.renewals).toBe(b.authStats.renewals);
      expect(await readValue(b, 'retry/x')).toBe('retried-read-value');
    }));

  it('does not retry a refused renewal in the background (a revoked static token)', () =>
    withLiveVault(async (live, renewing) => {
      live.put('refused/x', { value: 'refused-read-value' });
      const b = renewing(0.1);
      expect(await readValue(b, 'refused/x')).toBe('refused-read-value');
      const before = live.namespacesSeen.length;
      live.revokeAllButRoot();
      await waitFor(() => live.namespacesSeen.length > before, 30_000); // the renewal at 0.6 s, refused
      await new Promise((r) => setTimeout(r, 200));
      const attempts = live.namespacesSeen.length;
      await new Promise((r) => setTimeout(r, 2_000));
      // Retries would come every 250 ms to 1.5 s as the token nears its expiry; none comes after a refusal.
      expect(live.namespacesSeen.length).toBe(attempts);
      expect(b.authStats.renewals).toBe(0);
    }));

  it('keeps reading with a still-valid token when renewal and a new login both fail', async () => {
    vault.addAppRole('role-flaky', 'secret-flaky', { ttlSeconds: 60, maxTtlSeconds: 3600 });
    vault.put('flaky/x', { value: 'flaky-read-value' });
    const b = backend({ auth: { method: 'approle', roleId: 'role-flaky', secretId: 'secret-flaky' } });
    expect(await read(b, 'flaky/x')).toBe('flaky-read-value');
    clock += 45_000; // time to renew; the token itself is good until t=60 s
    vault.failNext(503, 503); // the renewal and the login after it
    expect(await read(b, 'flaky/x')).toBe('flaky-read-value');
    expect(b.authStats).toEqual({ logins: 1, renewals: 0 });
    clock += 20_000; // t=65 s: expired, and Vault still failing
    vault.failNext(503, 503);
    expect(await read(b, 'flaky/x')).toBe('failed:unreachable');
    expect(await read(b, 'flaky/x')).toBe('flaky-read-value'); // Vault is back: a fresh login
    expect(b.authStats.logins).toBe(2);
  });

  it('logs in again when renewals are capped by the max TTL, and reads on after it', async () => {
    vault.addAppRole('role-max', 'secret-max', { ttlSeconds: 60, maxTtlSeconds: 100 });
    vault.put('max/ttl', { value: 'max-ttl-read-value' });
    const b = backend({ auth: { method: 'approle', roleId: 'role-max', secretId: 'secret-max' } });
    expect(await read(b, 'max/ttl')).toBe('max-ttl-read-value');
    clock += 45_000; // renewal: lease 55 s, capped at t=100 s
    expect(await read(b, 'max/ttl')).toBe('max-ttl-read-value');
    expect(b.authStats).toEqual({ logins: 1, renewals: 1 });
    clock += 40_000; // t=85 s: renewal comes back with 15 s left: log in again
    expect(await read(b, 'max/ttl')).toBe('max-ttl-read-value');
    expect(b.authStats.logins).toBe(2);
    clock += 30_000; // t=115 s: past the first token's max TTL
    expect(await read(b, 'max/ttl')).toBe('max-ttl-read-value');
  });

  it('fails with denied once a static token that cannot be renewed has expired', async () => {
    const token = vault.createToken({ ttlSeconds: 60, renewable: false });
    vault.put('static/token', { value: 'static-token-value' });
    const b = backend({ auth: { method: 'token', token } });
    expect(await read(b, 'static/token')).toBe('static-token-value');
    clock += 61_000;
    expect(await read(b, 'static/token')).toBe('failed:denied');
  });

  it('logs in again once when a login token is refused (revoked)', async () => {
    vault.addAppRole('role-revoke', 'secret-revoke', { ttlSeconds: 600, maxTtlSeconds: 3600 });
    vault.put('revoke/me', { value: 'after-revoke-value' });
    const b = backend({ auth: { method: 'approle', roleId: 'role-revoke', secretId: 'secret-revoke' } });
    expect(await read(b, 'revoke/me')).toBe('after-revoke-value');
    vault.revokeAllButRoot();
    expect(await read(b, 'revoke/me')).toBe('after-revoke-value');
    expect(b.authStats.logins).toBe(2);
  });

  it('does not log in again on every read that its policy refuses: at most once per 30 s', async () => {
    vault.addAppRole('role-no-read', 'secret-no-read', { ttlSeconds: 600, maxTtlSeconds: 3600, canRead: false });
    vault.put('forbidden/x', { value: 'forbidden-value' });
    const b = backend({ auth: { method: 'approle', roleId: 'role-no-read', secretId: 'secret-no-read' } });
    for (let i = 0; i < 5; i++) expect(await read(b, 'forbidden/x')).toBe('failed:denied');
    expect(b.authStats.logins).toBe(2); // the first login, and one new login after the first 403
    clock += 31_000;
    expect(await read(b, 'forbidden/x')).toBe('failed:denied');
    expect(b.authStats.logins).toBe(3);
  });

  it('sends the namespace header on login and reads; the root namespace does not see the secret', async () => {
    vault.addAppRole('role-ns', 'secret-ns', { ttlSeconds: 600, maxTtlSeconds: 3600, namespace: 'team-a' });
    vault.put('ns/secret', { value: 'namespaced-value' }, 'team-a');
    const inNs = backend({
      namespace: 'team-a',
      auth: { method: 'approle', roleId: 'role-ns', secretId: 'secret-ns' },
    });
    expect(await read(inNs, 'ns/secret')).toBe('namespaced-value');
    expect(vault.namespacesSeen.at(-1)).toBe('team-a');
    const root = backend({ auth: { method: 'token', token: vault.rootToken } });
    expect(await read(root, 'ns/secret')).toBe('not-found');
    const wrongNs = backend({ auth: { method: 'approle', roleId: 'role-ns', secretId: 'secret-ns' } });
    expect(await read(wrongNs, 'ns/secret')).toBe('failed:denied');
  });

  it('treats a sealed or failing Vault as unreachable (retryable), and recovers', async () => {
    vault.put('sealed/x', { value: 'sealed-then-open' });
    const b = backend({ auth: { method: 'token', token: vault.rootToken } });
    expect(await read(b, 'sealed/x')).toBe('sealed-then-open');
    vault.failNext(503);
    const outcome = await b.lookup({ name: 'sealed/x' })();
    expect(E.isLeft(outcome) && outcome.left.reason).toBe('unreachable');
    expect(E.isLeft(outcome) && outcome.left.retryable).toBe(true);
    expect(await read(b, 'sealed/x')).toBe('sealed-then-open');
  });

  it('reads versions, treats deleted versions as not found, and refuses non-numeric versions', async () => {
    vault.put('ver/x', { value: 'version-1-value' });
    vault.put('ver/x', { value: 'version-2-value' });
    const b = backend({ auth: { method: 'token', token: vault.rootToken } });
    expect(await read(b, 'ver/x', { version: '1' })).toBe('version-1-value');
    expect(await read(b, 'ver/x')).toBe('version-2-value');
    expect(await read(b, 'ver/x', { version: '9' })).toBe('not-found');
    expect(await read(b, 'ver/x', { version: 'AWSPREVIOUS' })).toBe('failed:unsupported');
    const del = await fetch(`${vault.url}/v1/secret/data/ver/x`, {
      method: 'DELETE',
      headers: { 'X-Vault-Token': vault.rootToken },
    });
    expect(del.status).toBe(204);
    expect(await read(b, 'ver/x')).toBe('not-found');
    expect(await read(b, 'ver/x', { version: '1' })).toBe('version-1-value');
  });

  it('a wrong KV mount (404 "no handler for route") is misconfigured, not "not found", so the chain does not fall through', async () => {
    vault.put('mount/x', { value: 'right-mount-value' });
    const wrong = backend({ mount: 'no-such-mount', auth: { method: 'token', token: vault.rootToken } });
    expect(await read(wrong, 'mount/x')).toBe('failed:misconfigured');
    const right = backend({ auth: { method: 'token', token: vault.rootToken } });
    expect(await read(right, 'mount/absent')).toBe('not-found');
    const resolved = await createSecretChain([wrong, right]).resolve('mount/x')();
    expect(E.isLeft(resolved) && resolved.left._tag === 'SecretBackendFailed' && resolved.left.reason).toBe(
      'misconfigured',
    );
  });

  it('refuses fields that are objects, and data without the default field, naming the field only', async () => {
    vault.put('shape/x', { nested: { deep: 'nested-object-value' }, other: 'other-field-value' });
    const b = backend({ auth: { method: 'token', token: vault.rootToken } });
    expect(await read(b, 'shape/x', { field: 'nested' })).toBe('failed:malformed');
    const outcome = await b.lookup({ name: 'shape/x' })();
    expect(E.isLeft(outcome) && outcome.left.reason).toBe('missing_key');
    expect(JSON.stringify(outcome)).not.toContain('other-field-value');
  });

  it('plugin options: wrong types and unknown auth methods are errors naming the path, not the value', () => {
    const bad = vaultSecretsPlugin.options.decode({
      address: 8200,
      auth: { method: 'ldap', password: 'ldap-password-value' },
    });
    expect(E.isLeft(bad)).toBe(true);
    if (E.isLeft(bad)) {
      const issues = toIssues(bad.left, 'secrets.backends.0');
      expect(issues.map((i) => i.path)).toContain('secrets.backends.0.address');
      expect(JSON.stringify(issues)).not.toContain('ldap-password-value');
    }
    expect(
      E.isLeft(
        vaultSecretsPlugin.options.decode({
          address: 'http://v',
          auth: { method: 'token', token: 't' },
          renew_after_fraction: 2,
        }),
      ),
    ).toBe(true);
    expect(
      E.isRight(
        vaultSecretsPlugin.options.decode({
          address: 'http://v',
          namespace: 'team-a',
          auth: { method: 'approle', role_id: 'r', secret_id: 's' },
        }),
      ),
    ).toBe(true);
  });
});
