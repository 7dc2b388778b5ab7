import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { classifyDeployment, hasChangeStreams } from './deployment.js';
import { MongoConfig, backoffMs, decideRetry, fromConfig, resolveOptions } from './options.js';
import { storagePlugin } from './plugin.js';

describe('mongo options', () => {
  it('fills defaults and keeps what is given', () => {
    expect(resolveOptions({ url: 'mongodb://localhost:27017/?replicaSet=rs0' })).toEqual(
      E.right({
        url: 'mongodb://localhost:27017/?replicaSet=rs0',
        client: null,
        database: 'palisade',
        collectionPrefix: 'palisade_',
        changeStreams: true,
        serverSelectionTimeoutMs: 10_000,
        maxAppendAttempts: 100,
      }),
    );
    const given = resolveOptions({
      url: 'mongodb+srv://c.example',
      database: 'p2',
      collectionPrefix: '',
      changeStreams: false,
    });
    expect(E.isRight(given) && [given.right.database, given.right.collectionPrefix, given.right.changeStreams]).toEqual(
      ['p2', '', false],
    );
  });

  it('refuses a missing or foreign url and names MongoDB would refuse, naming the field', () => {
    const cases: [Parameters<typeof resolveOptions>[0], string][] = [
      [{}, 'url'],
      [{ url: '' }, 'url'],
      [{ url: 'postgres://x' }, 'url'],
      [{ url: 'mongodb://x', database: 'a.b' }, 'database'],
      [{ url: 'mongodb://x', database: '' }, 'database'],
      [{ url: 'mongodb://x', database: 'x'.repeat(64) }, 'database'],
      [{ url: 'mongodb://x', collectionPrefix: 'bad-prefix' }, 'collection_prefix'],
      [{ url: 'mongodb://x', collectionPrefix: 'p$' }, 'collection_prefix'],
    ];
    for (const [options, path] of cases) {
      const resolved = resolveOptions(options);
      expect(E.isLeft(resolved) && resolved.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path }] });
    }
  });

  it('decodes config strictly: unknown keys and wrong types are refused with their path', () => {
    expect(E.isRight(MongoConfig.decode({ url: 'mongodb://x', database: 'd', change_streams: false }))).toBe(true);
    expect(E.isLeft(MongoConfig.decode({ url: 'mongodb://x', databse: 'd' }))).toBe(true);
    expect(E.isLeft(MongoConfig.decode({ url: 42 }))).toBe(true);
    expect(E.isLeft(MongoConfig.decode({ url: 'mongodb://x', max_append_attempts: 0 }))).toBe(true);
    expect(E.isLeft(MongoConfig.decode({}))).toBe(true);
    expect(
      fromConfig({
        url: 'mongodb://x',
        collection_prefix: 'p_',
        server_selection_timeout_ms: 500,
        max_append_attempts: 3,
      }),
    ).toEqual({ url: 'mongodb://x', collectionPrefix: 'p_', serverSelectionTimeoutMs: 500, maxAppendAttempts: 3 });
    expect(storagePlugin.kind).toBe('mongo');
    expect(storagePlugin.options).toBe(MongoConfig);
  });

  it('retries an append that met a concurrent writer, a bounded number of times', () => {
    expect(decideRetry('tenant_position', 1, 5)).toEqual(E.right({ lookUpGeneratedIds: false }));
    expect(decideRetry('tenant_event_id', 1, 5)).toEqual(E.right({ lookUpGeneratedIds: true }));
    expect(decideRetry(null, 4, 5)).toEqual(E.right({ lookUpGeneratedIds: false }));
    expect(decideRetry('tenant_stream', 5, 5)).toMatchObject({ left: { _tag: 'StorageUnavailable', retryable: true } });
    for (const [attempt, r] of [
      [1, 0],
      [1, 0.99],
      [10, 0.5],
      [1000, 0.999],
    ] as const) {
      const ms = backoffMs(attempt, () => r);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(Math.min(50, 2 * attempt));
    }
  });

  it('opens on every deployment, and knows which ones have change streams', () => {
    expect(classifyDeployment({ isWritablePrimary: true, setName: 'rs0', maxWireVersion: 21 })).toEqual(
      E.right('replica-set'),
    );
    expect(classifyDeployment({ msg: 'isdbgrid', maxWireVersion: 21 })).toEqual(E.right('sharded'));
    expect(classifyDeployment({ isWritablePrimary: true, maxWireVersion: 21 })).toEqual(E.right('standalone'));
    expect(hasChangeStreams('standalone')).toBe(false);
    expect(hasChangeStreams('replica-set') && hasChangeStreams('sharded')).toBe(true);
    expect(E.isLeft(classifyDeployment({ setName: 'rs0', maxWireVersion: 7 }))).toBe(true);
    expect(E.isLeft(classifyDeployment({ setName: 42 }))).toBe(true);
  });
});
