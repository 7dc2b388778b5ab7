import * as E from 'fp-ts/lib/Either.js';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KeyRef, KeyStore, TenantId, WrappedKey } from '@palisade/core';
import { keyStoreConformance } from '@palisade/storage-testkit';
import { createPostgresKeyStore } from './key-store.js';
import { storagePlugin } from './plugin.js';
import { migrate } from './schema.js';
import {
  adminUrl,
  appUrl,
  APP_ROLE,
  asAdmin,
  dropSchema,
  ensureTestDatabase,
  ownerUrl,
  uniqueSchema,
} from './test-database.spec-helper.js';

/** Every key row of every tenant, read by the superuser (row-level security does not apply to it). */
const storedKeys = (schema: string): Promise<string> =>
  asAdmin(async (admin) => {
    const rows = await admin.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}".data_keys t`);
    return rows.rows.map((r) => r.row).join('\n');
  });

keyStoreConformance({
  name: 'postgres',
  open: async () => {
    await ensureTestDatabase();
    const schema = uniqueSchema();
    const store = await createPostgresKeyStore({ url: appUrl, migrationUrl: ownerUrl, schema, partitions: 4 })();
    if (E.isLeft(store)) throw new Error(store.left.message);
    return {
      store: store.right,
      storedText: () => storedKeys(schema),
      cleanup: () => dropSchema(schema),
    };
  },
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => ensureTestDatabase());

const open = async (): Promise<{ store: KeyStore; schema: string }> => {
  const schema = uniqueSchema();
  cleanups.push(() => dropSchema(schema));
  const store = await createPostgresKeyStore({ url: appUrl, migrationUrl: ownerUrl, schema, partitions: 4 })();
  if (E.isLeft(store)) throw new Error(store.left.message);
  cleanups.push(() => store.right.close());
  return { store: store.right, schema };
};

const client = async (url: string): Promise<pg.Client> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  cleanups.push(() => c.end());
  return c;
};

