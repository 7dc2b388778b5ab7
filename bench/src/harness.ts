/*
 * The storage workload every adapter's benchmark runs, so figures compare:
 * batched appends of 100, single appends, tenant log reads, a subscription
 * catching up, and two OS processes appending at once. Each adapter's run
 * script supplies how to open a fresh storage (and the plugin options that open
 * the same storage from another process), then adds its own variants.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StorageAdapter } from '@palisade/core';
import { appendRate, catchUpRate, readRate, scopeOf } from './workload.js';

export interface SharedStorage {
  /** A module exporting `storagePlugin`, as a path or URL the writer process can import. */
  readonly pluginModule: string;
  readonly options: unknown;
}

export interface BenchStorage {
  readonly adapter: StorageAdapter;
  readonly shared: SharedStorage;
}

export interface BenchTarget {
  readonly name: string;
  /** A fresh, empty storage named `run` (a file, a schema). */
  open(run: string): Promise<BenchStorage>;
  readonly singleAppends: number;
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const measure = async (label: string, runs: number, body: (run: number) => Promise<number>): Promise<number> => {
  const results: number[] = [];
  for (let r = 0; r < runs; r++) results.push(await body(r));
  const m = median(results);
  console.log(`${label.padEnd(56)} ${fmt(m).padStart(10)} events/s   (runs: ${results.map(fmt).join(', ')})`);
  return m;
};

export const header = (what: string): void =>
  console.log(
    `${what}, 1 KiB events. ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}\n`,
  );

const writer = fileURLToPath(new URL('./writer.js', import.meta.url));
const runWriter = (shared: SharedStorage, appends: number, batch: number, prefix: string, tenant: string) =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [
      writer,
      shared.pluginModule,
      JSON.stringify(shared.options),
      String(appends),
      String(batch),
      prefix,
      tenant,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve((JSON.parse(out) as { rate: number }).rate) : reject(new Error(`writer ${code}`)),
    );
  });

/** Times `writers` processes appending `appends` batches of 100 each, start-up included; combined events/s. */
export const concurrentWriters = async (
  shared: SharedStorage,
  tenants: readonly string[],
  appends = 300,
): Promise<number> => {
  const started = process.hrtime.bigint();
  await Promise.all(tenants.map((tenant, i) => runWriter(shared, appends, 100, `p${i}`, tenant)));
  return (tenants.length * appends * 100) / (Number(process.hrtime.bigint() - started) / 1e9);
};

export interface StandardFigures {
  readonly batched: number;
  readonly single: number;
  readonly reads: number;
  readonly catchUp: number;
  readonly twoWriters: number;
}

export const standardWorkload = async (target: BenchTarget): Promise<StandardFigures> => {
  const opened: StorageAdapter[] = [];
  const open = async (run: string) => {
    const storage = await target.open(run);
    opened.push(storage.adapter);
    return { ...scopeOf(storage.adapter), shared: storage.shared };
  };
  try {
    const batched = await measure('batched appends, 100 per append', 3, async (r) => {
      const { store, scope } = await open(`batched-${r}`);
      const rate = await appendRate(scope, 500, 100, 'b');
      await store.close();
      return rate;
    });
    const single = await measure('single-event appends', 3, async (r) => {
      const { store, scope } = await open(`single-${r}`);
      const rate = await appendRate(scope, target.singleAppends, 1, 's');
      await store.close();
      return rate;
    });
    const { store: readStore, scope: readScope } = await open('reads');
    await appendRate(readScope, 500, 100, 'r');
    const reads = await measure(
      'tenant log reads, pages of 1,000 (50,000 events)',
      5,
      async () => (await readRate(readScope)).perSecond,
    );
    const catchUp = await measure('subscription catch-up, pages of 1,000 (50,000 events)', 3, () =>
      catchUpRate(readScope, 50_000),
    );
    await readStore.close();
    const twoWriters = await measure('two processes appending, 100 per append, one tenant', 3, async (r) => {
      const { store, shared } = await open(`shared-${r}`);
      await store.close(); // the schema or file exists before the writers race
      return concurrentWriters(shared, ['bench', 'bench']);
    });
    return { batched, single, reads, catchUp, twoWriters };
  } finally {
    await Promise.all(opened.map((a) => a.close().catch(() => undefined)));
  }
};

export const printRatios = (f: StandardFigures): void =>
  console.log(
    `\nratios: batched/single ${(f.batched / f.single).toFixed(1)}x, two processes/one ${(f.twoWriters / f.batched).toFixed(2)} ` +
      `(includes process start-up), catch-up/reads ${(f.catchUp / f.reads).toFixed(2)}`,
  );
