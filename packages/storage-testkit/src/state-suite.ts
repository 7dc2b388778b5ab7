import * as fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { afterEach, beforeEach, describe, expect, it as vitestIt } from 'vitest';
import {
  applyEvents,
  defineProjection,
  everyNEvents,
  loadAggregate,
  projectionsFor,
  purgeTenant,
  stateStorageOf,
  systemStream,
  type StateKey,
  type StreamId,
  type TenantEventStore,
} from '@palisade/core';
import { collect, event, fails, ok, openStore, tenantId, type Opened } from './harness.js';
import type { ConformanceTarget } from './target.js';

const projection = (name: string, version = 1): StateKey => ({ kind: 'projection', name, version, key: '' });
const snapshot = (name: string, stream: string, version = 1): StateKey => ({
  kind: 'snapshot',
  name,
  version,
  key: stream,
});
const PURGES = systemStream('purges');

const Tally = t.type({ count: t.number, sum: t.number });
const tallyV1 = defineProjection({
  name: 'tally',
  version: 1,
  state: Tally,
  initial: { count: 0, sum: 0 },
  handlers: { E: (s, e) => ({ count: s.count + 1, sum: s.sum + (e.data as { n: number }).n }) },
});
// Counts only: a different fold, so the switch to it is visible.
const tallyV2 = defineProjection({
  ...tallyV1,
  version: 2,
  handlers: { E: (s) => ({ count: s.count + 1, sum: 0 }) },
});

