import type { SecretBackendHarness } from '@palisade/storage-testkit';
import { vaultRequest, type VaultEndpoint } from './http.js';
import { vaultSecretsPlugin } from './plugin.js';
import { createVaultSecrets } from './vault-backend.js';

/**
 * The conformance harness over any Vault that speaks the HTTP API: a real one
 * (VAULT_ADDR, VAULT_TOKEN) or the contract server. Writes go through the API
 * with an operator token, as `vault kv put` would.
 */
export const vaultHarness = (peer: {
  readonly address: () => string;
  readonly operatorToken: () => string;
  /** A token that is valid but may not read the secrets. */
  readonly tokenWithoutRead: () => Promise<string>;
  readonly setup?: () => Promise<void>;
  readonly teardown?: () => Promise<void>;
}): SecretBackendHarness => {
  const endpoint = (): VaultEndpoint => ({ address: peer.address(), requestTimeoutMs: 5_000 });
  const write = async (name: string, data: Record<string, string>): Promise<void> => {
    const r = await vaultRequest(endpoint(), 'POST', `secret/data/${name}`, {
      token: peer.operatorToken(),
      body: { data },
    });
    if (!r.ok || r.status !== 200)
      throw new Error(`writing ${name} to Vault failed: ${r.ok ? `HTTP ${r.status}` : r.what}`);
  };
  return {
    ...(peer.setup !== undefined ? { setup: peer.setup } : {}),
    ...(peer.teardown !== undefined ? { teardown: peer.teardown } : {}),
    backend: () =>
      createVaultSecrets({
        address: peer.address(),
        auth: { method: 'token', token: peer.operatorToken() },
        backgroundRenewal: false,
      }),
    put: (name, value) => write(name, { value }),
    putJson: (name, fields) => write(name, { ...fields }),
    remove: async (name) => {
      const r = await vaultRequest(endpoint(), 'DELETE', `secret/metadata/${name}`, { token: peer.operatorToken() });
      if (!r.ok || r.status !== 204) throw new Error(`deleting ${name} from Vault failed`);
    },
    versioned: true,
    config: {
      plugin: vaultSecretsPlugin,
      section: () => ({
        kind: 'vault',
        address: peer.address(),
        auth: { method: 'token', token: peer.operatorToken() },
        background_renewal: false,
      }),
    },
    unreachable: () =>
      createVaultSecrets({
        address: 'http://127.0.0.1:1',
        auth: { method: 'token', token: 'hvs.unused' },
        backgroundRenewal: false,
      }),
    denied: async () =>
      createVaultSecrets({
        address: peer.address(),
        auth: { method: 'token', token: await peer.tokenWithoutRead() },
        backgroundRenewal: false,
      }),
  };
};
