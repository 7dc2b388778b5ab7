import { describe, expect, it } from 'vitest';
import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { duplicateKeyIndex, isDuplicateKey, isTransient, mapDriverError } from './errors.js';
import { INDEXES } from './schema.js';

// The driver's own error classes, built from the replies a server sends.
const duplicate = (extra: Record<string, unknown>) =>
  new MongoServerError({
    ok: 0,
    code: 11000,
    codeName: 'DuplicateKey',
    errmsg:
      'E11000 duplicate key error collection: palisade.palisade_commits index: tenant_event_id dup key: { tenant: "acme", eventIds: "secret-ish" }',
    ...extra,
  });

describe('mongo driver error mapping', () => {
  it('names the unique index a duplicate key hit, from its key pattern', () => {
    for (const spec of INDEXES) {
      expect(duplicateKeyIndex(duplicate({ keyPattern: spec.key, errmsg: 'E11000' }))).toBe(spec.name);
    }
  });

  it('falls back to the index name in the message, and to null for indexes not ours', () => {
    expect(duplicateKeyIndex(duplicate({}))).toBe('tenant_event_id');
    expect(duplicateKeyIndex(duplicate({ errmsg: 'E11000 duplicate key error index: _id_ dup key' }))).toBeNull();
    expect(duplicateKeyIndex(new MongoServerError({ ok: 0, code: 112, errmsg: 'WriteConflict' }))).toBeNull();
    expect(isDuplicateKey(duplicate({}))).toBe(true);
    expect(isDuplicateKey(new Error('x'))).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });

  it('treats write conflicts, elections and lost connections as retryable', () => {
    expect(isTransient(new MongoServerError({ ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'w' }))).toBe(true);
    expect(
      isTransient(new MongoServerError({ ok: 0, code: 251, errmsg: 'x', errorLabels: ['TransientTransactionError'] })),
    ).toBe(true);
    expect(isTransient(new MongoServerError({ ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'n' }))).toBe(
      true,
    );
    expect(isTransient(new MongoNetworkError('connection reset'))).toBe(true);
    expect(isTransient(new MongoServerError({ ok: 0, code: 2, codeName: 'BadValue', errmsg: 'b' }))).toBe(false);
    expect(isTransient(duplicate({}))).toBe(false);
    expect(isTransient('text')).toBe(false);
  });

  it("never copies the driver's message, which can quote keys or hosts", () => {
    const error = mapDriverError('append', duplicate({}));
    expect(error).toMatchObject({ _tag: 'StorageUnavailable', code: 'PALISADE_STORAGE_UNAVAILABLE', retryable: false });
    expect(error.message).toBe('mongo storage failed: could not append (MongoServerError 11000)');
    const selection = new MongoServerSelectionError('connect ECONNREFUSED mongodb://user:hunter2@db:27017', {
      type: 'Unknown',
      servers: new Map(),
      stale: false,
      compatible: true,
      heartbeatFrequencyMS: 10_000,
      localThresholdMS: 15,
      setName: null,
      maxElectionId: null,
      maxSetVersion: null,
      commonWireVersion: 0,
      logicalSessionTimeoutMinutes: null,
    } as never);
    const mapped = mapDriverError('connect', selection);
    expect(mapped.retryable).toBe(true);
    expect(mapped.message).not.toContain('hunter2');
    expect(mapped.message).not.toContain('db:27017');
  });
});
