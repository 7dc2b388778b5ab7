import { describe, expect, it } from 'vitest';
import { describePgError, isRetryable, unavailable } from './errors.js';

/** What pg throws: an Error with the SQLSTATE in `code`, and a message and detail that may quote values. */
const pgError = (code: string, message = 'duplicate key value violates unique constraint', detail?: string) =>
  Object.assign(new Error(message), { code, ...(detail !== undefined ? { detail } : {}) });

describe('postgres error mapping', () => {
  it.each([
    ['08006', true],
    ['40001', true],
    ['40P01', true],
    ['53300', true],
    ['55P03', true],
    ['57014', true],
    ['57P01', true],
    ['57P03', true],
    ['28P01', false],
    ['3D000', false],
    ['42501', false],
    ['42P01', false],
    ['23505', false],
    ['22P02', false],
  ])('SQLSTATE %s is retryable: %s', (code, retryable) => {
    expect(isRetryable(pgError(code))).toBe(retryable);
  });

  it('treats refused and reset sockets and lost connections as retryable', () => {
    expect(isRetryable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetryable(new TypeError('x is not a function'))).toBe(false);
  });

  it('describes by code and label only, never the driver message, detail or URL', () => {
    const secret = 'hunter2-in-a-value';
    const error = pgError('23505', `Key (event_id)=(${secret}) already exists`, `Key (data)=(${secret})`);
    const mapped = unavailable('append', error);
    expect(mapped).toMatchObject({ _tag: 'StorageUnavailable', adapter: 'postgres', retryable: false });
    expect(mapped.message).toBe('postgres storage failed: could not append (SQLSTATE 23505)');
    expect(describePgError(pgError('28P01', `password authentication failed for user "${secret}"`))).toBe(
      'SQLSTATE 28P01, authentication failed',
    );
    const socket = Object.assign(new Error(`connect ECONNREFUSED postgres://app:${secret}@db`), {
      code: 'ECONNREFUSED',
    });
    expect(describePgError(socket)).toBe('ECONNREFUSED');
    expect(describePgError(new Error(`something about ${secret}`))).toBe('driver error');
    expect(describePgError('a string')).toBe('driver error');
  });
});
