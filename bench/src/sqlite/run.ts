/*
 * SQLite adapter benchmark: the standard workload (bench/src/harness.ts) plus
 * the `durability: full` variants. Run: pnpm bench:sqlite
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { createSqliteStorage, type SqliteStorageOptions } from '@palisade/storage-sqlite';
import { header, measure, printRatios, standardWorkload } from '../harness.js';
import { appendRate, scopeOf } from '../workload.js';

const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
const pluginModule = fileURLToPath(import.meta.resolve('@palisade/storage-sqlite'));

const open = (name: string, options: Omit<SqliteStorageOptions, 'path'> = {}) => {
  const path = join(dir, `${name}.db`);
  const adapter = createSqliteStorage({ path, ...options });
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  return { adapter: adapter.right, shared: { pluginModule, options: { path } } };
};

try {
  header('SQLite adapter');
  const figures = await standardWorkload({
    name: 'sqlite',
    open: (run) => Promise.resolve(open(run)),
    singleAppends: 10_000,
  });
  const batchedFull = await measure('batched appends, 100 per append (durability full)', 3, async (r) => {
    const { store, scope } = scopeOf(open(`batched-full-${r}`, { durability: 'full' }).adapter);
    const rate = await appendRate(scope, 500, 100, 'b');
    await store.close();
    return rate;
  });
  const singleFull = await measure('single-event appends (durability full)', 3, async (r) => {
    const { store, scope } = scopeOf(open(`single-full-${r}`, { durability: 'full' }).adapter);
    const rate = await appendRate(scope, 3_000, 1, 's');
    await store.close();
    return rate;
  });
  printRatios(figures);
  console.log(
    `full/normal batched ${(batchedFull / figures.batched).toFixed(2)}, full/normal single ${(singleFull / figures.single).toFixed(2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
