import * as fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PalisadeError } from '../errors.js';
import { EventStore, type TenantEventStore } from '../event-store.js';
import type { TenantId } from '../ids.js';
import { createMemoryStorage } from '../memory-storage.js';
import { applyEvents, defineProjection } from './projection.js';
import { everyNEvents, loadAggregate, neverSnapshot } from './snapshots.js';
import { projectionsFor, type TenantProjections } from './tenant-projections.js';

const ok = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(`expected success, got ${r.left._tag}: ${r.left.message}`);
  return r.right;
};
const fails = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<PalisadeError> => {
  const r = await task();
  if (E.isRight(r)) throw new Error('expected a failure');
  return r.left;
};
const waitFor = async (condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const Totals = t.type({ orders: t.number, total: t.number });
const totalsV1 = defineProjection({
  name: 'order-totals',
  version: 1,
  state: Totals,
  initial: { orders: 0, total: 0 },
  handlers: {
    Placed: (s, e) => ({ orders: s.orders + 1, total: s.total + (e.data as { amount: number }).amount }),
  },
});
// Version 2 counts refunds too: same shape, different result, so a switch is visible.
const totalsV2 = defineProjection({
  ...totalsV1,
  version: 2,
  handlers: {
    ...totalsV1.handlers,
    Refunded: (s, e) => ({ ...s, total: s.total - (e.data as { amount: number }).amount }),
  },
});
const placed = (amount: number) => ({ type: 'Placed', data: { amount } });

describe('projections', () => {
  let store: EventStore;
  let acme: TenantEventStore;
  let globex: TenantEventStore;
  let projections: TenantProjections;

  beforeEach(() => {
    store = new EventStore(createMemoryStorage(), { pollIntervalMs: 10 });
    acme = store.forTenant('acme' as TenantId);
    globex = store.forTenant('globex' as TenantId);
    projections = projectionsFor(acme);
  });
  afterEach(async () => {
    await store.close();
  });

  it('refuses a bad declaration at start-up', () => {
    expect(() => defineProjection({ ...totalsV1, name: 'bad name' })).toThrow(TypeError);
    expect(() => defineProjection({ ...totalsV1, version: 0 })).toThrow(TypeError);
    expect(() => defineProjection({ ...totalsV1, initial: { orders: 'x' } as never })).toThrow(TypeError);
  });

  describe('inline', () => {
    it('updates the projection right after each append, per tenant', async () => {
      const inline = projections.inline([totalsV1]);
      const r = await ok(inline.appendToStream('order-1', [placed(10), placed(5)]));
      expect(r.projections[0]!.result).toEqual(E.right({ outcome: 'updated', position: 2, applied: 2 }));
      await ok(inline.appendToStream('order-2', [{ type: 'Other', data: {} }, placed(1)]));
      expect(await ok(projections.read(totalsV1))).toEqual({
        state: { orders: 3, total: 16 },
        version: 1,
        position: 4,
        purgedAt: null,
      });
      expect(await ok(projectionsFor(globex).read(totalsV1))).toBeNull();
    });

    it('applies events appended without it (a crash between append and update) on the next catch-up', async () => {
      await ok(acme.appendToStream('order-1', [placed(7)]));
      await ok(projections.inline([totalsV1]).appendToStream('order-2', [placed(3)]));
      expect((await ok(projections.read(totalsV1)))?.state).toEqual({ orders: 2, total: 10 });
    });

    it('loses no update when appends race', async () => {
      const inline = projections.inline([totalsV1]);
      await Promise.all(Array.from({ length: 12 }, (_, i) => ok(inline.appendToStream(`order-${i}`, [placed(1)]))));
      expect((await ok(projections.read(totalsV1)))?.state).toEqual({ orders: 12, total: 12 });
    });

    it('keeps the append when a handler throws, and reports the failure without the payload', async () => {
      const broken = defineProjection({
        ...totalsV1,
        name: 'broken',
        handlers: {
          Placed: () => {
            throw new Error('secret-value-123');
          },
        },
      });
      const r = await ok(projections.inline([broken]).appendToStream('order-1', [placed(1)]));
      const failure = r.projections[0]!.result;
      expect(E.isLeft(failure) && failure.left).toMatchObject({ _tag: 'ProjectionFailed', reason: 'handler' });
      expect(JSON.stringify(failure)).not.toContain('secret-value-123');
      expect(await ok(acme.streamVersion('order-1'))).toBe(0);
    });
  });

  describe('rebuilds', () => {
    it('builds the new version beside the old one; readers keep the old one until the atomic switch', async () => {
      const inline = projections.inline([totalsV1]);
      await ok(inline.appendToStream('order-1', [placed(10), { type: 'Refunded', data: { amount: 4 } }]));
      for (let i = 0; i < 5; i++) await ok(inline.appendToStream(`order-${i + 2}`, [placed(1)]));
      const seenDuring: number[] = [];
      const result = await ok(
        projections.rebuild(totalsV2, {
          pageSize: 2,
          onPage: async () => {
            const view = await ok(projections.read(totalsV2));
            seenDuring.push(view!.version);
            expect(view!.state).toEqual({ orders: 6, total: 15 });
          },
        }),
      );
      expect(seenDuring.length).toBeGreaterThan(2);
      expect(new Set(seenDuring)).toEqual(new Set([1]));
      expect(result).toMatchObject({ previousVersion: 1, version: 2, position: 7, events: 7 });
      expect(await ok(projections.read(totalsV2))).toMatchObject({ version: 2, state: { orders: 6, total: 11 } });
      // Old code's inline updates now skip; new code's apply.
      const old = await ok(inline.appendToStream('order-9', [placed(1)]));
      expect(old.projections[0]!.result).toEqual(E.right({ outcome: 'skipped', position: 0, applied: 0 }));
      await ok(projections.inline([totalsV2]).appendToStream('order-10', [placed(1)]));
      expect((await ok(projections.read(totalsV2)))?.state).toEqual({ orders: 8, total: 13 });
      expect((await fails(projections.rebuild(totalsV2)))._tag).toBe('ProjectionFailed');
      expect((await fails(projections.dropVersion(totalsV2, 2)))._tag).toBe('ProjectionFailed');
      expect(await ok(projections.dropVersion(totalsV2, 1))).toBe(1);
    });

    it('rebuilds in one tenant only', async () => {
      await ok(projections.inline([totalsV1]).appendToStream('order-1', [placed(2)]));
      await ok(
        projectionsFor(globex)
          .inline([totalsV1])
          .appendToStream('order-1', [placed(5)]),
      );
      await ok(projections.rebuild(totalsV2));
      expect(await ok(projectionsFor(globex).read(totalsV1))).toMatchObject({ version: 1, state: { total: 5 } });
      expect(await ok(acme.states.activeVersion('order-totals'))).toBe(2);
      expect(await ok(globex.states.activeVersion('order-totals'))).toBe(1);
    });
  });

  describe('async', () => {
    it('follows the log from a durable checkpoint and resumes after a restart', async () => {
      let calls = 0;
      const counted = defineProjection({
        ...totalsV1,
        handlers: { Placed: (s, e) => (calls++, totalsV1.handlers.Placed!(s, e)) },
      });
      const first = projections.startAsync(counted, { saveEvery: 3, saveAfterMs: 5 });
      if (E.isLeft(first)) throw new Error(first.left.message);
      for (let i = 0; i < 7; i++) await ok(acme.appendToStream(`order-${i}`, [placed(i)]));
      await waitFor(() => first.right.position() === 7);
      await first.right.stop();
      expect(await first.right.done).toEqual(E.right('stopped'));
      expect(await ok(projections.read(counted))).toMatchObject({ position: 7, state: { orders: 7, total: 21 } });
      expect(calls).toBe(7);
      await ok(acme.appendToStream('order-x', [placed(100)]));
      const second = projections.startAsync(counted, { saveAfterMs: 1 });
      if (E.isLeft(second)) throw new Error(second.left.message);
      await waitFor(() => second.right.position() === 8);
      await second.right.stop();
      expect(calls).toBe(8);
      expect((await ok(projections.read(counted)))?.state).toEqual({ orders: 8, total: 121 });
    });

    it('two runners of one projection apply every event exactly once', async () => {
      for (let i = 0; i < 40; i++) await ok(acme.appendToStream(`order-${i % 5}`, [placed(1)]));
      const a = projections.startAsync(totalsV1, { saveEvery: 4, saveAfterMs: 1, batchSize: 7 });
      const b = projections.startAsync(totalsV1, { saveEvery: 3, saveAfterMs: 1, batchSize: 5 });
      if (E.isLeft(a) || E.isLeft(b)) throw new Error('start failed');
      for (let i = 0; i < 20; i++) await ok(acme.appendToStream(`order-${i % 5}`, [placed(1)]));
      await waitFor(async () => (await ok(projections.read(totalsV1)))?.position === 60);
      await Promise.all([a.right.stop(), b.right.stop()]);
      expect((await ok(projections.read(totalsV1)))?.state).toEqual({ orders: 60, total: 60 });
    });

    it('a bumped version builds beside the active one and switches when caught up', async () => {
      await ok(
        projections
          .inline([totalsV1])
          .appendToStream('order-1', [placed(9), { type: 'Refunded', data: { amount: 9 } }]),
      );
      const runner = projections.startAsync(totalsV2, { saveAfterMs: 1 });
      if (E.isLeft(runner)) throw new Error(runner.left.message);
      await waitFor(async () => (await ok(acme.states.activeVersion('order-totals'))) === 2);
      expect((await ok(projections.read(totalsV2)))?.state).toEqual({ orders: 1, total: 0 });
      await runner.right.stop();
      // The old version's runner stops by itself: it has been superseded.
      const old = projections.startAsync(totalsV1);
      if (E.isLeft(old)) throw new Error(old.left.message);
      expect(await old.right.done).toEqual(E.right('superseded'));
    });

    it('a running runner stops by itself once a newer version is switched in', async () => {
      await ok(acme.appendToStream('order-1', [placed(1)]));
      const runner = projections.startAsync(totalsV1, { saveEvery: 1, saveAfterMs: 1 });
      if (E.isLeft(runner)) throw new Error(runner.left.message);
      await waitFor(() => runner.right.position() === 1);
      await ok(projections.rebuild(totalsV2));
      await ok(acme.appendToStream('order-2', [placed(1)]));
      expect(await runner.right.done).toEqual(E.right('superseded'));
      expect((await ok(projections.read(totalsV2)))?.version).toBe(2);
    });

    it('refuses bad options', () => {
      expect(E.isLeft(projections.startAsync(totalsV1, { saveEvery: 0 }))).toBe(true);
    });
  });

  describe('snapshots', () => {
    const Sum = t.type({ count: t.number, sum: t.number, last: t.union([t.number, t.null]) });
    const account = defineProjection({
      name: 'account',
      version: 1,
      state: Sum,
      initial: { count: 0, sum: 0, last: null },
      handlers: {
        Deposited: (s, e) => ({ count: s.count + 1, sum: s.sum + (e.data as { n: number }).n, last: e.version }),
        Withdrawn: (s, e) => ({ count: s.count + 1, sum: s.sum - (e.data as { n: number }).n, last: e.version }),
      },
    });

    it('state from snapshot plus tail equals a full replay (property)', async () => {
      const eventArb = fc.record({
        type: fc.constantFrom('Deposited', 'Withdrawn', 'Ignored'),
        data: fc.record({ n: fc.integer({ min: -1000, max: 1000 }) }),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(eventArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 5 }),
          async (batches, every, pageSize) => {
            const local = new EventStore(createMemoryStorage());
            try {
              const scope = local.forTenant('acme' as TenantId);
              for (const batch of batches) {
                await ok(scope.appendToStream('account-1', batch));
                const loaded = await ok(
                  loadAggregate(scope, account, 'account-1', { policy: everyNEvents(every), pageSize }),
                );
                const all = await ok(scope.readStream('account-1'));
                const replayed = applyEvents(account, account.initial, all);
                expect(E.isRight(replayed) && replayed.right).toEqual(loaded.state);
                expect(loaded.streamVersion).toBe(all.length - 1);
                expect(loaded.gap).toBe(false);
                const full = await ok(loadAggregate(scope, { ...account, version: 99 }, 'account-1'));
                expect(full.state).toEqual(loaded.state);
              }
            } finally {
              await local.close();
            }
          },
        ),
        { numRuns: 60 },
      );
    });

    it('reads only the events after the snapshot', async () => {
      const deposits = Array.from({ length: 25 }, (_, n) => ({ type: 'Deposited', data: { n } }));
      await ok(acme.appendToStream('account-1', deposits));
      const first = await ok(loadAggregate(acme, account, 'account-1', { policy: everyNEvents(10) }));
      expect(first).toMatchObject({ eventsRead: 25, snapshotVersion: null, snapshotTaken: true, streamVersion: 24 });
      await ok(acme.appendToStream('account-1', deposits.slice(0, 3)));
      const second = await ok(loadAggregate(acme, account, 'account-1', { policy: everyNEvents(10) }));
      expect(second).toMatchObject({ eventsRead: 3, snapshotVersion: 24, snapshotTaken: false, streamVersion: 27 });
      expect(second.state.sum).toBe(300 + 3);
      const none = await ok(loadAggregate(acme, account, 'account-2', { policy: neverSnapshot }));
      expect(none).toMatchObject({ state: account.initial, streamVersion: null, eventsRead: 0 });
      expect((await fails(loadAggregate(acme, account, 'bad stream')))._tag).toBe('InvalidInput');
      // Snapshots are the tenant's: another tenant's same stream replays from nothing.
      expect((await ok(loadAggregate(globex, account, 'account-1'))).streamVersion).toBeNull();
    });

    it('refuses a stored snapshot that does not decode, naming the path only', async () => {
      await ok(acme.appendToStream('account-1', [{ type: 'Deposited', data: { n: 1 } }]));
      await ok(
        acme.states.save(
          { kind: 'snapshot', name: 'account', version: 1, key: 'account-1' },
          { state: { count: 'secret-text', sum: 0, last: null }, position: 0, purgedAt: null },
          null,
        ),
      );
      const error = await fails(loadAggregate(acme, account, 'account-1'));
      expect(error).toMatchObject({ _tag: 'ProjectionFailed', reason: 'state_invalid' });
      expect(error.message).toContain('state.count');
      expect(error.message).not.toContain('secret-text');
    });
  });

  describe('after a retention purge', () => {
    it('projections and snapshots say so, and a rebuild starts clean from what remains', async () => {
      const inline = projections.inline([totalsV1]);
      await ok(inline.appendToStream('order-1', [placed(10), placed(20)]));
      const account = defineProjection({
        name: 'order',
        version: 1,
        state: t.number,
        initial: 0,
        handlers: { Placed: (s) => s + 1 },
      });
      await ok(loadAggregate(acme, account, 'order-1', { policy: everyNEvents(1) }));
      await new Promise((r) => setTimeout(r, 5));
      const before = new Date();
      await new Promise((r) => setTimeout(r, 5));
      await ok(inline.appendToStream('order-1', [placed(1)]));
      await ok(acme.purgeExpired({ before, limit: 100, keep: [] }));

      expect((await ok(projections.read(totalsV1)))?.purgedAt).not.toBeNull();
      const aggregate = await ok(loadAggregate(acme, account, 'order-1'));
      expect(aggregate.purgedAt).not.toBeNull();
      expect(aggregate).toMatchObject({ state: 3, eventsRead: 1, gap: false });
      // Without its snapshot the stream replays with a gap, and says so.
      const fresh = await ok(loadAggregate(acme, { ...account, version: 2 }, 'order-1'));
      expect(fresh).toMatchObject({ state: 1, gap: true, snapshotVersion: null });
      // Inline updates carry the mark forward.
      await ok(inline.appendToStream('order-2', [placed(2)]));
      expect(await ok(projections.read(totalsV1))).toMatchObject({ state: { orders: 4, total: 33 } });
      expect((await ok(projections.read(totalsV1)))?.purgedAt).not.toBeNull();
      await ok(projections.rebuild(totalsV2));
      expect(await ok(projections.read(totalsV2))).toMatchObject({ purgedAt: null, state: { orders: 2, total: 3 } });
    });
  });
});

describe('an adapter without the state store', () => {
  it('refuses projections and purges with StorageUnavailable naming the adapter', async () => {
    const memory = createMemoryStorage();
    const bare = {
      ...memory,
      name: 'legacy',
      forTenant: (tenant: TenantId) => {
        const {
          loadState: _a,
          saveState: _b,
          deleteStates: _c,
          loadActiveVersion: _d,
          switchActiveVersion: _e,
          purgeExpired: _f,
          summarizeExpired: _g,
          ...rest
        } = memory.forTenant(tenant);
        return rest;
      },
    };
    const store = new EventStore(bare);
    const scope = store.forTenant('acme' as TenantId);
    await ok(scope.appendToStream('order-1', [placed(1)]));
    const read = await fails(projectionsFor(scope).read(totalsV1));
    expect(read).toMatchObject({ _tag: 'StorageUnavailable', adapter: 'legacy', retryable: false });
    expect((await fails(scope.purgeExpired({ before: new Date(), limit: 10, keep: [] })))._tag).toBe(
      'StorageUnavailable',
    );
    expect((await fails(loadAggregate(scope, totalsV1, 'order-1')))._tag).toBe('StorageUnavailable');
    await store.close();
  });
});
