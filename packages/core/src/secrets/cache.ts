import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { secretBackendFailed } from '../errors.js';
import { toSecretRef, type ResolvedSecret, type SecretError, type SecretSource } from './chain.js';
import { formatSecretRef } from './reference.js';

export interface SecretCacheOptions {
  /** How long a value is served without asking the backends again. 0 disables caching. */
  readonly ttlMs: number;
  /**
   * How long past the TTL a cached value may still be served when the backends
   * fail. Bounded on purpose: a backend that stays down must eventually fail
   * the lookup rather than serve a revoked secret forever. 0 disables it.
   */
  readonly staleIfErrorMs: number;
  readonly now?: () => number;
  /** Names, backends, versions and error codes only: never a value. */
  readonly onEvent?: (event: SecretEvent) => void;
}

export type SecretEvent =
  | { readonly type: 'resolved'; readonly secret: string; readonly backend: string; readonly version: string }
  | {
      readonly type: 'rotated';
      readonly secret: string;
      readonly backend: string;
      readonly version: string;
      readonly previousVersion: string;
    }
  | {
      readonly type: 'stale_served';
      readonly secret: string;
      readonly backend: string;
      readonly version: string;
      readonly code: string;
    }
  | { readonly type: 'failed'; readonly secret: string; readonly code: string };

interface Entry {
  readonly resolved: ResolvedSecret;
  readonly fetchedAt: number;
}

export const DEFAULT_SECRET_CACHE: Pick<SecretCacheOptions, 'ttlMs' | 'staleIfErrorMs'> = {
  ttlMs: 60_000,
  staleIfErrorMs: 300_000,
};

/**
 * A TTL cache in front of a source. Version-aware: when a refetch returns a
 * new version a `rotated` event is emitted. Concurrent lookups of the same
 * reference share one backend call. Not-found is not cached, so a secret
 * created later is seen at once.
 */
export const createSecretCache = (source: SecretSource, options: SecretCacheOptions): SecretSource => {
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => undefined);
  const entries = new Map<string, Entry>();
  const inFlight = new Map<
    string,
    { readonly generation: number; readonly promise: Promise<E.Either<SecretError, ResolvedSecret>> }
  >();
  let generation = 0;
  let isClosed = false;

  const fetch = async (key: string): Promise<E.Either<SecretError, ResolvedSecret>> => {
    const startedIn = generation;
    const outcome = await source.resolve(key)();
    const previous = entries.get(key);
    const at = now();
    if (E.isRight(outcome)) {
      // An invalidate() during the fetch means this answer may predate a rotation: return it to its caller, but do
      // not cache it or report it (a newer fetch may already have, and this one would read as a rotation back).
      if (startedIn !== generation) return outcome;
      entries.set(key, { resolved: outcome.right, fetchedAt: at });
      const r = outcome.right;
      if (previous !== undefined && previous.resolved.version !== r.version) {
        emit({
          type: 'rotated',
          secret: key,
          backend: r.backend,
          version: r.version,
          previousVersion: previous.resolved.version,
        });
      } else if (previous === undefined) {
        emit({ type: 'resolved', secret: key, backend: r.backend, version: r.version });
      }
      return outcome;
    }
    // Only while the backends cannot answer: a refusal (`denied`) may be the secret's access being revoked.
    const canServeStale =
      previous !== undefined &&
      outcome.left._tag === 'SecretBackendFailed' &&
      outcome.left.retryable &&
      at - previous.fetchedAt <= options.ttlMs + options.staleIfErrorMs;
    if (canServeStale) {
      emit({
        type: 'stale_served',
        secret: key,
        backend: previous.resolved.backend,
        version: previous.resolved.version,
        code: outcome.left.code,
      });
      return E.right({ ...previous.resolved, stale: true });
    }
    if (outcome.left._tag === 'SecretNotFound') entries.delete(key);
    emit({ type: 'failed', secret: key, code: outcome.left.code });
    return outcome;
  };

  const resolve =
    (input: Parameters<SecretSource['resolve']>[0]): TE.TaskEither<SecretError, ResolvedSecret> =>
    async () => {
      const parsed = toSecretRef(input);
      if (E.isLeft(parsed)) return parsed;
      const key = formatSecretRef(parsed.right);
      if (isClosed) return E.left(secretBackendFailed('cache', key, 'closed', 'the secret resolver is closed'));
      const entry = entries.get(key);
      if (entry !== undefined && now() - entry.fetchedAt < options.ttlMs) return E.right(entry.resolved);
      // Join a lookup already running, unless an invalidate() came since it started: its answer may predate a rotation.
      const pending = inFlight.get(key);
      if (pending !== undefined && pending.generation === generation) return pending.promise;
      const running = { generation, promise: fetch(key) };
      inFlight.set(key, running);
      void running.promise.finally(() => {
        if (inFlight.get(key) === running) inFlight.delete(key);
      });
      return running.promise;
    };

  return {
    resolve,
    invalidate: (name) => {
      generation++;
      if (name === undefined) {
        entries.clear();
        source.invalidate();
        return;
      }
      for (const key of entries.keys()) {
        if (key === name || key.startsWith(`${name}@`) || key.startsWith(`${name}#`)) entries.delete(key);
      }
      source.invalidate(name);
    },
    close: async () => {
      isClosed = true;
      entries.clear();
      await source.close();
    },
  };
};
