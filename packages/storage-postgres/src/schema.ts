import type { ClientBase } from 'pg';

/*
 * The schema, as numbered migrations applied by the owner role.
 *
 * - Every table is keyed by tenant first and HASH-partitioned by tenant: tenants
 *   appear at run time, and the runtime role cannot run DDL, so LIST partitions
 *   (one per tenant) would need a migration per new tenant. Hash partitions
 *   spread tenants over a fixed set of smaller tables and indexes; every query
 *   names its tenant, so it is pruned to one partition at plan time.
 * - Row-level security is the second wall behind the tenant in every WHERE: a
 *   row is visible only when `palisade.tenant`, set per transaction, names its
 *   tenant. FORCE applies the policies even to the table owner. Partitions get
 *   RLS with no policy (deny all) and no grants: reached directly rather than
 *   through their parent they show nothing.
 * - Payloads are `text` holding the JSON the event store serialised: `jsonb`
 *   refuses NUL characters and lone surrogates, which the contract keeps byte
 *   for byte.
 */

/** Hash partitions per table when the schema is created; later migrations never change the count. */
export const DEFAULT_PARTITIONS = 16;

/** The tables the runtime role may use, with the privileges it gets on each. */
const RUNTIME_GRANTS: readonly (readonly [table: string, privileges: string])[] = [
  ['tenants', 'SELECT, INSERT, UPDATE'],
  ['streams', 'SELECT, INSERT, UPDATE'],
  // DELETE only for retention purges; events are never updated.
  ['events', 'SELECT, INSERT, DELETE'],
  ['checkpoints', 'SELECT, INSERT, UPDATE'],
  ['states', 'SELECT, INSERT, UPDATE, DELETE'],
  ['active_versions', 'SELECT, INSERT, UPDATE'],
  // No UPDATE: a key is written once and destroyed, never changed (an update would leave the old material behind).
  ['data_keys', 'SELECT, INSERT, DELETE'],
];

const partitioned = (schema: string, partitions: number, table: string, columns: string): string => {
  const parts = Array.from(
    { length: partitions },
    (_, i) =>
      `CREATE TABLE ${schema}.${table}_p${i} PARTITION OF ${schema}.${table} FOR VALUES WITH (MODULUS ${partitions}, REMAINDER ${i});
       ALTER TABLE ${schema}.${table}_p${i} ENABLE ROW LEVEL SECURITY;
       ALTER TABLE ${schema}.${table}_p${i} FORCE ROW LEVEL SECURITY;`,
  );
  return `
    CREATE TABLE ${schema}.${table} (${columns}) PARTITION BY HASH (tenant_id);
    ${parts.join('\n')}
    ALTER TABLE ${schema}.${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${schema}.${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON ${schema}.${table}
      USING (tenant_id = current_setting('palisade.tenant', true))
      WITH CHECK (tenant_id = current_setting('palisade.tenant', true));`;
};

