import { createHmac, randomBytes } from 'node:crypto';
import type * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type * as t from 'io-ts';
import { secretBackendFailed, type PalisadeError, type SecretBackendFailed } from '../errors.js';
import type { SecretRef } from './reference.js';
import { Secret } from './secret-value.js';

/**
 * What one backend says about one secret. Failure is the third outcome and
 * travels on the TaskEither's left side: a backend that cannot answer must
 * never look like a backend that does not have the secret.
 */
export type SecretLookup =
  { readonly _tag: 'Found'; readonly value: Secret; readonly version: string } | { readonly _tag: 'NotFound' };

/** The port every secret backend implements. */
export interface SecretBackend {
  /** The instance name used in errors and logs (`vault`, `file-k8s`), from config or the plugin's kind. */
  readonly name: string;
  lookup(ref: SecretRef): TE.TaskEither<SecretBackendFailed, SecretLookup>;
  close(): Promise<void>;
}

export interface SecretBackendContext {
  /** The instance name to give the backend. */
  readonly name: string;
  /** Directory relative paths in config are resolved against. */
  readonly baseDir: string;
}

/** How config builds a backend: `secrets.backends[i].kind` picks the plugin, the other keys are its options. */
export interface SecretBackendPlugin<Options = unknown> {
  readonly kind: string;
  readonly options: t.Type<Options, unknown, unknown>;
  create(options: Options, context: SecretBackendContext): E.Either<PalisadeError, SecretBackend>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySecretBackendPlugin = SecretBackendPlugin<any>;

export const found = (value: string, version: string): SecretLookup => ({
  _tag: 'Found',
  value: Secret.of(value),
  version,
});

export const notFound: SecretLookup = { _tag: 'NotFound' };

// A per-process key: the version tag changes when the value changes, but reveals nothing about it.
const versionKey = randomBytes(32);

/**
 * A version for backends that have none of their own (environment, files):
 * a keyed hash of the value, so a rotation is seen as a new version without
 * the version being usable to guess the value.
 */
export const contentVersion = (value: string): string =>
  `h:${createHmac('sha256', versionKey).update(value, 'utf8').digest('hex').slice(0, 16)}`;

/**
 * Picks `ref.field` out of a JSON object secret. Without a field the raw text
 * is the value. Malformed JSON and a missing field are failures, not "not
 * found": the secret exists and is not what config expects, and falling
 * through to another backend would hide that.
 */
export const selectField = (
  backend: string,
  ref: SecretRef,
  raw: string,
  version: string,
): E.Either<SecretBackendFailed, SecretLookup> => {
  if (ref.field === undefined) return { _tag: 'Right', right: found(raw, version) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // The parser's message can quote the text: it is not kept.
    return {
      _tag: 'Left',
      left: secretBackendFailed(
        backend,
        ref.name,
        'malformed',
        `is not a JSON object, so field '${ref.field}' cannot be read`,
      ),
    };
  }
  return selectObjectField(backend, ref, parsed, version);
};

/** Like `selectField`, for backends whose secrets are already objects (Vault KV). */
export const selectObjectField = (
  backend: string,
  ref: SecretRef & { readonly field?: string },
  data: unknown,
  version: string,
  field: string | undefined = ref.field,
): E.Either<SecretBackendFailed, SecretLookup> => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { _tag: 'Left', left: secretBackendFailed(backend, ref.name, 'malformed', 'is not a JSON object') };
  }
  if (field === undefined) {
    return {
      _tag: 'Left',
      left: secretBackendFailed(backend, ref.name, 'missing_key', 'is a JSON object: name a field with #field'),
    };
  }
  if (!Object.prototype.hasOwnProperty.call(data, field)) {
    return { _tag: 'Left', left: secretBackendFailed(backend, ref.name, 'missing_key', `has no field '${field}'`) };
  }
  const value = (data as Record<string, unknown>)[field];
  if (typeof value === 'string') return { _tag: 'Right', right: found(value, version) };
  if (typeof value === 'number' || typeof value === 'boolean')
    return { _tag: 'Right', right: found(String(value), version) };
  return {
    _tag: 'Left',
    left: secretBackendFailed(backend, ref.name, 'malformed', `field '${field}' is not a string, number or boolean`),
  };
};
