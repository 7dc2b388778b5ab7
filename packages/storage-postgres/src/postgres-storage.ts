import pg from 'pg';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  AppendNotifier,
  closed,
  configInvalid,
  decideAppend,
  duplicateEventId,
  storageUnavailable,
  type AppendResult,
  type ConfigInvalid,
  type ExistingEvent,
  type ExpectedVersion,
  type PreparedEvent,
  type StorageAdapter,
  type StorageAppendError,
  type StorageError,
  type StreamId,
  type TenantId,
  type TenantStorage,
} from '@palisade/core';
import { ADAPTER, constraintOf, sqlState, unavailable } from './errors.js';
import { AppendListener } from './listener.js';
import {
  EVENT_COLUMNS,
  decodeAll,
  decodeEventRow,
  decodeExistingRow,
  decodePosition,
  decodeStreamRow,
  decodeVersion,
} from './rows.js';
import { SCHEMA_VERSION, migrate, quoteIdent } from './schema.js';
import {
  loadActiveVersion,
  loadState,
  purgeBatch,
  saveState,
  stateStatements,
  summarizeExpired,
  switchActiveVersion,
  type StateStatements,
} from './states.js';

export interface PostgresStorageOptions {
  /**
   * Connection URL of the runtime role: a role that owns no table and has
   * neither SUPERUSER nor BYPASSRLS (checked at start; refused otherwise).
   */
  readonly url: string;
  /** The runtime role's password, when it is kept out of the URL (e.g. a `${secret:...}` reference in config). */
  readonly password?: string;
  /** Connection URL of the schema owner. Given, the adapter applies pending migrations at start. */
  readonly migrationUrl?: string;
  readonly migrationPassword?: string;
  /** Set false to never migrate at start even with a `migrationUrl` (migrations are then a deploy step). */
  readonly migrate?: boolean;
  /** Hash partitions per table, used only when the migrations create the schema. Default 16. */
  readonly partitions?: number;
  /** The schema holding Palisade's tables. Default `palisade`. */
  readonly schema?: string;
  /** Pooled connections of the runtime role. Default 10. */
  readonly poolSize?: number;
  /** How long an append waits for a lock (its stream, its tenant's position) before failing, retryably. Default 10,000 ms. */
  readonly lockTimeoutMs?: number;
  /** The longest any statement may run. Default 30,000 ms. */
  readonly statementTimeoutMs?: number;
  /**
   * `full` (default): every append is flushed to PostgreSQL's write-ahead log
   * before it is acknowledged. `normal`: appends commit with
   * synchronous_commit=off: a crash of Palisade loses nothing acknowledged; a
   * crash of the database server (or its machine) may lose the last ~0.6 s of
   * acknowledged appends, never part of one. Like SQLite's `normal`.
   */
  readonly durability?: 'full' | 'normal';
  /** How long to wait for a connection. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_SCHEMA = 'palisade';
/** Lower-case, so it needs no quoting in psql; short enough for the NOTIFY channel name built from it. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

const CEILING = '\u{10FFFF}';
const MAX_APPEND_ATTEMPTS = 3;

/** bigint columns as numbers when they are safe integers; anything else stays a string and fails row decoding. */
const parseInt8 = (text: string): number | string => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};
/** OID of PostgreSQL's int8 (bigint). */
const INT8_OID = 20;
const defaultParser = (oid: number, format?: 'text' | 'binary'): unknown =>
  (pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown)(oid, format);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
};

export const clientConfig = (
  url: string,
  password: string | undefined,
  options: PostgresStorageOptions,
  applicationName: string,
): pg.ClientConfig => ({
  connectionString: url,
  ...(password !== undefined ? { password } : {}),
  application_name: applicationName,
  connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  options: `-c lock_timeout=${options.lockTimeoutMs ?? 10_000} -c statement_timeout=${options.statementTimeoutMs ?? 30_000}`,
  types,
});

const refuse = (what: string): StorageError => storageUnavailable(ADAPTER, what, false);

/**
 * Connects to PostgreSQL, applies pending migrations when given the owner's URL,
 * checks that the runtime role is subject to row-level security and that the
 * schema is current, and returns a storage adapter.
 */
