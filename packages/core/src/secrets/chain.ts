import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { secretNotFound, type InvalidInput, type SecretBackendFailed, type SecretNotFound } from '../errors.js';
import type { SecretBackend } from './port.js';
import { formatSecretRef, parseSecretRef, type SecretRef } from './reference.js';
import type { Secret } from './secret-value.js';

export type SecretError = SecretNotFound | SecretBackendFailed | InvalidInput;

export interface ResolvedSecret {
  readonly value: Secret;
  readonly version: string;
  /** The backend that answered. */
  readonly backend: string;
  /** True when the cache served a value past its TTL because the backend failed. */
  readonly stale: boolean;
}

/** Resolves secret references; the chain and the cache both have this shape. */
export interface SecretSource {
  resolve(ref: string | SecretRef): TE.TaskEither<SecretError, ResolvedSecret>;
  /** Forgets cached values (one secret's, or all): the next resolve asks the backends. */
  invalidate(name?: string): void;
  close(): Promise<void>;
}

export interface SecretChainOptions {
  /**
   * When a backend fails (unreachable, denied, malformed), ask the next one
   * instead of failing the lookup. Off by default: a failure must not quietly
   * turn into an older or a different value from a lower-priority backend.
   */
  readonly fallThroughOnError?: boolean;
}

export const toSecretRef = (ref: string | SecretRef): E.Either<InvalidInput, SecretRef> =>
  typeof ref === 'string' ? parseSecretRef(ref) : parseSecretRef(formatSecretRef(ref));

/**
 * Asks the backends in priority order. Found: done. Not found: next backend.
 * Failed: the lookup fails naming that backend, unless `fallThroughOnError`;
 * then, if no later backend has the secret, the first failure is returned
 * (not "not found", which would be untrue).
 */
export const createSecretChain = (
  backends: readonly SecretBackend[],
  options: SecretChainOptions = {},
): SecretSource => {
  const fallThrough = options.fallThroughOnError ?? false;
  const names = backends.map((b) => b.name);
  return {
    resolve: (input) => async () => {
      const parsed = toSecretRef(input);
      if (E.isLeft(parsed)) return parsed;
      const ref = parsed.right;
      let firstFailure: SecretBackendFailed | undefined;
      for (const backend of backends) {
        const outcome = await backend.lookup(ref)();
        if (E.isLeft(outcome)) {
          if (!fallThrough) return outcome;
          firstFailure ??= outcome.left;
          continue;
        }
        if (outcome.right._tag === 'Found') {
          return E.right({
            value: outcome.right.value,
            version: outcome.right.version,
            backend: backend.name,
            stale: false,
          });
        }
      }
      return E.left(firstFailure ?? secretNotFound(formatSecretRef(ref), names));
    },
    invalidate: () => undefined,
    close: async () => {
      await Promise.allSettled(backends.map((b) => b.close()));
    },
  };
};
