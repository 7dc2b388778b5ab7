import { createSecretCache, DEFAULT_SECRET_CACHE, type SecretEvent } from './cache.js';
import { createSecretChain, type SecretSource } from './chain.js';
import type { SecretBackend } from './port.js';

export interface SecretResolverOptions {
  readonly fallThroughOnError?: boolean;
  readonly cache?: { readonly ttlMs?: number; readonly staleIfErrorMs?: number };
  readonly now?: () => number;
  readonly onEvent?: (event: SecretEvent) => void;
}

/** The chain with the cache in front: what the runtime and config loading use. */
export const createSecretResolver = (
  backends: readonly SecretBackend[],
  options: SecretResolverOptions = {},
): SecretSource =>
  createSecretCache(
    createSecretChain(
      backends,
      options.fallThroughOnError === undefined ? {} : { fallThroughOnError: options.fallThroughOnError },
    ),
    {
      ttlMs: options.cache?.ttlMs ?? DEFAULT_SECRET_CACHE.ttlMs,
      staleIfErrorMs: options.cache?.staleIfErrorMs ?? DEFAULT_SECRET_CACHE.staleIfErrorMs,
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    },
  );
