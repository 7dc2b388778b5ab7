import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TenantId } from '@palisade/core';
import { EventStoreConfig, backoffMs, fromConfig, resolveOptions } from './options.js';
import { storagePlugin } from './plugin.js';
import { retentionMetadata, tenantRetention } from './retention.js';
import { streamNames } from './stream-names.js';

describe('eventstore options', () => {
  it('fills defaults, keeps what is given, and accepts KurrentDB schemes', () => {
    expect(resolveOptions({ connectionString: 'esdb://localhost:2113?tls=false' })).toEqual(
      E.right({
        connectionString: 'esdb://localhost:2113?tls=false',
        maxAppendAttempts: 100,
        readBatchSize: 500,
        liveSubscriptions: true,
        namespace: null,
      }),
    );
    const kurrent = resolveOptions({ connectionString: 'kurrentdb+discover://c.example:2113', namespace: 'prod_eu' });
    expect(E.isRight(kurrent) && [kurrent.right.connectionString, kurrent.right.namespace]).toEqual([
      'esdb+discover://c.example:2113',
      'prod_eu',
    ]);
  });

  it('refuses bad values, naming the field', () => {
    const cases: [Parameters<typeof resolveOptions>[0], string][] = [
      [{ connectionString: 'http://localhost:2113' }, 'connection_string'],
      [{ connectionString: '' }, 'connection_string'],
      [{ connectionString: 'esdb://x', namespace: 'Has-Dash' }, 'namespace'],
      [{ connectionString: 'esdb://x', namespace: 'a#b' }, 'namespace'],
      [{ connectionString: 'esdb://x', namespace: '' }, 'namespace'],
      [{ connectionString: 'esdb://x', readBatchSize: 0 }, 'read_batch_size'],
      [{ connectionString: 'esdb://x', readBatchSize: 20_000 }, 'read_batch_size'],
    ];
    for (const [options, path] of cases) {
      const resolved = resolveOptions(options);
      expect(E.isLeft(resolved) && resolved.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path }] });
    }
  });

  it('decodes config strictly and maps it to options', () => {
    expect(E.isRight(EventStoreConfig.decode({ connection_string: 'esdb://x', namespace: 'n' }))).toBe(true);
    expect(E.isLeft(EventStoreConfig.decode({ connection_string: 'esdb://x', conection: 1 }))).toBe(true);
    expect(E.isLeft(EventStoreConfig.decode({ connection_string: 'esdb://x', read_batch_size: -1 }))).toBe(true);
    expect(E.isLeft(EventStoreConfig.decode({}))).toBe(true);
    expect(
      fromConfig({ connection_string: 'esdb://x', max_append_attempts: 3, live_subscriptions: false, namespace: 'n' }),
    ).toEqual({ connectionString: 'esdb://x', maxAppendAttempts: 3, liveSubscriptions: false, namespace: 'n' });
    expect(storagePlugin.kind).toBe('eventstore');
    expect(storagePlugin.options).toBe(EventStoreConfig);
  });

  it('backs off a jittered, capped time between attempts (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const ms = backoffMs(n, () => r);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(Math.min(50, 2 * n));
      }),
    );
  });
});

describe('eventstore retention metadata', () => {
  it('maps a policy to $maxAge, $maxCount and $tb on the tenant log', () => {
    expect(retentionMetadata({ maxAgeSeconds: 86_400, maxCount: 10, truncateBeforePosition: 101 })).toEqual(
      E.right({ maxAge: 86_400, maxCount: 10, truncateBefore: 100 }),
    );
    expect(retentionMetadata({})).toEqual(E.right({}));
    expect(tenantRetention(streamNames('ns'), 'acme' as TenantId, { maxAgeSeconds: 60 })).toEqual(
      E.right({ stream: 'ns#~log-acme', metadata: { maxAge: 60 } }),
    );
  });

  it('refuses values that are not positive integers, naming them', () => {
    for (const [policy, path] of [
      [{ maxAgeSeconds: 0 }, 'maxAgeSeconds'],
      [{ maxCount: 1.5 }, 'maxCount'],
      [{ truncateBeforePosition: -3 }, 'truncateBeforePosition'],
    ] as const) {
      const result = retentionMetadata(policy);
      expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path }] });
    }
  });
});