const ok = async <A>(task: () => Promise<E.Either<{ message: string }, A>>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const key = (ref: string, material: string): WrappedKey => ({
  ref: ref as KeyRef,
  material,
  kekId: 'kek-1',
  createdAt: '2026-01-01T00:00:00.000Z',
});
const acme = 'acme' as TenantId;
const globex = 'globex' as TenantId;

/** The materials a role sees in one transaction with `palisade.tenant` set to `tenant` (or not set at all). */
const materialsSeenBy = async (c: pg.Client, schema: string, tenant: string | null): Promise<string[]> => {
  await c.query('BEGIN');
  try {
    if (tenant !== null) await c.query(`SELECT set_config('palisade.tenant', $1, true)`, [tenant]);
    const rows = await c.query<{ material: string }>(`SELECT material FROM "${schema}".data_keys ORDER BY material`);
    return rows.rows.map((r) => r.material);
  } finally {
    await c.query('ROLLBACK');
  }
};

describe('postgres key store', () => {
  it('lets the runtime role see and write only the tenant set for its transaction (row-level security)', async () => {
    const { store, schema } = await open();
    await ok(store.forTenant(acme).putIfAbsent(key('s:a', 'AcmeMaterial')));
    await ok(store.forTenant(globex).putIfAbsent(key('s:a', 'GlobexMaterial')));
    const app = await client(appUrl);
    // No WHERE on tenant: the policy alone decides.
    expect(await materialsSeenBy(app, schema, 'globex')).toEqual(['GlobexMaterial']);
    expect(await materialsSeenBy(app, schema, 'acme')).toEqual(['AcmeMaterial']);
    expect(await materialsSeenBy(app, schema, null)).toEqual([]);
    // Writing another tenant's row, or reading a partition directly, is refused.
    await app.query('BEGIN');
    await app.query(`SELECT set_config('palisade.tenant', 'globex', true)`);
    await expect(
      app.query(`INSERT INTO "${schema}".data_keys VALUES ('acme', 's:x', 'Evil', 'k', 'now')`),
    ).rejects.toMatchObject({ code: '42501' });
    await app.query('ROLLBACK');
    await expect(app.query(`SELECT * FROM "${schema}".data_keys_p0`)).rejects.toMatchObject({ code: '42501' });
    // The runtime role cannot change a key in place (no UPDATE privilege): a key is put once and destroyed.
    await app.query('BEGIN');
    await app.query(`SELECT set_config('palisade.tenant', 'acme', true)`);
    await expect(app.query(`UPDATE "${schema}".data_keys SET material = 'X'`)).rejects.toMatchObject({
      code: '42501',
    });
    await app.query('ROLLBACK');
  });

  it("destroys one tenant's key and leaves another tenant's key of the same ref", async () => {
    const { store, schema } = await open();
    await ok(store.forTenant(acme).putIfAbsent(key('s:a', 'AcmeMaterial')));
    await ok(store.forTenant(globex).putIfAbsent(key('s:a', 'GlobexMaterial')));
    expect(await ok(store.forTenant(globex).destroy('s:a' as KeyRef))).toBe(true);
    expect(await ok(store.forTenant(globex).get('s:a' as KeyRef))).toBeNull();
    expect(await ok(store.forTenant(acme).get('s:a' as KeyRef))).toEqual(key('s:a', 'AcmeMaterial'));
    // Checked with the owner role too, each tenant in its own transaction (FORCE: the owner is under the policy).
    const owner = await client(ownerUrl);
    expect(await materialsSeenBy(owner, schema, 'globex')).toEqual([]);
    expect(await materialsSeenBy(owner, schema, 'acme')).toEqual(['AcmeMaterial']);
    expect(await storedKeys(schema)).not.toContain('GlobexMaterial');
  });

  it('refuses a stored row that does not decode, without quoting it', async () => {
    const { store, schema } = await open();
    await asAdmin((admin) =>
      admin.query(`INSERT INTO "${schema}".data_keys VALUES ('acme', 's:a', 'not base64!', 'k', 'x')`),
    );
    const got = await store.forTenant(acme).get('s:a' as KeyRef)();
    expect(E.isLeft(got) && got.left.message).toContain('malformed');
    expect(E.isLeft(got) && got.left.message).not.toContain('not base64');
  });

  it('refuses a runtime role that row-level security would not apply to', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const got = await createPostgresKeyStore({ url: adminUrl(), migrationUrl: ownerUrl, schema })();
    expect(E.isLeft(got) && got.left.message).toContain('BYPASSRLS');
  });

  it('is what the storage plugin builds from the storage options', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const options = storagePlugin.options.decode({ url: appUrl, migration_url: ownerUrl, schema, partitions: 2 });
    if (E.isLeft(options)) throw new Error('options');
    const store = await ok(storagePlugin.createKeyStore!(options.right, { baseDir: process.cwd() }));
    cleanups.push(() => store.close());
    const k = key('s:a', 'PluginMaterial');
    expect(await ok(store.forTenant(acme).putIfAbsent(k))).toEqual(k);
  });

  it('adds its table to a schema created earlier, with the partition count the schema was created with', async () => {
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const owner = await client(ownerUrl);
    await migrate(owner, schema, APP_ROLE, { partitions: 3 });
    // Back to version 2, as a schema made before the key store was.
    await owner.query(`DROP TABLE "${schema}".data_keys; DELETE FROM "${schema}".schema_migrations WHERE version > 2`);
    const outcome = await migrate(owner, schema, APP_ROLE);
    expect(outcome).toEqual({ from: 2, to: 3 });
    const parts = await owner.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM pg_inherits WHERE inhparent = $1::regclass`,
      [`"${schema}".data_keys`],
    );
    expect(parts.rows[0]!.n).toBe(3);
  });
});
