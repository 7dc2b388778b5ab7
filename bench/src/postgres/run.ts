/*
 * PostgreSQL adapter benchmark: the standard workload (bench/src/harness.ts),
 * plus two processes appending for two different tenants (a tenant's appends
 * queue on its position counter; different tenants do not). Each run gets its
 * own schema, dropped at the end. Run: pnpm bench:postgres
 *
 * PALISADE_BENCH_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test)
 * is used only to create the two bench roles if missing and to drop the schemas;
 * the adapter runs as palisade_bench_app and migrates as palisade_bench_owner.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import pg from 'pg';
import { createPostgresStorage } from '@palisade/storage-postgres';
import { concurrentWriters, header, measure, printRatios, standardWorkload } from '../harness.js';
import { appendRate, scopeOf } from '../workload.js';

const adminUrl = new URL(process.env.PALISADE_BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const roleUrl = (role: string): string => {
  const url = new URL(adminUrl);
  url.username = role;
  return url.toString();
};
const OWNER = 'palisade_bench_owner';
const APP = 'palisade_bench_app';
const ownerUrl = roleUrl(OWNER);
const appUrl = roleUrl(APP);
const pluginModule = fileURLToPath(import.meta.resolve('@palisade/storage-postgres'));
const prefix = `bench_${randomBytes(3).toString('hex')}`;
const schemas: string[] = [];

const admin = new pg.Client({ connectionString: adminUrl.toString() });
await admin.connect();

const setUp = async (): Promise<void> => {
  const database = adminUrl.pathname.slice(1);
  for (const role of [OWNER, APP]) {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0) await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS`);
  }
  await admin.query(`GRANT CONNECT, CREATE ON DATABASE "${database}" TO ${OWNER}`);
  await admin.query(`GRANT CONNECT ON DATABASE "${database}" TO ${APP}`);
};

const open = async (run: string, durability: 'full' | 'normal' = 'full') => {
  const schema = `${prefix}_${run.replace(/-/g, '_')}`;
  schemas.push(schema);
  const adapter = await createPostgresStorage({ url: appUrl, migrationUrl: ownerUrl, schema, durability })();
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  return {
    adapter: adapter.right,
    shared: { pluginModule, options: { url: appUrl, migration_url: ownerUrl, schema } },
  };
};

try {
  await setUp();
  const settings = await admin.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'shared_buffers', 'wal_level') ORDER BY name`,
  );
  header(`PostgreSQL adapter (${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')})`);
  const figures = await standardWorkload({ name: 'postgres', open: (run) => open(run), singleAppends: 2_000 });
  const batchedNormal = await measure('batched appends, 100 per append (durability normal)', 3, async (r) => {
    const { store, scope } = scopeOf((await open(`batched-normal-${r}`, 'normal')).adapter);
    const rate = await appendRate(scope, 500, 100, 'b');
    await store.close();
    return rate;
  });
  const singleNormal = await measure('single-event appends (durability normal)', 3, async (r) => {
    const { store, scope } = scopeOf((await open(`single-normal-${r}`, 'normal')).adapter);
    const rate = await appendRate(scope, 2_000, 1, 's');
    await store.close();
    return rate;
  });
  const twoTenants = await measure('two processes appending, 100 per append, two tenants', 3, async (r) => {
    const { adapter, shared } = await open(`tenants-${r}`);
    await adapter.close();
    return concurrentWriters(shared, ['bench-a', 'bench-b']);
  });
  printRatios(figures);
  console.log(
    `two tenants/one tenant (two processes) ${(twoTenants / figures.twoWriters).toFixed(2)}, ` +
      `normal/full batched ${(batchedNormal / figures.batched).toFixed(2)}, normal/full single ${(singleNormal / figures.single).toFixed(2)}`,
  );
} finally {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
