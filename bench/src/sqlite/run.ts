/*
 * SQLite adapter benchmark: batched and single appends of 1 KiB events, tenant log
 * reads, and two processes appending to one file. Run: pnpm bench:sqlite
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { createSqliteStorage, type SqliteStorageOptions } from '@palisade/storage-sqlite';
import { appendRate, readRate, scopeOf } from './workload.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));

const open = (name: string, options: Omit<SqliteStorageOptions, 'path'> = {}) => {
  const adapter = createSqliteStorage({ path: join(dir, `${name}.db`), ...options });
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  return scopeOf(adapter.right);
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const measure = async (label: string, runs: number, body: (run: number) => Promise<number>): Promise<number> => {
  const results: number[] = [];
  for (let r = 0; r < runs; r++) results.push(await body(r));
  const m = median(results);
  console.log(`${label.padEnd(52)} ${fmt(m).padStart(10)} events/s   (runs: ${results.map(fmt).join(', ')})`);
  return m;
};

const writer = fileURLToPath(new URL('./writer.js', import.meta.url));
const runWriter = (path: string, appends: number, batch: number, name: string) =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, String(appends), String(batch), name]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve((JSON.parse(out) as { rate: number }).rate) : reject(new Error(`writer ${code}`)),
    );
  });

try {
  console.log(
    `SQLite adapter, 1 KiB events. ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}\n`,
  );
  const batched = await measure('batched appends, 100 per append (durability normal)', 3, async (r) => {
    const { store, scope } = open(`batched-${r}`);
    const rate = await appendRate(scope, 500, 100, 'b');
    await store.close();
    return rate;
  });
  const batchedFull = await measure('batched appends, 100 per append (durability full)', 3, async (r) => {
    const { store, scope } = open(`batched-full-${r}`, { durability: 'full' });
    const rate = await appendRate(scope, 500, 100, 'b');
    await store.close();
    return rate;
  });
  const single = await measure('single-event appends (durability normal)', 3, async (r) => {
    const { store, scope } = open(`single-${r}`);
    const rate = await appendRate(scope, 10_000, 1, 's');
    await store.close();
    return rate;
  });
  const singleFull = await measure('single-event appends (durability full)', 3, async (r) => {
    const { store, scope } = open(`single-full-${r}`, { durability: 'full' });
    const rate = await appendRate(scope, 3_000, 1, 's');
    await store.close();
    return rate;
  });
  const { store: readStore, scope: readScope } = open('batched-0');
  await measure(
    'tenant log reads, pages of 1,000 (50,000 events)',
    5,
    async () => (await readRate(readScope)).perSecond,
  );
  await readStore.close();
  const two = await measure('two processes appending to one file, 100 per append', 3, async (r) => {
    const path = join(dir, `shared-${r}.db`);
    open(`shared-${r}`)
      .store.close()
      .catch(() => undefined); // create the schema before the race
    const started = process.hrtime.bigint();
    await Promise.all([runWriter(path, 300, 100, 'p1'), runWriter(path, 300, 100, 'p2')]);
    return 60_000 / (Number(process.hrtime.bigint() - started) / 1e9);
  });
  console.log(
    `\nratios: batched/single ${(batched / single).toFixed(1)}x, full/normal batched ${(batchedFull / batched).toFixed(2)}, ` +
      `full/normal single ${(singleFull / single).toFixed(2)}, two processes/one ${(two / batched).toFixed(2)} (two-process figure includes process start-up)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
