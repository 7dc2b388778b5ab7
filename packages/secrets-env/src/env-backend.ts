import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import {
  contentVersion,
  notFound,
  secretBackendFailed,
  selectField,
  type SecretBackend,
  type SecretRef,
} from '@palisade/core';

export interface EnvSecretsOptions {
  /** Prepended to every variable name, e.g. `PALISADE_SECRET_`: only variables with it are secrets. */
  readonly prefix?: string;
  /** The environment to read; default `process.env`, read at each lookup so a changed variable is seen. */
  readonly env?: NodeJS.ProcessEnv;
  /** The name in errors and logs; default `env`. */
  readonly name?: string;
}

/**
 * The variable a secret name maps to: the prefix, then the name upper-cased
 * with `/`, `.` and `-` turned into `_` (`db/password` -> `PREFIX_DB_PASSWORD`).
 */
export const envVariableName = (prefix: string, secretName: string): string =>
  `${prefix}${secretName.toUpperCase().replace(/[/.-]/g, '_')}`;

/**
 * Secrets from environment variables. The environment has no versions: the
 * version reported is a keyed hash of the value, so a changed variable is seen
 * as a rotation, and asking for a specific version fails with `unsupported`.
 */
export const createEnvSecrets = (options: EnvSecretsOptions = {}): SecretBackend => {
  const name = options.name ?? 'env';
  const prefix = options.prefix ?? '';
  const env = options.env ?? process.env;
  return {
    name,
    lookup: (ref: SecretRef) =>
      TE.fromEither(
        (() => {
          if (ref.version !== undefined) {
            return E.left(secretBackendFailed(name, ref.name, 'unsupported', 'environment variables have no versions'));
          }
          const value = env[envVariableName(prefix, ref.name)];
          if (value === undefined) return E.right(notFound);
          return selectField(name, ref, value, contentVersion(value));
        })(),
      ),
    close: () => Promise.resolve(),
  };
};
