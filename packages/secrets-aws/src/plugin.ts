import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PositiveInt, strict, type SecretBackendPlugin } from '@palisade/core';
import { createAwsSecrets } from './aws-backend.js';

const AwsSecretsConfig = strict(
  {},
  {
    region: t.string,
    endpoint: t.string,
    name_prefix: t.string,
    credentials: strict(
      { access_key_id: t.string, secret_access_key: t.string },
      { session_token: t.string },
      'AwsCredentials',
    ),
    request_timeout_ms: PositiveInt,
    max_attempts: PositiveInt,
  },
  'AwsSecretsOptions',
);
export type AwsSecretsConfig = t.TypeOf<typeof AwsSecretsConfig>;

/**
 * `secrets: { backends: [ { kind: aws, region: eu-west-1, name_prefix: prod/ } ] }`.
 * Credentials default to the SDK's provider chain; give them only as `${ENV}` references.
 */
export const awsSecretsPlugin: SecretBackendPlugin<AwsSecretsConfig> = {
  kind: 'aws',
  options: AwsSecretsConfig,
  create: (o, context) =>
    E.right(
      createAwsSecrets({
        name: context.name,
        ...(o.region !== undefined ? { region: o.region } : {}),
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.name_prefix !== undefined ? { namePrefix: o.name_prefix } : {}),
        ...(o.credentials !== undefined
          ? {
              credentials: {
                accessKeyId: o.credentials.access_key_id,
                secretAccessKey: o.credentials.secret_access_key,
                ...(o.credentials.session_token !== undefined ? { sessionToken: o.credentials.session_token } : {}),
              },
            }
          : {}),
        ...(o.request_timeout_ms !== undefined ? { requestTimeoutMs: o.request_timeout_ms } : {}),
        ...(o.max_attempts !== undefined ? { maxAttempts: o.max_attempts } : {}),
      }),
    ),
};
