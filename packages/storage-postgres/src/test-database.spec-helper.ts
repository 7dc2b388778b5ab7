/*
 * What the PostgreSQL tests need, made by the tests themselves so that a fresh
 * clone passes: the `test` database, an owner role and a runtime role (created
 * if missing, idempotently, safe when two test files race), and a fresh schema
 * per storage opened, dropped again by its cleanup.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const HOST = process.env.PALISADE_TEST_PG_HOST ?? '127.0.0.1:5432';
const DATABASE = 'test';
export const OWNER_ROLE = 'palisade_test_owner';
export const APP_ROLE = 'palisade_test_app';

export const adminUrl = (database = DATABASE): string => `postgres://postgres@${HOST}/${database}`;
export const ownerUrl = `postgres://${OWNER_ROLE}@${HOST}/${DATABASE}`;
export const appUrl = `postgres://${APP_ROLE}@${HOST}/${DATABASE}`;

/** duplicate_database, duplicate_object, and a unique violation on the catalogue when two sessions create at once. */
const ALREADY_THERE = new Set(['42P04', '42710', '23505']);

const tolerateExisting = async (run: () => Promise<unknown>): Promise<void> => {
  try {
    await run();
  } catch (e) {
    if (!ALREADY_THERE.has((e as { code?: string }).code ?? '')) throw e;
  }
};

const withAdmin = async <A>(database: string, body: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: adminUrl(database) });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
};

let ready: Promise<void> | null = null;

/** Idempotent; test files running in parallel take turns (GRANTs racing on one row fail with 'tuple concurrently updated'). */
export const ensureTestDatabase = (): Promise<void> =>
  (ready ??= (async () => {
    await withAdmin('postgres', async (admin) => {
      await admin.query(`SELECT pg_advisory_lock(hashtext('palisade-test-setup'))`);
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (found.rowCount === 0) await tolerateExisting(() => admin.query(`CREATE DATABASE ${DATABASE}`));
      for (const role of [OWNER_ROLE, APP_ROLE]) {
        await tolerateExisting(() => admin.query(`CREATE ROLE ${role} LOGIN`));
        // Whatever an earlier run left, these roles must be ordinary: RLS applies to them.
        await admin.query(`ALTER ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB`);
      }
      await admin.query(`GRANT CONNECT, CREATE ON DATABASE ${DATABASE} TO ${OWNER_ROLE}`);
      await admin.query(`GRANT CONNECT ON DATABASE ${DATABASE} TO ${APP_ROLE}`);
      await admin.query(`SELECT pg_advisory_unlock(hashtext('palisade-test-setup'))`);
    });
  })().catch((e: unknown) => {
    ready = null; // a failed set-up is tried again by the next test, not remembered
    throw e;
  }));

/** A schema name no other run or test uses. */
export const uniqueSchema = (): string => `t_${process.pid}_${randomBytes(5).toString('hex')}`;

export const dropSchema = (schema: string): Promise<void> =>
  withAdmin(DATABASE, async (admin) => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

/** Runs SQL as the superuser in the test database (to inspect or damage what the adapter stored). */
export const asAdmin = <A>(body: (client: pg.Client) => Promise<A>): Promise<A> => withAdmin(DATABASE, body);

/** Everything stored in a schema's tables, as text. */
export const storedText = (schema: string): Promise<string> =>
  asAdmin(async (admin) => {
    const parts: string[] = [];
    for (const table of ['tenants', 'streams', 'events', 'checkpoints']) {
      const rows = await admin.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}".${table} t`);
      parts.push(...rows.rows.map((r) => r.row));
    }
    return parts.join('\n');
  });
