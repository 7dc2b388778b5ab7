export { createEnvSecrets, envVariableName, type EnvSecretsOptions } from './env-backend.js';
export { envSecretsPlugin, type EnvSecretsConfig } from './plugin.js';
