export { createVaultSecrets, type VaultSecretBackend, type VaultSecretsOptions } from './vault-backend.js';
export { DEFAULT_KUBERNETES_JWT_PATH, type VaultAuth } from './auth.js';
export { vaultSecretsPlugin, type VaultSecretsConfig } from './plugin.js';
export { vaultSecretsPlugin as secretBackendPlugin } from './plugin.js';