export const createPostgresStorage =
  (options: PostgresStorageOptions): TE.TaskEither<StorageError | ConfigInvalid, StorageAdapter> =>
  async () => {
    const opened = await openCheckedPool(options, 'palisade', options.poolSize ?? 10);
    if (E.isLeft(opened)) return opened;
    const { pool, schema } = opened.right;
    const listener = (storage: PostgresStorage) =>
      new AppendListener(
        clientConfig(options.url, options.password, options, 'palisade-listener'),
        channelOf(schema),
        (tenant) => storage.wake(tenant),
        () => storage.wakeAll(),
      );
    return E.right(new PostgresStorage(pool, schema, options.durability ?? 'full', listener));
  };

const channelOf = (schema: string): string => `palisade_append_${schema}`;

/**
 * A pool for the runtime role, ready for use: the schema name checked, the role
 * checked, migrations applied when asked, the schema version checked. The
 * storage adapter and the key store both open theirs this way.
 */
export const openCheckedPool = async (
  options: PostgresStorageOptions,
  applicationName: string,
  max: number,
): Promise<E.Either<StorageError | ConfigInvalid, { readonly pool: pg.Pool; readonly schema: string }>> => {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    return E.left(
      configInvalid('storage', [
        { path: 'schema', message: "must be 1 to 48 lower-case letters, digits or '_', not starting with a digit" },
      ]),
    );
  }
  const pool = new pg.Pool({ ...clientConfig(options.url, options.password, options, applicationName), max });
  // An idle pooled connection that drops emits 'error' on the pool; the next checkout reconnects.
  pool.on('error', () => undefined);
  const ready = await prepare(pool, schema, options);
  if (E.isLeft(ready)) {
    await pool.end().catch(() => undefined);
    return ready;
  }
  return E.right({ pool, schema });
};

