import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  PositiveInt,
  invalidAt,
  storageUnavailable,
  strict,
  type InvalidInput,
  type StorageUnavailable,
} from '@palisade/core';
import type { MongoClient } from 'mongodb';
import { ADAPTER } from './errors.js';

export interface MongoStorageOptions {
  /** A MongoDB connection string (`mongodb://` or `mongodb+srv://`). Required unless `client` is given. */
  readonly url?: string;
  /** A connected client to use instead of `url`; the adapter does not close it. */
  readonly client?: MongoClient;
  /** Database name. Default `palisade`. */
  readonly database?: string;
  /** Prefix of the four collection names (`<prefix>events`, ...). Default `palisade_`. */
  readonly collectionPrefix?: string;
  /** Wake subscribers on other processes' appends through a change stream. Default true. */
  readonly changeStreams?: boolean;
  /** How long the driver looks for a usable server before an operation fails. Default 10,000 ms. */
  readonly serverSelectionTimeoutMs?: number;
  /** Attempts at an append that keeps losing races to concurrent writers of its tenant. Default 100. */
  readonly maxAppendAttempts?: number;
}

export interface ResolvedOptions {
  readonly url: string;
  readonly client: MongoClient | null;
  readonly database: string;
  readonly collectionPrefix: string;
  readonly changeStreams: boolean;
  readonly serverSelectionTimeoutMs: number;
  readonly maxAppendAttempts: number;
}

export const DEFAULT_DATABASE = 'palisade';
export const DEFAULT_COLLECTION_PREFIX = 'palisade_';

// MongoDB accepts a narrow set of database names everywhere (Windows included); 63 bytes is its limit.
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const COLLECTION_PREFIX = /^[A-Za-z0-9_]{0,32}$/;

/** Checks what the types cannot: names MongoDB would refuse, a missing connection. */
export const resolveOptions = (options: MongoStorageOptions): E.Either<InvalidInput, ResolvedOptions> => {
  const database = options.database ?? DEFAULT_DATABASE;
  const collectionPrefix = options.collectionPrefix ?? DEFAULT_COLLECTION_PREFIX;
  if (options.client === undefined && (options.url === undefined || options.url === '')) {
    return E.left(invalidAt('url', 'is required (a mongodb:// or mongodb+srv:// connection string)'));
  }
  if (options.client === undefined && !/^mongodb(\+srv)?:\/\//.test(options.url ?? '')) {
    return E.left(invalidAt('url', 'must start with mongodb:// or mongodb+srv://'));
  }
  if (!DATABASE_NAME.test(database)) {
    return E.left(invalidAt('database', 'must be 1 to 63 letters, digits, _ or -'));
  }
  if (!COLLECTION_PREFIX.test(collectionPrefix)) {
    return E.left(invalidAt('collection_prefix', 'must be at most 32 letters, digits or _'));
  }
  return E.right({
    url: options.url ?? '',
    client: options.client ?? null,
    database,
    collectionPrefix,
    changeStreams: options.changeStreams ?? true,
    serverSelectionTimeoutMs: options.serverSelectionTimeoutMs ?? 10_000,
    maxAppendAttempts: options.maxAppendAttempts ?? 100,
  });
};

/**
 * After an attempt met a duplicate key (another writer committed first, between
 * our reads and our insert), whether to try again and how. A duplicate event id
 * on a generated id means the lookup skipped it: the next attempt looks it up,
 * so core's rules report it. Attempts are bounded so a fault cannot spin.
 */
export const decideRetry = (
  index: string | null,
  attempt: number,
  maxAttempts: number,
): E.Either<StorageUnavailable, { readonly lookUpGeneratedIds: boolean }> =>
  attempt >= maxAttempts
    ? E.left(storageUnavailable(ADAPTER, `the append met concurrent writers ${attempt} times in a row`, true))
    : E.right({ lookUpGeneratedIds: index === 'tenant_event_id' });

/** After losing a race: how long to wait before the next attempt (jittered, growing, capped at 50 ms). */
export const backoffMs = (attempt: number, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(50, 2 * attempt));

/** Plugin options, as written under `storage:` in palisade.yaml (snake_case like the rest of the config). */
export const MongoConfig = strict(
  { url: t.string },
  {
    database: t.string,
    collection_prefix: t.string,
    change_streams: t.boolean,
    server_selection_timeout_ms: PositiveInt,
    max_append_attempts: PositiveInt,
  },
  'MongoStorageOptions',
);
export type MongoConfig = t.TypeOf<typeof MongoConfig>;

/** Config (snake_case) to adapter options (camelCase), leaving out what is absent. */
export const fromConfig = (config: MongoConfig): MongoStorageOptions => ({
  url: config.url,
  ...(config.database !== undefined ? { database: config.database } : {}),
  ...(config.collection_prefix !== undefined ? { collectionPrefix: config.collection_prefix } : {}),
  ...(config.change_streams !== undefined ? { changeStreams: config.change_streams } : {}),
  ...(config.server_selection_timeout_ms !== undefined
    ? { serverSelectionTimeoutMs: config.server_selection_timeout_ms }
    : {}),
  ...(config.max_append_attempts !== undefined ? { maxAppendAttempts: config.max_append_attempts } : {}),
});
