export { createAwsSecrets, type AwsSecretsOptions } from './aws-backend.js';
export { awsSecretsPlugin, type AwsSecretsConfig } from './plugin.js';
export { awsSecretsPlugin as secretBackendPlugin } from './plugin.js';
