import * as E from 'fp-ts/lib/Either.js';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStore, createRuntime, parseConfig, type StateKey, type StorageAdapter } from '@palisade/core';
import { collect, fails, ok, tenantId, waitFor } from '@palisade/storage-testkit';
import { storagePlugin } from './plugin.js';
import { createPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
import { SCHEMA_VERSION, migrate } from './schema.js';
import {
  APP_ROLE,
  adminUrl,
  appUrl,
  asAdmin,
  dropSchema,
  ensureTestDatabase,
  ownerUrl,
  uniqueSchema,
} from './test-database.spec-helper.js';

/*
 * What the PostgreSQL adapter promises beyond the shared contract: row-level
 * security as a second wall, refusal of unsafe roles, migrations that two
 * processes may race, wake-ups across processes, and a log that no reader can
 * read past a transaction that commits late.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => ensureTestDatabase());

const open = async (
  overrides: Partial<PostgresStorageOptions> = {},
): Promise<{ adapter: StorageAdapter; schema: string }> => {
  const schema = overrides.schema ?? uniqueSchema();
  if (overrides.schema === undefined) cleanups.push(() => dropSchema(schema));
  const adapter = await createPostgresStorage({ url: appUrl, migrationUrl: ownerUrl, schema, ...overrides })();
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  cleanups.push(() => adapter.right.close());
  return { adapter: adapter.right, schema };
};

const client = async (url: string): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  cleanups.push(() => c.end());
  return c;
};

const count = async (c: pg.Client, sql: string): Promise<number> =>
  Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`)).rows[0]!.n);

const event = (n: number) => ({ type: 'E', data: { n } });
const STATE_KEY: StateKey = { kind: 'projection', name: 'p', version: 1, key: '' };

describe('postgres: row-level security', () => {
  it('keeps interleaved tenants apart on a pool of one connection, the tenant set per transaction', async () => {
    const { adapter, schema } = await open({ poolSize: 1 });
    const store = new EventStore(adapter);
    cleanups.push(() => store.close());
    const acme = store.forTenant(tenantId('acme'));
    const globex = store.forTenant(tenantId('globex'));
    // All of these queue on the one connection, alternating tenants from one transaction to the next.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ok((i % 2 === 0 ? acme : globex).appendToStream(`s-${i % 3}`, [event(i), event(i)])),
      ),
    );
    for (const scope of [acme, globex]) {
      await ok(scope.states.save(STATE_KEY, { state: scope.tenant, position: 1, purgedAt: null }, null));
      expect(await ok(scope.states.switchActiveVersion('p', null, 1))).toBe(true);
    }
    const [a, g] = await Promise.all([collect(acme), collect(globex)]);
    expect(a.map((e) => e.position)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(g.map((e) => e.position)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const reads = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ok((i % 2 === 0 ? acme : globex).readLog({ limit: 100 }))),
    );
    reads.forEach((page, i) =>
      expect(page.events.every((e) => e.tenant === (i % 2 === 0 ? 'acme' : 'globex'))).toBe(true),
    );

    const s = `"${schema}"`;
    const app = await client(appUrl);
    // Without the tenant setting the runtime role sees no row at all, in any table.
    for (const table of ['events', 'streams', 'tenants', 'states', 'active_versions']) {
      expect(await count(app, `${s}.${table}`)).toBe(0);
    }
    await app.query(`BEGIN; SELECT set_config('palisade.tenant', 'acme', true)`);
    expect(await count(app, `${s}.events`)).toBe(10);
    // Naming another tenant in the WHERE does not get past the policy.
    expect(await count(app, `${s}.events WHERE tenant_id = 'globex'`)).toBe(0);
    const forged = await app
      .query(`INSERT INTO ${s}.streams (tenant_id, stream_id, version) VALUES ('globex', 'forged', 0)`)
      .then(
        () => 'inserted',
        (e: { code?: string }) => e.code,
      );
    expect(forged).toBe('42501');
    await app.query('ROLLBACK');
    // The setting was local to that transaction: the same session sees nothing again.
    expect(await count(app, `${s}.events`)).toBe(0);
    // A partition reached directly rather than through its parent is not granted.
    const direct = await app.query(`SELECT * FROM ${s}.events_p0`).then(
      () => 'read',
      (e: { code?: string }) => e.code,
    );
    expect(direct).toBe('42501');
    expect(await asAdmin((admin) => count(admin, `${s}.events`))).toBe(20);
    expect(await asAdmin((admin) => count(admin, `${s}.states`))).toBe(2);
    expect((await ok(globex.states.load(STATE_KEY)))?.state).toBe('globex');
  });

  it('refuses a runtime role that is a superuser (it would bypass RLS), without echoing the URL', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const result = await createPostgresStorage({ url: adminUrl(), migrationUrl: ownerUrl, schema })();
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
    expect(E.isLeft(result) && result.left.message).toContain('BYPASSRLS');
    expect(JSON.stringify(result)).not.toContain('postgres://');
  });

  it('refuses a runtime role that owns the tables (it could turn RLS off)', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const result = await createPostgresStorage({ url: ownerUrl, migrationUrl: ownerUrl, schema })();
    expect(E.isLeft(result) && result.left.message).toContain('owns');
  });
});

describe('postgres: connections and errors', () => {
  it('maps an unreachable server to a retryable StorageUnavailable that names no password', async () => {
    const result = await createPostgresStorage({
      url: 'postgres://palisade_test_app:hunter2-password@127.0.0.1:1/test',
      connectTimeoutMs: 2000,
    })();
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'StorageUnavailable',
      code: 'PALISADE_STORAGE_UNAVAILABLE',
      retryable: true,
    });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it('maps a missing database to a StorageUnavailable that is not retryable', async () => {
    const result = await createPostgresStorage({ url: 'postgres://palisade_test_app@127.0.0.1:5432/no_such_db_x' })();
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
    expect(E.isLeft(result) && result.left.message).toContain('3D000');
  });

  it('refuses to start on a schema that is not migrated when it has no owner URL', async () => {
    const result = await createPostgresStorage({ url: appUrl, schema: uniqueSchema() })();
    expect(E.isLeft(result) && result.left.message).toContain('not migrated');
  });

  it('refuses a schema name that is not a plain identifier, naming the option', async () => {
    const result = await createPostgresStorage({ url: appUrl, schema: 'x"; DROP TABLE y; --' })();
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'ConfigInvalid', issues: [{ path: 'schema' }] });
  });

  it('refuses a stored row that does not decode, rather than hand it out', async () => {
    const { adapter, schema } = await open();
    const store = new EventStore(adapter);
    const acme = store.forTenant(tenantId('acme'));
    await ok(acme.appendToStream('s-1', [event(1)]));
    for (const damage of [`type = 'not a type'`, `metadata = '[1]'`, `data = '{not json'`]) {
      await asAdmin((admin) => admin.query(`UPDATE "${schema}".events SET ${damage} WHERE tenant_id = 'acme'`));
      const read = await fails(acme.readLog());
      expect(read).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
      expect(read.message).toContain("a stored row in 'events' is malformed");
      await asAdmin((admin) =>
        admin.query(
          `UPDATE "${schema}".events SET type = 'E', metadata = '{}', data = '{"n":1}' WHERE tenant_id = 'acme'`,
        ),
      );
    }
  });
});

describe('postgres: migrations', () => {
  it('applies each migration once when two processes migrate together, and again is a no-op', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const [one, two] = [await client(ownerUrl), await client(ownerUrl)];
    const outcomes = await Promise.all([migrate(one, schema, APP_ROLE), migrate(two, schema, APP_ROLE)]);
    expect(outcomes.map((o) => o.to)).toEqual([SCHEMA_VERSION, SCHEMA_VERSION]);
    expect(outcomes.map((o) => o.from).sort()).toEqual([0, SCHEMA_VERSION]);
    expect(await migrate(one, schema, APP_ROLE)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    expect(await count(one, `"${schema}".schema_migrations`)).toBe(SCHEMA_VERSION);
    // Two adapters starting together on a fresh schema both open.
    const fresh = uniqueSchema();
    cleanups.push(() => dropSchema(fresh));
    const both = await Promise.all([0, 1].map(() => open({ schema: fresh })));
    expect(both).toHaveLength(2);
  });
});

describe('postgres: retention', () => {
  it('purges in batches by deleting rows found through the (tenant, recorded_at) index, never a tenant-wide scan', async () => {
    const { adapter, schema } = await open();
    const store = new EventStore(adapter);
    cleanups.push(() => store.close());
    const acme = store.forTenant(tenantId('acme'));
    for (let i = 0; i < 5; i++) await ok(acme.appendToStream(`s-${i}`, [event(i), event(i)]));
    const plan = await asAdmin(async (admin) => {
      await admin.query(`BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off`);
      const explained = await admin.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT stream_id, version FROM "${schema}".events
         WHERE tenant_id = 'acme' AND recorded_at < now() AND stream_id <> ALL('{}'::text[])
         ORDER BY recorded_at, position LIMIT 3`,
      );
      await admin.query('ROLLBACK');
      return explained.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using events_p\d+_tenant_id_recorded_at_position_idx/);
    expect(plan).not.toMatch(/Sort/);
    const batch = await ok(acme.purgeExpired({ before: new Date(Date.now() + 1000), limit: 3, keep: [] }));
    expect(batch.deleted).toBe(3);
    expect((await collect(acme)).map((e) => e.position)).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('postgres: concurrent appends sharing an event id', () => {
  it('stores the event once and names the id in every other append, even when they race past the id check', async () => {
    const { adapter } = await open();
    const store = new EventStore(adapter);
    cleanups.push(() => store.close());
    const acme = store.forTenant(tenantId('acme'));
    const id = '7d2c1f4e-5b6a-4c3d-8e9f-0a1b2c3d4e5f';
    // Ten open connections first, then ten appends to different streams, so no stream lock orders them: several
    // pass the id lookup before the first commits, meet the unique key, and are run again.
    await Promise.all(Array.from({ length: 10 }, () => ok(acme.readLog())));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => acme.appendToStream(`dup-${i}`, [{ id, type: 'E', data: { n: 1 } }])()),
    );
    expect(results.filter(E.isRight)).toHaveLength(1);
    for (const r of results.filter(E.isLeft)) {
      expect(r.left).toMatchObject({ _tag: 'DuplicateEventId', eventId: id });
    }
    expect(await collect(acme)).toHaveLength(1);
  });
});

describe('postgres: log order and visibility', () => {
  it('never lets a log reader pass a transaction that commits late', async () => {
    const { adapter, schema } = await open();
    const store = new EventStore(adapter, { pollIntervalMs: 20 });
    cleanups.push(() => store.close());
    const acme = store.forTenant(tenantId('acme'));
    await ok(acme.appendToStream('first', [event(1)]));

    // A slow writer: takes the next position the way an append does, writes its event, and does not commit yet.
    const s = `"${schema}"`;
    const slow = await client(appUrl);
    await slow.query(`BEGIN; SELECT set_config('palisade.tenant', 'acme', true)`);
    const taken = await slow.query<{ p: string }>(
      `UPDATE ${s}.tenants SET last_position = last_position + 1 WHERE tenant_id = 'acme' RETURNING last_position AS p`,
    );
    expect(Number(taken.rows[0]!.p)).toBe(2);
    await slow.query(
      `INSERT INTO ${s}.streams (tenant_id, stream_id, version) VALUES ('acme', 'slow', 0);
       INSERT INTO ${s}.events (tenant_id, stream_id, version, position, event_id, type, data, metadata, content_hash, recorded_at)
       VALUES ('acme', 'slow', 0, 2, gen_random_uuid(), 'Slow', '{}', '{}', 'h', now())`,
    );

    const seen: number[] = [];
    const subscription = acme.subscribe({ handler: (e) => void seen.push(e.position) });
    if (E.isLeft(subscription)) throw new Error(subscription.left.message);
    const fast = Promise.all(Array.from({ length: 5 }, (_, i) => ok(acme.appendToStream(`fast-${i}`, [event(i)]))));
    await waitFor(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    // Nothing past position 1 is visible while position 2 is uncommitted: the fast appends queue behind it.
    expect(seen).toEqual([1]);
    expect((await ok(acme.readLog())).events.map((e) => e.position)).toEqual([1]);

    await slow.query('COMMIT');
    await fast;
    await waitFor(() => seen.length === 7);
    await subscription.right.stop();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('postgres: live subscriptions across processes', () => {
  it('wakes a subscriber through LISTEN/NOTIFY, and again after its listening connection is killed', async () => {
    const { adapter: reader, schema } = await open();
    const { adapter: writer } = await open({ schema });
    // Polling every minute: only a notification can deliver within the test's time.
    const readStore = new EventStore(reader, { pollIntervalMs: 60_000 });
    const writeStore = new EventStore(writer);
    cleanups.push(() => readStore.close());
    cleanups.push(() => writeStore.close());
    const seen: number[] = [];
    const subscription = readStore
      .forTenant(tenantId('acme'))
      .subscribe({ handler: (e) => void seen.push(e.position) });
    if (E.isLeft(subscription)) throw new Error(subscription.left.message);
    const listenerUp = () =>
      asAdmin((admin) =>
        count(admin, `pg_stat_activity WHERE application_name = 'palisade-listener' AND query LIKE '%${schema}%'`),
      );
    for (let i = 0; i < 200 && (await listenerUp()) === 0; i++) await new Promise((r) => setTimeout(r, 25));

    await ok(writeStore.forTenant(tenantId('acme')).appendToStream('s-1', [event(1)]));
    await waitFor(() => seen.length === 1, 5_000);

    await asAdmin((admin) =>
      admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'palisade-listener' AND query LIKE '%${schema}%'`,
      ),
    );
    await ok(writeStore.forTenant(tenantId('acme')).appendToStream('s-1', [event(2)]));
    await waitFor(() => seen.length === 2, 10_000);
    await subscription.right.stop();
    expect(seen).toEqual([1, 2]);
  });
});

describe('postgres: storage plugin', () => {
  it('opens from config through createRuntime', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const config = parseConfig(
      JSON.stringify({
        storage: { kind: 'postgres', url: appUrl, migration_url: ownerUrl, schema, pool_size: 2, durability: 'normal' },
      }),
      'palisade.config.json',
    );
    if (E.isLeft(config)) throw new Error(config.left.message);
    const runtime = await createRuntime(config.right, { storagePlugins: [storagePlugin] })();
    if (E.isLeft(runtime)) throw new Error(runtime.left.message);
    cleanups.push(() => runtime.right.close());
    const acme = runtime.right.forTenant(tenantId('acme'));
    await ok(acme.appendToStream('order-1', [event(1)]));
    expect((await ok(acme.readStream('order-1'))).map((e) => e.data)).toEqual([{ n: 1 }]);
  });

  it('refuses bad options with the path, never the value', async () => {
    const cases: readonly [Record<string, unknown>, string][] = [
      [{ url: 'mysql://secret-host/db' }, 'storage.url'],
      [{ url: appUrl, pool_size: 0 }, 'storage.pool_size'],
      [{ url: appUrl, schema: 'Bad-Name' }, 'storage.schema'],
      [{ url: appUrl, colour: 'blue' }, 'storage.colour'],
      [{ url: appUrl, durability: 'fast' }, 'storage.durability'],
      [{}, 'storage.url'],
    ];
    for (const [options, path] of cases) {
      const runtime = await createRuntime(
        { storage: { kind: 'postgres', ...options } },
        { storagePlugins: [storagePlugin] },
      )();
      expect(E.isLeft(runtime) && runtime.left).toMatchObject({ _tag: 'ConfigInvalid' });
      const issues = E.isLeft(runtime) && runtime.left._tag === 'ConfigInvalid' ? runtime.left.issues : [];
      expect(issues.map((i) => i.path)).toContain(path);
      expect(JSON.stringify(runtime)).not.toContain('secret-host');
    }
  });
});
