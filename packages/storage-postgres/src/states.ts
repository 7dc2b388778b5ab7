import * as E from 'fp-ts/lib/Either.js';
import type pg from 'pg';
import type {
  ExpirySummary,
  PurgeBatch,
  PurgeOptions,
  StateKey,
  StateKind,
  StateWrite,
  StorageError,
  StoredState,
  StreamId,
  TenantId,
} from '@palisade/core';
import {
  STATE_COLUMNS,
  decodeAll,
  decodeDeletedRow,
  decodeExpiredRow,
  decodeStateRow,
  decodeTotalsRow,
  decodeVersion,
} from './rows.js';

/*
 * The state store (projection state, snapshots, active versions) and retention
 * purges, as statements over one tenant. Each function runs inside the
 * adapter's per-tenant transaction (tenant setting, row-level security), so it
 * only ever sees its tenant's rows; every statement names the tenant as well.
 */

type Named = (what: string) => string;

/** Parameters $1 to $8 of a state write: the row's key, then its state, position and purge mark. */
const stateRowValues = (tenant: TenantId, key: StateKey, write: StateWrite): unknown[] => [
  tenant,
  key.kind,
  key.name,
  key.version,
  key.key,
  JSON.stringify(write.state),
  write.position,
  write.purgedAt,
];

export const stateStatements = (s: string, n: Named) => ({
  load: (tenant: TenantId, key: StateKey): pg.QueryConfig => ({
    name: n('load-state'),
    text: `SELECT ${STATE_COLUMNS} FROM ${s}.states
           WHERE tenant_id = $1 AND kind = $2 AND name = $3 AND version = $4 AND key = $5`,
    values: [tenant, key.kind, key.name, key.version, key.key],
  }),
  create: (tenant: TenantId, key: StateKey, write: StateWrite): pg.QueryConfig => ({
    name: n('create-state'),
    text: `INSERT INTO ${s}.states (tenant_id, kind, name, version, key, state, position, purged_at, revision, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, now())
           ON CONFLICT (tenant_id, kind, name, version, key) DO NOTHING
           RETURNING revision`,
    values: stateRowValues(tenant, key, write),
  }),
  // Compare-and-set on the revision: a writer queued behind another re-checks the revision on the row it then
  // sees (READ COMMITTED re-evaluates the WHERE), so exactly one writer of a revision wins.
  update: (tenant: TenantId, key: StateKey, write: StateWrite, revision: number): pg.QueryConfig => ({
    name: n('update-state'),
    text: `UPDATE ${s}.states SET state = $6, position = $7, purged_at = $8, revision = revision + 1, updated_at = now()
           WHERE tenant_id = $1 AND kind = $2 AND name = $3 AND version = $4 AND key = $5 AND revision = $9
           RETURNING revision`,
    values: [...stateRowValues(tenant, key, write), revision],
  }),
  deleteAll: (tenant: TenantId, kind: StateKind, name: string, version: number): pg.QueryConfig => ({
    name: n('delete-states'),
    text: `DELETE FROM ${s}.states WHERE tenant_id = $1 AND kind = $2 AND name = $3 AND version = $4`,
    values: [tenant, kind, name, version],
  }),
  deleteThrough: (tenant: TenantId, kind: StateKind, name: string, throughVersion: number): pg.QueryConfig => ({
    name: n('delete-states-through'),
    text: `DELETE FROM ${s}.states WHERE tenant_id = $1 AND kind = $2 AND name = $3 AND version <= $4`,
    values: [tenant, kind, name, throughVersion],
  }),
  loadActive: (tenant: TenantId, name: string): pg.QueryConfig => ({
    name: n('load-active'),
    text: `SELECT version FROM ${s}.active_versions WHERE tenant_id = $1 AND name = $2`,
    values: [tenant, name],
  }),
  createActive: (tenant: TenantId, name: string, to: number): pg.QueryConfig => ({
    name: n('create-active'),
    text: `INSERT INTO ${s}.active_versions (tenant_id, name, version, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (tenant_id, name) DO NOTHING`,
    values: [tenant, name, to],
  }),
  switchActive: (tenant: TenantId, name: string, from: number, to: number): pg.QueryConfig => ({
    name: n('switch-active'),
    text: `UPDATE ${s}.active_versions SET version = $4, updated_at = now()
           WHERE tenant_id = $1 AND name = $2 AND version = $3`,
    values: [tenant, name, from, to],
  }),
  /*
   * Purgers of one tenant take turns on a transaction-scoped advisory lock: the next one's DELETE then starts
   * after the previous committed and sees what is left, so no event is counted twice and no purger stops early
   * while expired events remain. (Row locks with SKIP LOCKED would need UPDATE on events, which the runtime role
   * does not have: events are never updated.)
   */
  lockPurges: (tenant: TenantId): pg.QueryConfig => ({
    name: n('lock-purges'),
    text: `SELECT pg_advisory_xact_lock(hashtext($1))`,
    values: [`palisade-purge:${s}:${tenant}`],
  }),
  // One batch, oldest first.
  purge: (tenant: TenantId, before: string, keep: readonly StreamId[], limit: number): pg.QueryConfig => ({
    name: n('purge'),
    text: `WITH doomed AS (
             SELECT stream_id, version FROM ${s}.events
             WHERE tenant_id = $1 AND recorded_at < $2::timestamptz AND stream_id <> ALL($3::text[])
             ORDER BY recorded_at, position
             LIMIT $4
           )
           DELETE FROM ${s}.events e USING doomed d
           WHERE e.tenant_id = $1 AND e.stream_id = d.stream_id AND e.version = d.version
           RETURNING e.stream_id, e.version`,
    values: [tenant, before, keep, limit],
  }),
  markProjections: (tenant: TenantId, purgedAt: string): pg.QueryConfig => ({
    name: n('mark-projections'),
    text: `UPDATE ${s}.states SET purged_at = $2, revision = revision + 1, updated_at = now()
           WHERE tenant_id = $1 AND kind = 'projection' AND purged_at IS NULL`,
    values: [tenant, purgedAt],
  }),
  markSnapshots: (tenant: TenantId, purgedAt: string, streams: readonly string[]): pg.QueryConfig => ({
    name: n('mark-snapshots'),
    text: `UPDATE ${s}.states SET purged_at = $2, revision = revision + 1, updated_at = now()
           WHERE tenant_id = $1 AND kind = 'snapshot' AND purged_at IS NULL AND key = ANY($3::text[])`,
    values: [tenant, purgedAt, streams],
  }),
  expiredTotals: (tenant: TenantId, before: string, keep: readonly StreamId[]): pg.QueryConfig => ({
    name: n('expired-totals'),
    text: `SELECT count(*)::integer AS events, count(DISTINCT stream_id)::integer AS streams FROM ${s}.events
           WHERE tenant_id = $1 AND recorded_at < $2::timestamptz AND stream_id <> ALL($3::text[])`,
    values: [tenant, before, keep],
  }),
  expiredStreams: (tenant: TenantId, before: string, keep: readonly StreamId[], limit: number): pg.QueryConfig => ({
    name: n('expired-streams'),
    text: `SELECT stream_id, count(*)::integer AS events, max(version) AS through_version FROM ${s}.events
           WHERE tenant_id = $1 AND recorded_at < $2::timestamptz AND stream_id <> ALL($3::text[])
           GROUP BY stream_id ORDER BY stream_id LIMIT $4`,
    values: [tenant, before, keep, limit],
  }),
});

