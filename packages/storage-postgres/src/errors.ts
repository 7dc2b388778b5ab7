import { storageUnavailable, type StorageUnavailable } from '@palisade/core';

export const ADAPTER = 'postgres';

/*
 * PostgreSQL's messages and details quote values (a unique violation names the
 * key, a cast error the text), and connection errors can echo the URL: only the
 * SQLSTATE or the socket error code ever leaves this module.
 */

/** SQLSTATEs (or their class prefix) after which the same call may well succeed. */
const RETRYABLE_STATES = [
  '08', // connection exception
  '40001', // serialization failure
  '40P01', // deadlock detected
  '53', // insufficient resources (too many connections, disk full, out of memory)
  '55P03', // lock not available (lock_timeout)
  '57014', // query cancelled (statement_timeout)
  '57P01', // admin shutdown
  '57P02', // crash shutdown
  '57P03', // cannot connect now (starting up, recovering)
  '58', // system error
];

const RETRYABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

const LABELS: Record<string, string> = {
  '28P01': 'authentication failed',
  '28000': 'the role may not connect',
  '3D000': 'the database does not exist',
  '42501': 'the role lacks a privilege',
  '42P01': 'a table is missing (is the schema migrated?)',
  '3F000': 'the schema does not exist (is it migrated?)',
  '55P03': 'a lock was not granted in time',
  '57014': 'the statement timed out',
  '53300': 'too many connections',
  '40P01': 'a deadlock was detected',
  '40001': 'a serialization failure',
};

const stateOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A pg error's SQLSTATE (five characters), or undefined for socket and client errors. */
export const sqlState = (e: unknown): string | undefined => {
  const code = stateOf(e);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/** The constraint a pg error names (a partition's index name for partitioned tables). */
export const constraintOf = (e: unknown): string => {
  const c = (e as { constraint?: unknown } | null)?.constraint;
  return typeof c === 'string' ? c : '';
};

export const isRetryable = (e: unknown): boolean => {
  const code = stateOf(e);
  if (code === undefined) {
    // pg reports a connection lost mid-query as a plain Error without a code.
    return e instanceof Error && /connection|terminat|timeout/i.test(e.message);
  }
  if (RETRYABLE_SOCKET.has(code)) return true;
  return RETRYABLE_STATES.some((s) => code.startsWith(s));
};

/** Describes a driver failure by code only: `SQLSTATE 28P01 (authentication failed)`, `ECONNREFUSED`. */
export const describePgError = (e: unknown): string => {
  const state = sqlState(e);
  if (state !== undefined) {
    const label = LABELS[state];
    return label === undefined ? `SQLSTATE ${state}` : `SQLSTATE ${state}, ${label}`;
  }
  const code = stateOf(e);
  if (code !== undefined && /^[A-Z_]+$/.test(code)) return code;
  if (e instanceof Error && /connection|terminat/i.test(e.message)) return 'connection lost';
  if (e instanceof Error && /timeout/i.test(e.message)) return 'connection timed out';
  return 'driver error';
};

export const unavailable = (what: string, e: unknown): StorageUnavailable =>
  storageUnavailable(ADAPTER, `could not ${what} (${describePgError(e)})`, isRetryable(e));
