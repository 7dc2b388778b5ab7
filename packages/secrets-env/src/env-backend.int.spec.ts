import { secretBackendConformance } from '@palisade/storage-testkit';
import { createEnvSecrets, envSecretsPlugin, envVariableName } from './index.js';

const PREFIX = 'PALISADE_CONFORMANCE_';

// The real peer is this process's environment.
secretBackendConformance('env', {
  backend: () => createEnvSecrets({ prefix: PREFIX }),
  put: (name, value) => {
    process.env[envVariableName(PREFIX, name)] = value;
    return Promise.resolve();
  },
  putJson: (name, fields) => {
    process.env[envVariableName(PREFIX, name)] = JSON.stringify(fields);
    return Promise.resolve();
  },
  putText: (name, text) => {
    process.env[envVariableName(PREFIX, name)] = text;
    return Promise.resolve();
  },
  remove: (name) => {
    delete process.env[envVariableName(PREFIX, name)];
    return Promise.resolve();
  },
  versioned: false,
  config: { plugin: envSecretsPlugin, section: () => ({ kind: 'env', prefix: PREFIX }) },
});
