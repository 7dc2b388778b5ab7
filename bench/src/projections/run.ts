/*
 * Snapshots and retention: aggregate loads from a snapshot plus a short tail
 * versus full replays, for streams of 10, 1,000 and 100,000 events; and purge
 * throughput. SQLite adapter, 1 KiB events. Run: pnpm bench:projections
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  createMemoryStorage,
  defineProjection,
  everyNEvents,
  loadAggregate,
  neverSnapshot,
  purgeTenant,
  TenantId,
  type StorageAdapter,
  type TenantEventStore,
} from '@palisade/core';
import { createSqliteStorage } from '@palisade/storage-sqlite';
import { oneKiBEvent, scopeOf } from '../workload.js';

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const DAY = 24 * 60 * 60 * 1000;
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-proj-'));

const must = async <A>(task: () => Promise<E.Either<{ message: string }, A>>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const tenant = (raw: string): TenantId => {
  const id = TenantId.decode(raw);
  if (E.isLeft(id)) throw new Error('bad tenant id');
  return id.right;
};

const sqlite = (name: string): StorageAdapter => {
  const adapter = createSqliteStorage({ path: join(dir, `${name}.db`) });
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  return adapter.right;
};

/** The aggregate: calls and tokens of one agent conversation. */
const conversation = defineProjection({
  name: 'conversation',
  version: 1,
  state: t.type({ calls: t.number, tokens: t.number }),
  initial: { calls: 0, tokens: 0 },
  handlers: {
    ToolCallCompleted: (s, e) => ({
      calls: s.calls + 1,
      tokens: s.tokens + (e.data as { tokens: { prompt: number } }).tokens.prompt,
    }),
  },
});
/** The same fold under another version: it has no snapshots, so it replays. */
const replayOnly = defineProjection({ ...conversation, version: 2 });

const fill = async (scope: TenantEventStore, stream: string, count: number): Promise<void> => {
  for (let i = 0; i < count; i += 1000) {
    const n = Math.min(1000, count - i);
    await must(
      scope.appendToStream(
        stream,
        Array.from({ length: n }, (_, j) => oneKiBEvent(i + j)),
      ),
    );
  }
};

/** Median milliseconds of `runs` calls. */
const time = async (runs: number, body: () => Promise<void>): Promise<number> => {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = process.hrtime.bigint();
    await body();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(ms);
};

const TAIL = 5;

try {
  console.log(
    `Snapshots and retention, SQLite, 1 KiB events. ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}\n`,
  );
  const { store, scope } = scopeOf(sqlite('loads'));
  console.log(`aggregate loads (snapshot ${TAIL} events behind the head, versus a full replay), median ms:`);
  console.log(
    `${'events'.padStart(8)} ${'full replay'.padStart(12)} ${'snapshot+tail'.padStart(14)} ${'ratio'.padStart(8)}`,
  );
  for (const size of [10, 1_000, 100_000]) {
    const stream = `conv-${size}`;
    await fill(scope, stream, size - TAIL);
    // Take the snapshot at the head, then append the tail it will not cover.
    await must(loadAggregate(scope, conversation, stream, { policy: everyNEvents(1) }));
    await fill(scope, stream, TAIL);
    const runs = size >= 100_000 ? 5 : 25;
    const full = await time(runs, async () => {
      const v = await must(loadAggregate(scope, replayOnly, stream, { policy: neverSnapshot }));
      if (v.eventsRead !== size) throw new Error('full replay read the wrong count');
    });
    const snap = await time(runs, async () => {
      const v = await must(loadAggregate(scope, conversation, stream, { policy: neverSnapshot }));
      if (v.eventsRead !== TAIL || v.state.calls !== size) throw new Error('snapshot load is wrong');
    });
    console.log(
      `${fmt(size).padStart(8)} ${fmt(full, 2).padStart(12)} ${fmt(snap, 2).padStart(14)} ${`${fmt(full / snap, 1)}x`.padStart(8)}`,
    );
  }
  await store.close();

  console.log('\npurge throughput (every event past retention; 50 streams; a second tenant untouched):');
  for (const [label, open] of [
    ['sqlite', (r: number) => sqlite(`purge-${r}`)],
    ['memory', () => createMemoryStorage()],
  ] as const) {
    for (const batchSize of [1_000, 10_000]) {
      const rates: number[] = [];
      for (let r = 0; r < 3; r++) {
        const { store: purgeStore, scope: victim } = scopeOf(open(r * 10 + batchSize), 'victim');
        const other = purgeStore.forTenant(tenant('other'));
        const total = 100_000;
        for (let s = 0; s < 50; s++) await fill(victim, `conv-${s}`, total / 50);
        await fill(other, 'conv-0', 1_000);
        const started = process.hrtime.bigint();
        const report = await must(purgeTenant(victim, { days: 1, batchSize, now: new Date(Date.now() + 2 * DAY) }));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (report.events !== total) throw new Error(`purged ${report.events}, expected ${total}`);
        const left = await must(other.readLog({ limit: 10_000 }));
        if (left.events.length !== 1_000) throw new Error('the other tenant lost events');
        rates.push(total / seconds);
        await purgeStore.close();
      }
      console.log(
        `${`${label}, batches of ${fmt(batchSize)}`.padEnd(32)} ${fmt(median(rates)).padStart(10)} events/s   (runs: ${rates.map((x) => fmt(x)).join(', ')})`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