/** Migration n (1-based) is MIGRATIONS[n - 1]; `schema` is already a quoted identifier. Append only. */
const MIGRATIONS: readonly ((schema: string, partitions: number) => string)[] = [
  (s, n) => `
    ${partitioned(
      s,
      n,
      'tenants',
      `tenant_id text COLLATE "C" NOT NULL,
       last_position bigint NOT NULL,
       PRIMARY KEY (tenant_id)`,
    )}
    ${partitioned(
      s,
      n,
      'streams',
      `tenant_id text COLLATE "C" NOT NULL,
       stream_id text COLLATE "C" NOT NULL,
       version bigint NOT NULL,
       PRIMARY KEY (tenant_id, stream_id)`,
    )}
    ${partitioned(
      s,
      n,
      'events',
      `tenant_id text COLLATE "C" NOT NULL,
       stream_id text COLLATE "C" NOT NULL,
       version bigint NOT NULL,
       position bigint NOT NULL,
       event_id uuid NOT NULL,
       type text COLLATE "C" NOT NULL,
       data text NOT NULL,
       metadata text NOT NULL,
       content_hash text NOT NULL,
       recorded_at timestamptz NOT NULL,
       PRIMARY KEY (tenant_id, stream_id, version),
       UNIQUE (tenant_id, position),
       UNIQUE (tenant_id, event_id)`,
    )}
    ${partitioned(
      s,
      n,
      'checkpoints',
      `tenant_id text COLLATE "C" NOT NULL,
       subscriber_id text COLLATE "C" NOT NULL,
       position bigint NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (tenant_id, subscriber_id)`,
    )}`,
  // Projections, snapshots and retention. Purges find a tenant's oldest events by time.
  (s, n) => `
    CREATE INDEX events_by_time ON ${s}.events (tenant_id, recorded_at, position);
    ${partitioned(
      s,
      n,
      'states',
      `tenant_id text COLLATE "C" NOT NULL,
       kind text COLLATE "C" NOT NULL,
       name text COLLATE "C" NOT NULL,
       version integer NOT NULL,
       key text COLLATE "C" NOT NULL,
       state text NOT NULL,
       position bigint NOT NULL,
       purged_at text,
       revision bigint NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (tenant_id, kind, name, version, key)`,
    )}
    ${partitioned(
      s,
      n,
      'active_versions',
      `tenant_id text COLLATE "C" NOT NULL,
       name text COLLATE "C" NOT NULL,
       version integer NOT NULL,
       updated_at timestamptz NOT NULL,
       PRIMARY KEY (tenant_id, name)`,
    )}`,
  // 3: the key store's wrapped data keys (crypto-shredding). `created_at` is text: the ISO string comes back as
  // stored. Autovacuum at the first dead row: a destroyed key's row version lingers in its page until vacuumed.
  (s, n) => `
    ${partitioned(
      s,
      n,
      'data_keys',
      `tenant_id text COLLATE "C" NOT NULL,
       key_ref text COLLATE "C" NOT NULL,
       material text NOT NULL,
       kek_id text NOT NULL,
       created_at text NOT NULL,
       PRIMARY KEY (tenant_id, key_ref)`,
    )}
    ${Array.from(
      { length: n },
      (_, i) =>
        `ALTER TABLE ${s}.data_keys_p${i} SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0);`,
    ).join('\n')}`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Quotes an identifier the way PostgreSQL does (the name is validated before it gets here, this is the second guard). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export interface MigrationOutcome {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings `schema` to SCHEMA_VERSION and grants the runtime role what it needs.
 * Runs in one transaction under an advisory lock keyed by the schema name, so
 * two processes starting together apply each migration once: the second waits,
 * then finds nothing to do. Idempotent: running it again changes nothing.
 */
export const migrate = async (
  client: ClientBase,
  schema: string,
  runtimeRole: string,
  options: { readonly partitions?: number } = {},
): Promise<MigrationOutcome> => {
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new RangeError('partitions must be an integer from 1 to 1024');
  }
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`palisade-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await client.query<{ version: number | null }>(
      `SELECT max(version)::integer AS version FROM ${s}.schema_migrations`,
    );
    const from = current.rows[0]?.version ?? 0;
    // A schema created earlier keeps its partition count: later migrations partition new tables the same way.
    const count =
      from === 0
        ? partitions
        : Number(
            (
              await client.query<{ n: string }>(
                `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = $1::regclass`,
                [`${s}.events`],
              )
            ).rows[0]?.n ?? partitions,
          );
    for (let v = from; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!(s, count));
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [v + 1]);
    }
    const role = quoteIdent(runtimeRole);
    await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
    await client.query(`GRANT SELECT ON ${s}.schema_migrations TO ${role}`);
    for (const [table, privileges] of RUNTIME_GRANTS) {
      await client.query(`GRANT ${privileges} ON ${s}.${table} TO ${role}`);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, MIGRATIONS.length) };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
};
