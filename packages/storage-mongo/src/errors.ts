import { describeDriverError, storageUnavailable, type StorageUnavailable } from '@palisade/core';
import { INDEXES, type IndexName } from './schema.js';

/*
 * Mapping driver failures to Palisade's codes. Pure functions over the fields
 * the driver puts on its errors (code, labels, key pattern), so the mapping is
 * tested here without a server. A driver message is never copied into ours:
 * duplicate-key messages quote the key's values, and connection errors can
 * quote the host.
 */

export const ADAPTER = 'mongo';

const DUPLICATE_KEY_CODES = new Set([11000, 11001]);

/** Errors that a later try can get past: elections, lost connections, write conflicts. */
const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoWriteConcernError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
]);
/** Server codes that mean "not now": primary stepped down, write conflict, lock timeout, shutdown in progress. */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 24, 50]);

const labelsOf = (e: object): readonly string[] => {
  const labels = (e as { errorLabels?: unknown }).errorLabels;
  if (Array.isArray(labels)) return labels.filter((l): l is string => typeof l === 'string');
  // The driver keeps labels in a private set and answers hasErrorLabel.
  const has = (e as { hasErrorLabel?: unknown }).hasErrorLabel;
  if (typeof has === 'function') {
    return ['TransientTransactionError', 'UnknownTransactionCommitResult', 'RetryableWriteError'].filter((l) =>
      Boolean((has as (l: string) => unknown).call(e, l)),
    );
  }
  return [];
};

export const isDuplicateKey = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && DUPLICATE_KEY_CODES.has((e as { code?: unknown }).code as number);

const sameKeys = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean => {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => kb[i] === k);
};

/**
 * Which of our unique indexes a duplicate-key error hit: from its `keyPattern`
 * when the server sends one, else from the index name in its message. Null
 * when it is not a duplicate-key error or names no index of ours.
 */
export const duplicateKeyIndex = (e: unknown): IndexName | null => {
  if (!isDuplicateKey(e)) return null;
  const pattern = (e as { keyPattern?: unknown }).keyPattern;
  if (typeof pattern === 'object' && pattern !== null) {
    const spec = INDEXES.find((i) => sameKeys(i.key, pattern as Record<string, unknown>));
    if (spec !== undefined) return spec.name;
  }
  const message = (e as { message?: unknown }).message;
  if (typeof message === 'string') {
    const match = /index: ([A-Za-z0-9_]+)/.exec(message);
    const spec = INDEXES.find((i) => i.name === match?.[1]);
    if (spec !== undefined) return spec.name;
  }
  return null;
};

export const isTransient = (e: unknown): boolean => {
  if (typeof e !== 'object' || e === null) return false;
  const labels = labelsOf(e);
  if (labels.includes('TransientTransactionError') || labels.includes('RetryableWriteError')) return true;
  const name = (e as { name?: unknown }).name;
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return true;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' && TRANSIENT_CODES.has(code);
};

/** A driver failure as StorageUnavailable: retryable when the cause is transient; the driver's message stays out. */
export const mapDriverError = (what: string, e: unknown): StorageUnavailable =>
  storageUnavailable(ADAPTER, `could not ${what} (${describeDriverError(e)})`, isTransient(e));
