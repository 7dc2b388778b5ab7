export { createFileSecrets, type FileSecretsOptions } from './file-backend.js';
export { fileSecretsPlugin, type FileSecretsConfig } from './plugin.js';
export { KubernetesSecretDir } from './kubernetes-layout.js';
export { fileSecretsPlugin as secretBackendPlugin } from './plugin.js';