/** A moment strictly between what was appended before and what is appended after. */
const cutoff = async (): Promise<Date> => {
  await sleep(5);
  const at = new Date();
  await sleep(5);
  return at;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The state store (projections, snapshots, active versions) and retention
 * purges. Part of `eventStoreConformance`: every adapter runs these too.
 */
export const stateAndRetentionConformance = (target: ConformanceTarget): void => {
  let opened: Opened;
  let acme: TenantEventStore;
  let globex: TenantEventStore;
  let supported = true;

  beforeEach(async () => {
    opened = await openStore(target);
    acme = opened.tenant('acme');
    globex = opened.tenant('globex');
    supported = E.isRight(stateStorageOf(opened.storage.adapter.forTenant(tenantId('acme')), target.name));
  });

  /*
   * An adapter written before the state store compiles without it (the port's
   * methods are optional for that reason) and is told so here, loudly; every
   * adapter is expected to implement it.
   */
  const it = (name: string, body: () => Promise<void>, timeout?: number): void =>
    vitestIt(
      name,
      async () => {
        if (!supported) {
          console.warn(`[${target.name}] DOES NOT IMPLEMENT the state store (TenantStateStorage): '${name}' not run`);
          return;
        }
        await body();
      },
      timeout,
    );
  afterEach(async () => {
    await opened.close();
  });

  describe('state store', () => {
    it('creates, reads and updates a row under optimistic concurrency', async () => {
      const key = projection('order-totals');
      expect(await ok(acme.states.load(key))).toBeNull();
      const r1 = await ok(
        acme.states.save(key, { state: { count: 1, note: 'ü\u0000' }, position: 3, purgedAt: null }, null),
      );
      expect(r1).toBe(1);
      const loaded = await ok(acme.states.load(key));
      expect(loaded).toMatchObject({ state: { count: 1, note: 'ü\u0000' }, position: 3, purgedAt: null, revision: 1 });
      expect(Number.isNaN(Date.parse(loaded!.updatedAt))).toBe(false);
      // A second creator and a stale writer both lose, and change nothing.
      expect(await ok(acme.states.save(key, { state: { count: 9 }, position: 9, purgedAt: null }, null))).toBeNull();
      expect(await ok(acme.states.save(key, { state: { count: 2 }, position: 4, purgedAt: null }, 1))).toBe(2);
      expect(await ok(acme.states.save(key, { state: { count: 7 }, position: 7, purgedAt: null }, 1))).toBeNull();
      expect(await ok(acme.states.load(key))).toMatchObject({ state: { count: 2 }, position: 4, revision: 2 });
    });

    it('lets exactly one of many concurrent writers of the same revision win', async () => {
      const key = projection('contended');
      await ok(acme.states.save(key, { state: 0, position: 0, purgedAt: null }, null));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ok(acme.states.save(key, { state: i, position: i, purgedAt: null }, 1))),
      );
      expect(results.filter((r) => r === 2)).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(7);
    });

    it('keeps kinds, names, versions and keys apart, and deletes one version only', async () => {
      const write = (n: number) => ({ state: { n }, position: n, purgedAt: null });
      await ok(acme.states.save(projection('p', 1), write(1), null));
      await ok(acme.states.save(projection('p', 2), write(2), null));
      await ok(acme.states.save(projection('q', 1), write(3), null));
      await ok(acme.states.save(snapshot('p', 'order-1', 1), write(4), null));
      await ok(acme.states.save(snapshot('p', 'order-2', 1), write(5), null));
      await ok(acme.states.save(snapshot('p', 'order-1', 2), write(6), null));
      expect((await ok(acme.states.load(projection('p', 2))))?.state).toEqual({ n: 2 });
      expect((await ok(acme.states.load(snapshot('p', 'order-2'))))?.state).toEqual({ n: 5 });
      expect(await ok(acme.states.delete('snapshot', 'p', 1))).toBe(2);
      expect(await ok(acme.states.load(snapshot('p', 'order-1', 1)))).toBeNull();
      expect((await ok(acme.states.load(snapshot('p', 'order-1', 2))))?.state).toEqual({ n: 6 });
      expect((await ok(acme.states.load(projection('p', 1))))?.state).toEqual({ n: 1 });
      expect(await ok(acme.states.delete('projection', 'p', 1))).toBe(1);
      expect((await ok(acme.states.load(projection('p', 2))))?.state).toEqual({ n: 2 });
      expect((await ok(acme.states.load(projection('q', 1))))?.state).toEqual({ n: 3 });
    });

    it('deletes a name through a version, whatever the numbers, leaving later versions, other names and tenants', async () => {
      const write = (n: number) => ({ state: { n }, position: n, purgedAt: null });
      for (const [version, n] of [
        [1, 1],
        [20250101, 2],
        [20260101, 3],
        [20270101, 4],
      ] as const) {
        await ok(acme.states.save(snapshot('cust', 'c-1', version), write(n), null));
      }
      await ok(acme.states.save(snapshot('other', 'c-1', 1), write(5), null));
      await ok(globex.states.save(snapshot('cust', 'c-1', 1), write(6), null));
      expect(await ok(acme.states.deleteThrough('snapshot', 'cust', 20260101))).toBe(3);
      for (const version of [1, 20250101, 20260101]) {
        expect(await ok(acme.states.load(snapshot('cust', 'c-1', version)))).toBeNull();
      }
      expect((await ok(acme.states.load(snapshot('cust', 'c-1', 20270101))))?.state).toEqual({ n: 4 });
      expect((await ok(acme.states.load(snapshot('other', 'c-1', 1))))?.state).toEqual({ n: 5 });
      expect((await ok(globex.states.load(snapshot('cust', 'c-1', 1))))?.state).toEqual({ n: 6 });
    });

    it('keeps state per tenant', async () => {
      const key = projection('p');
      await ok(acme.states.save(key, { state: 'acme', position: 1, purgedAt: null }, null));
      expect(await ok(globex.states.load(key))).toBeNull();
      expect(await ok(globex.states.save(key, { state: 'globex', position: 1, purgedAt: null }, null))).toBe(1);
      expect(await ok(globex.states.delete('projection', 'p', 1))).toBe(1);
      expect((await ok(acme.states.load(key)))?.state).toBe('acme');
    });

    it('switches the active version atomically, per tenant', async () => {
      expect(await ok(acme.states.activeVersion('p'))).toBeNull();
      expect(await ok(acme.states.switchActiveVersion('p', null, 1))).toBe(true);
      expect(await ok(acme.states.switchActiveVersion('p', null, 2))).toBe(false);
      const raced = await Promise.all([2, 3, 4].map((v) => ok(acme.states.switchActiveVersion('p', 1, v))));
      expect(raced.filter(Boolean)).toHaveLength(1);
      const winner = [2, 3, 4][raced.indexOf(true)];
      expect(await ok(acme.states.activeVersion('p'))).toBe(winner);
      expect(await ok(globex.states.activeVersion('p'))).toBeNull();
    });

    it('refuses bad keys with a typed error naming the path', async () => {
      const bad: [StateKey, string][] = [
        [{ kind: 'projection', name: 'bad name', version: 1, key: '' }, 'key.name'],
        [{ kind: 'projection', name: 'p', version: 0, key: '' }, 'key.version'],
        [{ kind: 'projection', name: 'p', version: 1, key: 'order-1' }, 'key.key'],
        [{ kind: 'snapshot', name: 'p', version: 1, key: '' }, 'key.key'],
        [{ kind: 'other' as 'projection', name: 'p', version: 1, key: '' }, 'key.kind'],
      ];
      for (const [key, path] of bad) {
        const error = await fails(acme.states.load(key));
        expect(error._tag).toBe('InvalidInput');
        expect(error.message).toContain(path);
      }
      const negative = await fails(acme.states.save(projection('p'), { state: 1, position: -1, purgedAt: null }, null));
      expect(negative.message).toContain('write.position');
      expect((await fails(acme.states.switchActiveVersion('p', null, 0)))._tag).toBe('InvalidInput');
    });
  });

  describe('retention purges', () => {
    it('deletes expired events in batches, oldest first, keeping stream versions and later events', async () => {
      await ok(acme.appendToStream('order-1', [event('Placed', 1), event('Paid', 2)]));
      await ok(acme.appendToStream('order-2', [event('Placed', 3)]));
      await ok(acme.appendToSystemStream(systemStream('audit'), [event('Recorded', 4)]));
      const before = await cutoff();
      await ok(acme.appendToStream('order-1', [event('Shipped', 5)]));

      const summary = await ok(acme.summarizeExpired({ before, keep: [PURGES], limit: 10 }));
      expect(summary.events).toBe(4);
      expect(summary.streamCount).toBe(3);
      expect(summary.streams).toEqual([
        { stream: '$audit', events: 1, throughVersion: 0 },
        { stream: 'order-1', events: 2, throughVersion: 1 },
        { stream: 'order-2', events: 1, throughVersion: 0 },
      ]);
      expect((await ok(acme.summarizeExpired({ before, keep: [], limit: 1 }))).streams).toHaveLength(1);
      expect(await collect(acme)).toHaveLength(5);

      const first = await ok(acme.purgeExpired({ before, limit: 3, keep: [PURGES] }));
      expect(first.deleted).toBe(3);
      const second = await ok(acme.purgeExpired({ before, limit: 3, keep: [PURGES] }));
      expect(second.deleted).toBe(1);
      const third = await ok(acme.purgeExpired({ before, limit: 3, keep: [PURGES] }));
      expect(third).toEqual({ deleted: 0, streams: [], marked: 0 });
      const purgedStreams = [...first.streams, ...second.streams];
      expect(purgedStreams.reduce((n, s) => n + s.events, 0)).toBe(4);

      const left = await ok(acme.readStream('order-1'));
      expect(left.map((e) => [e.version, e.type])).toEqual([[2, 'Shipped']]);
      expect(await ok(acme.readStream('order-2'))).toEqual([]);
      expect(await ok(acme.readStream('$audit'))).toEqual([]);
      expect(await ok(acme.streamVersion('order-1'))).toBe(2);
      expect(await ok(acme.streamVersion('order-2'))).toBe(0);
      expect((await collect(acme)).map((e) => e.position)).toEqual([5]);
      expect((await ok(acme.readStream('order-1', { direction: 'backwards' }))).map((e) => e.version)).toEqual([2]);
      // Versions continue after a purge; expected versions still hold.
      const next = await ok(acme.appendToStream('order-2', [event('Reopened', 6)], { expected: 0 }));
      expect(next.events.map((e) => [e.version, e.position])).toEqual([[1, 6]]);
      expect((await ok(acme.summarizeExpired({ before, keep: [], limit: 10 }))).events).toBe(0);
    });

    it('never purges the kept streams', async () => {
      await ok(acme.appendToSystemStream(PURGES, [event('EventsPurged', 1)]));
      await ok(acme.appendToStream('order-1', [event('Placed', 2)]));
      const before = await cutoff();
      const batch = await ok(acme.purgeExpired({ before, limit: 100, keep: [PURGES] }));
      expect(batch.streams.map((s) => s.stream)).toEqual(['order-1']);
      expect(await ok(acme.readStream(PURGES))).toHaveLength(1);
    });

    it('marks projections and the snapshots of purged streams, in the same call', async () => {
      await ok(acme.appendToStream('order-1', [event('Placed', 1)]));
      await ok(acme.appendToStream('order-2', [event('Placed', 2)]));
      const before = await cutoff();
      await ok(acme.appendToStream('order-2', [event('Paid', 3)]));
      await ok(acme.appendToStream('order-3', [event('Placed', 4)]));
      const write = (position: number) => ({ state: { position }, position, purgedAt: null });
      await ok(acme.states.save(projection('totals'), write(4), null));
      await ok(acme.states.save(projection('totals', 2), write(1), null));
      await ok(acme.states.save(snapshot('order', 'order-1'), write(0), null));
      await ok(acme.states.save(snapshot('order', 'order-2'), write(1), null));
      await ok(acme.states.save(snapshot('order', 'order-3'), write(0), null));
      await ok(globex.states.save(projection('totals'), write(0), null));

      const batch = await ok(acme.purgeExpired({ before, limit: 100, keep: [] }));
      expect(batch.deleted).toBe(2);
      expect(batch.marked).toBe(4);
      for (const key of [projection('totals'), projection('totals', 2), snapshot('order', 'order-1')]) {
        const row = await ok(acme.states.load(key));
        expect(row?.purgedAt).not.toBeNull();
        expect(row?.revision).toBe(2);
      }
      const order2 = await ok(acme.states.load(snapshot('order', 'order-2')));
      expect(order2?.purgedAt).not.toBeNull();
      const order3 = await ok(acme.states.load(snapshot('order', 'order-3')));
      expect(order3).toMatchObject({ purgedAt: null, revision: 1 });
      expect(await ok(globex.states.load(projection('totals')))).toMatchObject({ purgedAt: null, revision: 1 });
      // A writer that loaded before the purge loses its race, so the mark is never overwritten unseen.
      expect(await ok(acme.states.save(projection('totals'), write(5), 1))).toBeNull();
      // Nothing purged, nothing marked.
      const again = await ok(acme.purgeExpired({ before, limit: 100, keep: [] }));
      expect(again.marked).toBe(0);
    });

    it('counts each event once when several purgers run at the same time', async () => {
      for (let i = 0; i < 10; i++) {
        await ok(
          acme.appendToStream(
            `s-${i % 4}`,
            Array.from({ length: 10 }, (_, j) => event('E', i * 10 + j)),
          ),
        );
      }
      const before = await cutoff();
      await ok(acme.appendToStream('s-late', [event('E', 999)]));
      const purger = async (): Promise<number> => {
        let total = 0;
        for (;;) {
          const batch = await ok(acme.purgeExpired({ before, limit: 7, keep: [] }));
          total += batch.deleted;
          if (batch.deleted === 0) return total;
        }
      };
      const totals = await Promise.all([purger(), purger(), purger()]);
      expect(totals.reduce((a, b) => a + b, 0)).toBe(100);
      expect((await collect(acme)).map((e) => e.stream)).toEqual(['s-late']);
    });

    it('refuses a bad limit or date', async () => {
      expect((await fails(acme.purgeExpired({ before: new Date(), limit: 0, keep: [] })))._tag).toBe('InvalidInput');
      expect((await fails(acme.purgeExpired({ before: new Date('nope'), limit: 10, keep: [] })))._tag).toBe(
        'InvalidInput',
      );
      expect((await fails(acme.summarizeExpired({ before: new Date(), limit: 100_000, keep: [] })))._tag).toBe(
        'InvalidInput',
      );
    });

    it('purges, deletes state and rebuilds in one tenant only, never another (property)', async () => {
      const tenants = ['t-a', 't-b', 't-c'];
      const stepArb = fc.oneof(
        fc.record({
          op: fc.constant('append' as const),
          tenant: fc.constantFrom(...tenants),
          stream: fc.constantFrom('shared', 'order-1', 'x'),
          count: fc.integer({ min: 1, max: 3 }),
        }),
        fc.record({ op: fc.constant('cut' as const) }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(stepArb, { minLength: 1, maxLength: 10 }),
          fc.constantFrom(...tenants),
          fc.integer({ min: 1, max: 5 }),
          async (steps, victim, limit) => {
            const local = await openStore(target);
            try {
              // Every tenant gets a projection row and a snapshot of each stream.
              const cuts: Date[] = [];
              for (const step of steps) {
                if (step.op === 'cut') cuts.push(await cutoff());
                else
                  await ok(
                    local.tenant(step.tenant).appendToStream(
                      step.stream,
                      Array.from({ length: step.count }, (_, i) => event('E', i)),
                    ),
                  );
              }
              const before = cuts.length > 0 ? cuts[cuts.length - 1]! : new Date(Date.now() + 1000);
              const snapshotOf = new Map<string, unknown>();
              const tallyOf = new Map<string, unknown>();
              for (const name of tenants) {
                const scope = local.tenant(name);
                // Every tenant has the tally projection at version 1, built from its own log.
                await ok(projectionsFor(scope).catchUp(tallyV1));
                tallyOf.set(name, await ok(projectionsFor(scope).read(tallyV1)));
                await ok(scope.states.save(projection('p'), { state: name, position: 0, purgedAt: null }, null));
                for (const s of ['shared', 'order-1', 'x']) {
                  await ok(scope.states.save(snapshot('p', s), { state: name, position: 0, purgedAt: null }, null));
                }
                snapshotOf.set(name, await collect(scope));
              }
              const scope = local.tenant(victim);
              for (;;) {
                const batch = await ok(scope.purgeExpired({ before, limit, keep: [] }));
                if (batch.deleted === 0) break;
              }
              await ok(scope.states.delete('projection', 'p', 1));
              await ok(scope.states.delete('snapshot', 'p', 1));
              // Rebuild the victim's tally as version 2 and drop version 1: write paths of their own.
              await ok(projectionsFor(scope).rebuild(tallyV2, { pageSize: 2 }));
              await ok(projectionsFor(scope).dropVersion(tallyV2, 1));
              expect(await ok(scope.states.activeVersion('tally'))).toBe(2);
              for (const name of tenants) {
                if (name === victim) continue;
                const other = local.tenant(name);
                expect(await collect(other)).toEqual(snapshotOf.get(name));
                expect(await ok(other.states.activeVersion('tally'))).toBe(1);
                expect(await ok(projectionsFor(other).read(tallyV1))).toEqual(tallyOf.get(name));
                expect(await ok(other.states.load(projection('p')))).toMatchObject({ state: name, purgedAt: null });
                for (const s of ['shared', 'order-1', 'x']) {
                  const row = await ok(other.states.load(snapshot('p', s as StreamId)));
                  expect(row).toMatchObject({ state: name, purgedAt: null, revision: 1 });
                }
              }
            } finally {
              await local.close();
            }
          },
        ),
        { numRuns: 15 },
      );
    });
  });

  describe('projections, snapshots and purges on this adapter', () => {
    it('updates inline projections, rebuilds beside the active version and switches, per tenant', async () => {
      const acmeProjections = projectionsFor(acme);
      const inline = acmeProjections.inline([tallyV1]);
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => ok(inline.appendToStream(`s-${i % 2}`, [event('E', i), event('F', i)]))),
      );
      expect(await ok(acmeProjections.read(tallyV1))).toMatchObject({
        version: 1,
        position: 12,
        state: { count: 6, sum: 15 },
      });
      await ok(
        projectionsFor(globex)
          .inline([tallyV1])
          .appendToStream('s-0', [event('E', 100)]),
      );
      const seen: number[] = [];
      await ok(
        acmeProjections.rebuild(tallyV2, {
          pageSize: 5,
          onPage: async () => void seen.push((await ok(acmeProjections.read(tallyV2)))!.version),
        }),
      );
      expect(new Set(seen)).toEqual(new Set([1]));
      expect(await ok(acmeProjections.read(tallyV2))).toMatchObject({ version: 2, state: { count: 6, sum: 0 } });
      expect(await ok(projectionsFor(globex).read(tallyV1))).toMatchObject({ version: 1, state: { sum: 100 } });
    });

    it('runs one async projection from two runners, applying each event once', async () => {
      const acmeProjections = projectionsFor(acme);
      for (let i = 0; i < 20; i++) await ok(acme.appendToStream(`s-${i % 3}`, [event('E', 1)]));
      const a = acmeProjections.startAsync(tallyV1, { saveEvery: 3, saveAfterMs: 1, batchSize: 4 });
      const b = acmeProjections.startAsync(tallyV1, { saveEvery: 5, saveAfterMs: 1, batchSize: 6 });
      if (E.isLeft(a) || E.isLeft(b)) throw new Error('could not start');
      for (let i = 0; i < 10; i++) await ok(acme.appendToStream(`s-${i % 3}`, [event('E', 1)]));
      const deadline = Date.now() + 10_000;
      while ((await ok(acmeProjections.read(tallyV1)))?.position !== 30 && Date.now() < deadline) await sleep(10);
      await Promise.all([a.right.stop(), b.right.stop()]);
      expect(await ok(acmeProjections.read(tallyV1))).toMatchObject({ position: 30, state: { count: 30, sum: 30 } });
    });

    it('loads aggregates from snapshot plus tail equal to a full replay (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 6 }), {
            minLength: 1,
            maxLength: 6,
          }),
          fc.integer({ min: 1, max: 4 }),
          async (batches, every) => {
            const local = await openStore(target);
            try {
              const scope = local.tenant('acme');
              for (const batch of batches) {
                await ok(
                  scope.appendToStream(
                    'agg-1',
                    batch.map((n) => event('E', n)),
                  ),
                );
                const loaded = await ok(loadAggregate(scope, tallyV1, 'agg-1', { policy: everyNEvents(every) }));
                const replay = applyEvents(tallyV1, tallyV1.initial, await ok(scope.readStream('agg-1')));
                expect(E.isRight(replay) && replay.right).toEqual(loaded.state);
              }
            } finally {
              await local.close();
            }
          },
        ),
        { numRuns: 10 },
      );
    });

    it('marks state a purge left behind, records the purge, and leaves other tenants alone', async () => {
      await ok(
        projectionsFor(acme)
          .inline([tallyV1])
          .appendToStream('agg-1', [event('E', 1), event('E', 2)]),
      );
      await ok(
        projectionsFor(globex)
          .inline([tallyV1])
          .appendToStream('agg-1', [event('E', 3)]),
      );
      await ok(loadAggregate(acme, tallyV1, 'agg-1', { policy: everyNEvents(1) }));
      await ok(loadAggregate(globex, tallyV1, 'agg-1', { policy: everyNEvents(1) }));
      const now = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
      const report = await ok(purgeTenant(acme, { days: 1, batchSize: 1, now }));
      expect(report).toMatchObject({ events: 2, batches: 2, marked: 2 });
      expect((await ok(acme.readStream(PURGES))).map((e) => (e.data as { events: number }).events)).toEqual([1, 1]);
      expect((await ok(projectionsFor(acme).read(tallyV1)))?.purgedAt).not.toBeNull();
      expect((await ok(loadAggregate(acme, tallyV1, 'agg-1'))).purgedAt).not.toBeNull();
      expect((await ok(projectionsFor(globex).read(tallyV1)))?.purgedAt).toBeNull();
      expect(await ok(loadAggregate(globex, tallyV1, 'agg-1'))).toMatchObject({ purgedAt: null, state: { sum: 3 } });
      expect(await ok(globex.streamVersion(PURGES))).toBeNull();
    });
  });
};
