import { secretBackendConformance } from '@palisade/storage-testkit';
import { describe, it } from 'vitest';
import { vaultRequest } from './http.js';
import { vaultHarness } from './vault-harness.test-helper.js';

// Integration test: a real Vault (`vault server -dev`, see the README), only when one is configured.
const address = process.env['VAULT_ADDR'];
const token = process.env['VAULT_TOKEN'];

if (address === undefined || token === undefined) {
  console.warn(
    'SKIPPED @palisade/secrets-vault integration tests: set VAULT_ADDR and VAULT_TOKEN to run them against a real Vault (the contract tests still ran)',
  );
  describe.skip('secrets-vault against a real Vault (SKIPPED: VAULT_ADDR/VAULT_TOKEN not set)', () => {
    it('needs a Vault', () => undefined);
  });
} else {
  secretBackendConformance(
    'vault (real server)',
    vaultHarness({
      address: () => address,
      operatorToken: () => token,
      // The default policy grants no access to secret/: a token with only it is refused.
      tokenWithoutRead: async () => {
        const r = await vaultRequest({ address, requestTimeoutMs: 5_000 }, 'POST', 'auth/token/create', {
          token,
          body: { policies: ['default'], ttl: '10m' },
        });
        const created = r.ok ? (r.body as { auth?: { client_token?: string } }).auth?.client_token : undefined;
        if (created === undefined) throw new Error('could not create a token without read access');
        return created;
      },
    }),
  );
}
