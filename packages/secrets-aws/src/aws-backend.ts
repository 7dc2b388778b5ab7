import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  describeDriverError,
  notFound,
  secretBackendFailed,
  selectField,
  type SecretBackend,
  type SecretBackendFailed,
  type SecretFailureReason,
  type SecretLookup,
  type SecretRef,
} from '@palisade/core';

export interface AwsSecretsOptions {
  /** e.g. `eu-west-1`; default: the SDK's own lookup (AWS_REGION, profile). */
  readonly region?: string;
  /** A custom endpoint (a VPC endpoint, LocalStack, moto). */
  readonly endpoint?: string;
  /** Prepended to every secret name: `prod/` makes `db/password` the secret `prod/db/password`. */
  readonly namePrefix?: string;
  /** Static credentials; default: the SDK's provider chain (environment, web identity, instance role). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Per-request timeout. Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** SDK attempts including retries. Default 3. */
  readonly maxAttempts?: number;
  readonly name?: string;
  /** A client built elsewhere (tests, shared configuration); the options above are then ignored. */
  readonly client?: SecretsManagerClient;
}

// Secrets Manager version ids are 32 to 64 characters of letters, digits and '-';
// anything else after '@' is a staging label (AWSCURRENT, AWSPREVIOUS, or your own).
const VERSION_ID = /^[A-Za-z0-9-]{32,64}$/;

const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'DecryptionFailure',
]);

/**
 * Secrets from AWS Secrets Manager. `name@AWSPREVIOUS` reads a staging label,
 * `name@<version id>` one version, `name#key` one key of a JSON secret. The
 * version reported is the Secrets Manager version id.
 */
export const createAwsSecrets = (options: AwsSecretsOptions = {}): SecretBackend => {
  const name = options.name ?? 'aws';
  const prefix = options.namePrefix ?? '';
  const owned = options.client === undefined;
  const config: SecretsManagerClientConfig = {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.credentials !== undefined ? { credentials: { ...options.credentials } } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      connectionTimeout: options.requestTimeoutMs ?? 5_000,
    },
  };
  const client = options.client ?? new SecretsManagerClient(config);
  const fail = (
    ref: SecretRef,
    reason: SecretFailureReason,
    what: string,
  ): E.Either<SecretBackendFailed, SecretLookup> => E.left(secretBackendFailed(name, ref.name, reason, what));

  return {
    name,
    lookup:
      (ref: SecretRef): TE.TaskEither<SecretBackendFailed, SecretLookup> =>
      async () => {
        const input: GetSecretValueCommandInput = {
          SecretId: prefix + ref.name,
          ...(ref.version === undefined
            ? {}
            : VERSION_ID.test(ref.version)
              ? { VersionId: ref.version }
              : { VersionStage: ref.version }),
        };
        let out;
        try {
          out = await client.send(new GetSecretValueCommand(input));
        } catch (e) {
          return classify(e, ref, fail);
        }
        if (out.SecretString === undefined) {
          return out.SecretBinary !== undefined
            ? fail(ref, 'unsupported', 'binary secrets are not supported; store the value as a string')
            : fail(ref, 'malformed', 'the response carries no SecretString');
        }
        if (out.VersionId === undefined) return fail(ref, 'malformed', 'the response carries no VersionId');
        return selectField(name, ref, out.SecretString, out.VersionId);
      },
    close: () => {
      if (owned) client.destroy();
      return Promise.resolve();
    },
  };
};

const classify = (
  e: unknown,
  ref: SecretRef,
  fail: (ref: SecretRef, reason: SecretFailureReason, what: string) => E.Either<SecretBackendFailed, SecretLookup>,
): E.Either<SecretBackendFailed, SecretLookup> => {
  const err = e as { name?: unknown; message?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const errName = typeof err.name === 'string' ? err.name : 'Error';
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? ` HTTP ${err.$metadata.httpStatusCode}` : '';
  const what = `${describeDriverError(e)}${status}`;
  if (errName === 'ResourceNotFoundException') return E.right(notFound);
  // A secret scheduled for deletion answers InvalidRequestException; it is gone for our purposes.
  if (
    errName === 'InvalidRequestException' &&
    typeof err.message === 'string' &&
    /marked for deletion|deleted/i.test(err.message)
  ) {
    return E.right(notFound);
  }
  if (DENIED.has(errName) || err.$metadata?.httpStatusCode === 403) return fail(ref, 'denied', what);
  if (err.$fault === 'client' && errName !== 'ThrottlingException') return fail(ref, 'misconfigured', what);
  // Server faults, throttling and anything without a response (refused, reset, timed out).
  return fail(ref, 'unreachable', what);
};
