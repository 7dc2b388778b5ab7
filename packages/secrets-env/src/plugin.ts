import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { strict, type SecretBackendPlugin } from '@palisade/core';
import { createEnvSecrets } from './env-backend.js';

const EnvSecretsConfig = strict({}, { prefix: t.string }, 'EnvSecretsOptions');
export type EnvSecretsConfig = t.TypeOf<typeof EnvSecretsConfig>;

/** `secrets: { backends: [ { kind: env, prefix: PALISADE_SECRET_ } ] }` */
export const envSecretsPlugin: SecretBackendPlugin<EnvSecretsConfig> = {
  kind: 'env',
  options: EnvSecretsConfig,
  create: (options, context) =>
    E.right(
      createEnvSecrets({ name: context.name, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) }),
    ),
};