export type StateStatements = ReturnType<typeof stateStatements>;

export const loadState = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  key: StateKey,
): Promise<E.Either<StorageError, StoredState | null>> => {
  const result = await client.query(sql.load(tenant, key));
  const row = result.rows[0] as unknown;
  return row === undefined ? E.right(null) : decodeStateRow(row);
};

/** The new revision, or null when the row exists (create) or its revision moved on (update). */
export const saveState = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  key: StateKey,
  write: StateWrite,
  expectedRevision: number | null,
): Promise<E.Either<StorageError, number | null>> => {
  const result = await client.query(
    expectedRevision === null ? sql.create(tenant, key, write) : sql.update(tenant, key, write, expectedRevision),
  );
  const row = result.rows[0] as unknown;
  if (row === undefined) return E.right(null);
  const { revision } = row as { revision: unknown };
  return typeof revision === 'number' && Number.isSafeInteger(revision)
    ? E.right(revision)
    : decodeVersion(undefined, 'states');
};

export const loadActiveVersion = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  name: string,
): Promise<E.Either<StorageError, number | null>> => {
  const result = await client.query(sql.loadActive(tenant, name));
  const row = result.rows[0] as unknown;
  return row === undefined ? E.right(null) : decodeVersion(row, 'active_versions');
};

export const switchActiveVersion = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  name: string,
  from: number | null,
  to: number,
): Promise<E.Either<StorageError, boolean>> => {
  const result = await client.query(
    from === null ? sql.createActive(tenant, name, to) : sql.switchActive(tenant, name, from, to),
  );
  return E.right(result.rowCount === 1);
};

/** One purge batch and its marks, in the caller's transaction. */
export const purgeBatch = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  { before, limit, keep, purgedAt }: PurgeOptions,
): Promise<E.Either<StorageError, PurgeBatch>> => {
  await client.query(sql.lockPurges(tenant));
  const deleted = await client.query(sql.purge(tenant, before, keep, limit));
  const rows = decodeAll(deleted.rows, decodeDeletedRow);
  if (E.isLeft(rows)) return rows;
  const perStream = new Map<StreamId, { events: number; throughVersion: number }>();
  for (const { stream, version } of rows.right) {
    const seen = perStream.get(stream) ?? { events: 0, throughVersion: -1 };
    perStream.set(stream, { events: seen.events + 1, throughVersion: Math.max(seen.throughVersion, version) });
  }
  let marked = 0;
  if (rows.right.length > 0) {
    marked += (await client.query(sql.markProjections(tenant, purgedAt))).rowCount ?? 0;
    marked += (await client.query(sql.markSnapshots(tenant, purgedAt, [...perStream.keys()]))).rowCount ?? 0;
  }
  const streams = [...perStream.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stream, s]) => ({ stream, events: s.events, throughVersion: s.throughVersion }));
  return E.right({ deleted: rows.right.length, streams, marked });
};

export const summarizeExpired = async (
  client: pg.ClientBase,
  sql: StateStatements,
  tenant: TenantId,
  { before, keep, limit }: { readonly before: string; readonly keep: readonly StreamId[]; readonly limit: number },
): Promise<E.Either<StorageError, ExpirySummary>> => {
  const totals = decodeTotalsRow((await client.query(sql.expiredTotals(tenant, before, keep))).rows[0] as unknown);
  if (E.isLeft(totals)) return totals;
  const streams = decodeAll(
    (await client.query(sql.expiredStreams(tenant, before, keep, limit))).rows,
    decodeExpiredRow,
  );
  if (E.isLeft(streams)) return streams;
  return E.right({ events: totals.right.events, streamCount: totals.right.streams, streams: streams.right });
};
