export { createEnvSecrets, envVariableName, type EnvSecretsOptions } from './env-backend.js';
export { envSecretsPlugin, type EnvSecretsConfig } from './plugin.js';
export { envSecretsPlugin as secretBackendPlugin } from './plugin.js';