/** Checks the runtime role, migrates if asked, and checks the schema version. */
const prepare = async (
  pool: pg.Pool,
  schema: string,
  options: PostgresStorageOptions,
): Promise<E.Either<StorageError, void>> => {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    return E.left(unavailable('connect as the runtime role', e));
  }
  try {
    const who = await client.query<{ role: string; superuser: boolean; bypass: boolean }>(
      `SELECT current_user AS role, rolsuper AS superuser, rolbypassrls AS bypass FROM pg_roles WHERE rolname = current_user`,
    );
    const me = who.rows[0];
    if (me === undefined) return E.left(refuse('cannot find the runtime role in pg_roles'));
    if (me.superuser || me.bypass) {
      return E.left(
        refuse(
          'the runtime role is a superuser or has BYPASSRLS, so row-level security would not apply to it: connect `url` as a role without them (see the README)',
        ),
      );
    }
    if (options.migrationUrl !== undefined && options.migrate !== false) {
      const migrated = await runMigrations(options, schema, me.role);
      if (E.isLeft(migrated)) return migrated;
    }
    const s = quoteIdent(schema);
    let version: number | null;
    try {
      const found = await client.query<{ version: number | null }>(
        `SELECT max(version)::integer AS version FROM ${s}.schema_migrations`,
      );
      version = found.rows[0]?.version ?? null;
    } catch (e) {
      const state = sqlState(e);
      if (state === '42P01' || state === '3F000' || state === '42501') {
        return E.left(
          refuse(
            `schema '${schema}' is not migrated or not granted to the runtime role: give \`migration_url\` or run palisade-postgres-migrate`,
          ),
        );
      }
      throw e;
    }
    if (version === null || version < SCHEMA_VERSION) {
      return E.left(
        refuse(
          `schema '${schema}' is at version ${version ?? 0}, this adapter needs ${SCHEMA_VERSION}: run palisade-postgres-migrate`,
        ),
      );
    }
    const owned = await client.query<{ owned: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND pg_has_role(c.relowner, 'USAGE')
       ) AS owned`,
      [schema],
    );
    if (owned.rows[0]?.owned !== false) {
      return E.left(
        refuse(
          `the runtime role owns (or acts as the owner of) tables in schema '${schema}', so it could turn row-level security off: use a separate owner role for migrations`,
        ),
      );
    }
    return E.right(undefined);
  } catch (e) {
    return E.left(unavailable('check the schema', e));
  } finally {
    client.release();
  }
};

const runMigrations = async (
  options: PostgresStorageOptions,
  schema: string,
  runtimeRole: string,
): Promise<E.Either<StorageError, void>> => {
  const owner = new pg.Client(
    clientConfig(options.migrationUrl!, options.migrationPassword, options, 'palisade-migrate'),
  );
  owner.on('error', () => undefined);
  try {
    await owner.connect();
  } catch (e) {
    return E.left(unavailable('connect as the migration role', e));
  }
  try {
    await migrate(
      owner,
      schema,
      runtimeRole,
      options.partitions !== undefined ? { partitions: options.partitions } : {},
    );
    return E.right(undefined);
  } catch (e) {
    return E.left(unavailable('apply migrations', e));
  } finally {
    await owner.end().catch(() => undefined);
  }
};

/** A pg query in array row mode, prepared once per connection under `name`. */
const arrays = (name: string, text: string, values: unknown[]): pg.QueryArrayConfig => ({
  name,
  text,
  values,
  rowMode: 'array',
});

class PostgresStorage implements StorageAdapter {
  readonly name = ADAPTER;
  private readonly notifier = new AppendNotifier();
  private readonly listening = new Map<TenantId, number>();
  private readonly listener: AppendListener;
  private readonly sql;
  private readonly states: StateStatements;
  private readonly channel: string;
  /** Transaction-local settings that follow the tenant in every BEGIN. */
  private readonly settings: string;
  private pendingNotify = new Set<TenantId>();
  private publishing: Promise<void> | null = null;
  private isClosed = false;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
    durability: 'full' | 'normal',
    makeListener: (storage: PostgresStorage) => AppendListener,
  ) {
    const s = quoteIdent(schema);
    // Every query here is a range over a unique index in key order, where an index scan is the right plan; fresh
    // partitions have no statistics yet and the planner would sort whole bitmap scans instead (pages grow quadratic).
    this.settings =
      `, set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)` +
      (durability === 'normal' ? `, set_config('synchronous_commit', 'off', true)` : '');
    this.channel = channelOf(schema);
    this.listener = makeListener(this);
    // Statement names are per connection; the schema keeps two adapters in one process apart.
    const n = (what: string) => `palisade:${schema}:${what}`;
    this.states = stateStatements(s, n);
    this.sql = {
      // Creates a placeholder row (version -1) for a new stream, or locks the existing one, so that concurrent
      // appends to one stream queue here; rolled back with the transaction if nothing is written. Sent in the same
      // round trip as BEGIN, so its values are literals: a validated TenantId and StreamId, escaped by the driver.
      lockStream: (literal: (value: string) => string, tenant: TenantId, stream: StreamId) =>
        `INSERT INTO ${s}.streams AS st (tenant_id, stream_id, version) VALUES (${literal(tenant)}, ${literal(stream)}, -1)
         ON CONFLICT (tenant_id, stream_id) DO UPDATE SET version = st.version
         RETURNING version`,
      findEvents: (tenant: TenantId, ids: readonly string[]) => ({
        name: n('find-events'),
        text: `SELECT event_id::text AS event_id, stream_id, version, position, content_hash
               FROM ${s}.events WHERE tenant_id = $1 AND event_id = ANY($2::uuid[])`,
        values: [tenant, ids],
      }),
      write: (
        tenant: TenantId,
        stream: StreamId,
        events: readonly PreparedEvent[],
        firstVersion: number,
        recordedAt: string,
      ) => ({
        name: n('write'),
        // The tenant's position counter is taken last and held until COMMIT: positions are dense and in
        // commit order, so a reader of the log can never pass a position that a slower transaction fills later.
        text: `WITH pos AS (
                 INSERT INTO ${s}.tenants AS t (tenant_id, last_position) VALUES ($1, $3)
                 ON CONFLICT (tenant_id) DO UPDATE SET last_position = t.last_position + EXCLUDED.last_position
                 RETURNING last_position
               ), written AS (
                 INSERT INTO ${s}.events
                   (tenant_id, stream_id, version, position, event_id, type, data, metadata, content_hash, recorded_at)
                 SELECT $1, $2, $4 + e.ord - 1, pos.last_position - $3 + e.ord, e.id, e.type, e.data, e.metadata, e.hash, $10
                 FROM pos, unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[])
                   WITH ORDINALITY AS e (id, type, data, metadata, hash, ord)
               ), bumped AS (
                 UPDATE ${s}.streams SET version = $4 + $3 - 1 WHERE tenant_id = $1 AND stream_id = $2
               )
               SELECT last_position AS position FROM pos`,
        values: [
          tenant,
          stream,
          events.length,
          firstVersion,
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.dataJson),
          events.map((e) => e.metadataJson),
          events.map((e) => e.contentHash),
          recordedAt,
        ],
      }),
      readForwards: (tenant: TenantId, stream: StreamId, from: number, limit: number) =>
        arrays(
          n('read-forwards'),
          `SELECT ${EVENT_COLUMNS} FROM ${s}.events
           WHERE tenant_id = $1 AND stream_id = $2 AND version >= $3 ORDER BY version ASC LIMIT $4`,
          [tenant, stream, from, limit],
        ),
      readBackwards: (tenant: TenantId, stream: StreamId, from: number, limit: number) =>
        arrays(
          n('read-backwards'),
          `SELECT ${EVENT_COLUMNS} FROM ${s}.events
           WHERE tenant_id = $1 AND stream_id = $2 AND version <= $3 ORDER BY version DESC LIMIT $4`,
          [tenant, stream, from, limit],
        ),
      readLog: (tenant: TenantId, after: number, limit: number) =>
        arrays(
          n('read-log'),
          `SELECT ${EVENT_COLUMNS} FROM ${s}.events
           WHERE tenant_id = $1 AND position > $2 ORDER BY position ASC LIMIT $3`,
          [tenant, after, limit],
        ),
      streamVersion: (tenant: TenantId, stream: StreamId) => ({
        name: n('stream-version'),
        text: `SELECT version FROM ${s}.streams WHERE tenant_id = $1 AND stream_id = $2`,
        values: [tenant, stream],
      }),
      listStreams: (tenant: TenantId, prefix: string, after: string, limit: number) => ({
        name: n('list-streams'),
        text: `SELECT stream_id, version FROM ${s}.streams
               WHERE tenant_id = $1 AND stream_id >= $2 AND stream_id < $3 AND stream_id > $4
               ORDER BY stream_id ASC LIMIT $5`,
        values: [tenant, prefix, prefix + CEILING, after, limit],
      }),
      loadCheckpoint: (tenant: TenantId, subscriber: string) => ({
        name: n('load-checkpoint'),
        text: `SELECT position FROM ${s}.checkpoints WHERE tenant_id = $1 AND subscriber_id = $2`,
        values: [tenant, subscriber],
      }),
      saveCheckpoint: (tenant: TenantId, subscriber: string, position: number) => ({
        name: n('save-checkpoint'),
        text: `INSERT INTO ${s}.checkpoints (tenant_id, subscriber_id, position, updated_at) VALUES ($1, $2, $3, now())
               ON CONFLICT (tenant_id, subscriber_id) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,
        values: [tenant, subscriber, position],
      }),
    };
  }

  forTenant(tenant: TenantId): TenantStorage {
    const { sql, states } = this;
    return {
      tenant,
      append: (stream, events, expected) => () => this.append(tenant, stream, events, expected),
      readStream: (stream, { direction, fromVersion, limit }) =>
        this.inTenant(tenant, 'read a stream', async (client) => {
          const query =
            direction === 'forwards'
              ? sql.readForwards(tenant, stream, fromVersion ?? 0, limit)
              : sql.readBackwards(tenant, stream, fromVersion ?? Number.MAX_SAFE_INTEGER, limit);
          const result = await client.query(query);
          return decodeAll(result.rows, (row) => decodeEventRow(row, tenant));
        }),
      readLog: ({ after, limit }) =>
        this.inTenant(tenant, 'read the tenant log', async (client) => {
          const result = await client.query(sql.readLog(tenant, after, limit));
          return decodeAll(result.rows, (row) => decodeEventRow(row, tenant));
        }),
      streamVersion: (stream) =>
        this.inTenant(tenant, 'read a stream version', async (client) => {
          const result = await client.query(sql.streamVersion(tenant, stream));
          const row = result.rows[0] as unknown;
          return row === undefined ? E.right(null) : decodeVersion(row, 'streams');
        }),
      listStreams: ({ prefix, after, limit }) =>
        this.inTenant(tenant, 'list streams', async (client) => {
          const result = await client.query(sql.listStreams(tenant, prefix, after ?? '', limit));
          return decodeAll(result.rows, decodeStreamRow);
        }),
      loadCheckpoint: (subscriber) =>
        this.inTenant(tenant, 'load a checkpoint', async (client) => {
          const result = await client.query(sql.loadCheckpoint(tenant, subscriber));
          const row = result.rows[0] as unknown;
          return row === undefined ? E.right(null) : decodePosition(row, 'checkpoints');
        }),
      saveCheckpoint: (subscriber, position) =>
        this.inTenant(tenant, 'save a checkpoint', async (client) => {
          await client.query(sql.saveCheckpoint(tenant, subscriber, position));
          return E.right(undefined);
        }),
      loadState: (key) => this.inTenant(tenant, 'load a state', (client) => loadState(client, states, tenant, key)),
      saveState: (key, write, expectedRevision) =>
        this.inTenant(tenant, 'save a state', (client) =>
          saveState(client, states, tenant, key, write, expectedRevision),
        ),
      deleteStates: (kind, name, version) =>
        this.inTenant(tenant, 'delete states', async (client) => {
          const result = await client.query(states.deleteAll(tenant, kind, name, version));
          return E.right(result.rowCount ?? 0);
        }),
      deleteStatesThrough: (kind, name, throughVersion) =>
        this.inTenant(tenant, 'delete states', async (client) => {
          const result = await client.query(states.deleteThrough(tenant, kind, name, throughVersion));
          return E.right(result.rowCount ?? 0);
        }),
      loadActiveVersion: (name) =>
        this.inTenant(tenant, 'load an active version', (client) => loadActiveVersion(client, states, tenant, name)),
      switchActiveVersion: (name, from, to) =>
        this.inTenant(tenant, 'switch an active version', (client) =>
          switchActiveVersion(client, states, tenant, name, from, to),
        ),
      purgeExpired: (options) =>
        this.inTenant(tenant, 'purge expired events', (client) => purgeBatch(client, states, tenant, options)),
      summarizeExpired: (options) =>
        this.inTenant(tenant, 'summarize expired events', (client) =>
          summarizeExpired(client, states, tenant, options),
        ),
    };
  }

  onAppend(tenant: TenantId, listener: () => void): () => void {
    const off = this.notifier.on(tenant, listener);
    this.listening.set(tenant, (this.listening.get(tenant) ?? 0) + 1);
    this.listener.ensureStarted();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      off();
      const left = (this.listening.get(tenant) ?? 1) - 1;
      if (left === 0) this.listening.delete(tenant);
      else this.listening.set(tenant, left);
    };
  }

  /** A notification from another process (or this one) for `tenant`. */
  wake(tenant: TenantId): void {
    if (!this.isClosed) this.notifier.notify(tenant);
  }

  /** After the listener reconnects: notifications sent meanwhile are lost, so everyone polls now. */
  wakeAll(): void {
    for (const tenant of [...this.listening.keys()]) this.wake(tenant);
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.notifier.clear();
    this.listening.clear();
    await this.listener.stop();
    await this.publishing;
    await this.pool.end().catch(() => undefined);
  }

  private async append(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.inTenant<StorageAppendError, AppendResult>(
        tenant,
        'append',
        (client, locked) => this.appendInTransaction(client, locked, tenant, stream, events, expected, attempt > 1),
        (literal) => this.sql.lockStream(literal, tenant, stream),
      )();
      if (E.isRight(outcome)) {
        if (!outcome.right.idempotentReplay) this.announce(tenant);
        return outcome;
      }
      if (
        outcome.left._tag !== 'DuplicateEventId' ||
        outcome.left.eventId !== RACED ||
        attempt >= MAX_APPEND_ATTEMPTS
      ) {
        return outcome.left._tag === 'DuplicateEventId' && outcome.left.eventId === RACED
          ? E.left(duplicateEventId('(generated)', 'collided with a stored event id'))
          : outcome;
      }
      // A concurrent append stored one of these ids first: run again, and decideAppend sees it now.
    }
  }

  private async appendInTransaction(
    client: pg.PoolClient,
    locked: readonly unknown[],
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
    lookUpEveryId: boolean,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
    const { sql } = this;
    const version = decodeVersion(locked[0], 'streams');
    if (E.isLeft(version)) return version;
    const current = version.right < 0 ? null : version.right;

    const ids = events.filter((e) => lookUpEveryId || e.idGenerated !== true).map((e) => e.id);
    const existing: ExistingEvent[] = [];
    if (ids.length > 0) {
      const found = await client.query(sql.findEvents(tenant, ids));
      const decoded = decodeAll(found.rows, decodeExistingRow);
      if (E.isLeft(decoded)) return decoded;
      existing.push(...decoded.right);
    }
    const decision = decideAppend(stream, events, expected, current, existing);
    if (E.isLeft(decision)) return decision;
    if (decision.right.kind === 'replay') return E.right(decision.right.result);

    const firstVersion = (current ?? -1) + 1;
    let lastPosition: number;
    try {
      const written = await client.query(sql.write(tenant, stream, events, firstVersion, new Date().toISOString()));
      const position = decodePosition(written.rows[0] as unknown, 'tenants');
      if (E.isLeft(position)) return position;
      lastPosition = position.right;
    } catch (e) {
      if (sqlState(e) === '23505' && constraintOf(e).includes('event_id')) {
        return E.left(duplicateEventId(RACED, 'was stored by a concurrent append'));
      }
      throw e;
    }
    const firstPosition = lastPosition - events.length + 1;
    return E.right({
      nextExpectedVersion: firstVersion + events.length - 1,
      lastPosition,
      events: events.map((event, i) => ({ id: event.id, version: firstVersion + i, position: firstPosition + i })),
      idempotentReplay: false,
    });
  }

  /**
   * Runs `body` in one transaction with `palisade.tenant` set for that
   * transaction only (set_config(..., true)): row-level security sees the
   * tenant, and a pooled connection never carries it into its next use.
   * Commits when `body` succeeds, rolls back otherwise.
   */
  private inTenant<Err extends StorageAppendError, A>(
    tenant: TenantId,
    what: string,
    body: (client: pg.PoolClient, leadRows: readonly unknown[]) => Promise<E.Either<Err, A>>,
    lead?: (literal: (value: string) => string) => string,
  ): TE.TaskEither<Err | StorageError, A> {
    return async () => {
      if (this.isClosed) return E.left(closed('postgres storage'));
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        return E.left(this.isClosed ? closed('postgres storage') : unavailable(what, e));
      }
      try {
        // The tenant id is a validated TenantId ([a-z0-9_-]) and escaped besides: one round trip for BEGIN, the
        // settings and the body's leading statement (simple protocol, which answers with one result per statement).
        const literal = (value: string) => client.escapeLiteral(value);
        const leading = lead === undefined ? '' : `; ${lead(literal)}`;
        const begun = (await client.query(
          `BEGIN; SELECT set_config('palisade.tenant', ${literal(tenant)}, true)${this.settings}${leading}`,
        )) as unknown as pg.QueryResult[];
        const out = await body(client, lead === undefined ? [] : (begun[begun.length - 1]?.rows ?? []));
        await client.query(E.isRight(out) ? 'COMMIT' : 'ROLLBACK');
        client.release();
        return out;
      } catch (e) {
        // The connection's state is unknown (mid-transaction, or broken): discard it rather than reuse it.
        client.release(true);
        return E.left(unavailable(what, e));
      }
    };
  }

  /** Wakes local subscribers now, and other processes through NOTIFY. */
  private announce(tenant: TenantId): void {
    setImmediate(() => this.wake(tenant));
    this.pendingNotify.add(tenant);
    this.startPublishing();
  }

  private startPublishing(): void {
    if (this.publishing !== null || this.isClosed) return;
    this.publishing = this.publish().finally(() => {
      this.publishing = null;
      // An append that announced while the last statement was in flight.
      if (this.pendingNotify.size > 0) this.startPublishing();
    });
  }

  /**
   * Sends NOTIFY outside the append's transaction: a NOTIFY inside it would take
   * PostgreSQL's global notification lock at every commit, serialising appends
   * of all tenants. Notifications are coalesced (one statement for every tenant
   * appended to since the last one) and sent without waiting for a disk flush;
   * a lost one costs a subscriber one poll interval of latency, never events.
   */
  private async publish(): Promise<void> {
    while (this.pendingNotify.size > 0 && !this.isClosed) {
      const tenants = [...this.pendingNotify];
      this.pendingNotify = new Set();
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch {
        return;
      }
      try {
        const channel = client.escapeLiteral(this.channel);
        const notifies = tenants.map((t) => `SELECT pg_notify(${channel}, ${client.escapeLiteral(t)})`).join('; ');
        await client.query(`BEGIN; SET LOCAL synchronous_commit TO off; ${notifies}; COMMIT`);
        client.release();
      } catch {
        client.release(true);
      }
    }
  }
}

/** Marks a unique violation on an event id that a concurrent append won; replaced before it leaves this module. */
const RACED = '(raced)';
