import type Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  AppendNotifier,
  closed,
  decideAppend,
  describeDriverError,
  duplicateEventId,
  storageUnavailable,
  StoredInt,
  storedRowDecoders,
  type AppendResult,
  type ExistingEvent,
  type PreparedEvent,
  type PurgeBatch,
  type PurgedStream,
  type StorageAdapter,
  type StorageAppendError,
  type StorageError,
  type StreamId,
  type TenantId,
  type TenantStorage,
} from '@palisade/core';
import {
  decodeAll,
  decodeEventRow,
  decodeExistingRow,
  decodeExpiredRow,
  decodeStateRow,
  decodeStreamRow,
} from './rows.js';
import { openDatabaseFile } from './open-database.js';
import { migrate } from './schema.js';
import { inTransaction } from './transaction.js';

export interface SqliteStorageOptions {
  /** The database file; `:memory:` for a private in-memory database. Default `./.palisade/palisade.db`. */
  readonly path?: string;
  /**
   * `normal` (default): WAL with synchronous=NORMAL. A committed append survives
   * a crash of the process; the last commits may be lost if the machine loses
   * power. `full`: synchronous=FULL, every commit is fsynced.
   */
  readonly durability?: 'normal' | 'full';
  /** How long to wait for another process's write lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /** Directory a relative `path` resolves against. Default: the working directory. */
  readonly baseDir?: string;
}

export const DEFAULT_SQLITE_PATH = './.palisade/palisade.db';

const NAME = 'sqlite';
/** Rows come back as arrays in this order (better-sqlite3 raw mode): no per-row object with ten keys to build. */
const EVENT_COLUMNS = 'tenant_id, position, stream_id, version, event_id, type, data, metadata, recorded_at';
const CEILING = '\u{10FFFF}';

/**
 * One purge batch, oldest first. The tenant is named in both the inner and the
 * outer WHERE; the `+` keeps the outer test off the index, so SQLite finds the
 * batch's rows by rowid instead of scanning the tenant's position index.
 * Parameters: tenant, tenant, before, keep (JSON array), limit.
 */
export const PURGE_SQL = `DELETE FROM events WHERE +tenant_id = ? AND seq IN (
  SELECT seq FROM events
  WHERE tenant_id = ? AND recorded_at < ? AND stream_id NOT IN (SELECT value FROM json_each(?))
  ORDER BY recorded_at, position LIMIT ?)
RETURNING stream_id, version`;

/**
 * Opens (creating if needed) a SQLite file and returns a storage adapter over
 * it. Several processes may share the file: writes are serialised by SQLite's
 * write lock, and each append runs in one IMMEDIATE transaction.
 */
export const createSqliteStorage = (options: SqliteStorageOptions = {}): E.Either<StorageError, StorageAdapter> => {
  const opened = openDatabaseFile(
    NAME,
    { path: options.path ?? DEFAULT_SQLITE_PATH, baseDir: options.baseDir, busyTimeoutMs: options.busyTimeoutMs },
    options.durability === 'full' ? 'FULL' : 'NORMAL',
    (db) => {
      // A larger page cache and memory-mapped reads keep index pages (random UUIDs) out of read syscalls.
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 268435456');
      db.pragma('temp_store = MEMORY');
      // Checkpoint every ~40 MB of WAL instead of every 4 MB: each checkpoint fsyncs, and they dominated batched appends.
      db.pragma('wal_autocheckpoint = 10000');
      migrate(db);
    },
  );
  if (E.isLeft(opened)) return opened;
  const db = opened.right;
  return E.right(new SqliteStorage(db));
};

class SqliteStorage implements StorageAdapter {
  readonly name = NAME;
  private readonly notifier = new AppendNotifier();
  private readonly sql;
  private isClosed = false;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      findEvent: db.prepare(
        'SELECT event_id, stream_id, version, position, content_hash FROM events WHERE tenant_id = ? AND event_id = ?',
      ),
      streamVersion: db.prepare('SELECT version FROM streams WHERE tenant_id = ? AND stream_id = ?'),
      bumpPosition: db.prepare(
        `INSERT INTO tenants (tenant_id, last_position) VALUES (?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET last_position = last_position + excluded.last_position
         RETURNING last_position`,
      ),
      insertEvent: db.prepare(
        `INSERT INTO events (tenant_id, position, stream_id, version, event_id, type, data, metadata, content_hash, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertStream: db.prepare(
        `INSERT INTO streams (tenant_id, stream_id, version) VALUES (?, ?, ?)
         ON CONFLICT (tenant_id, stream_id) DO UPDATE SET version = excluded.version`,
      ),
      readForwards: db
        .prepare(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant_id = ? AND stream_id = ? AND version >= ? ORDER BY version ASC LIMIT ?`,
        )
        .raw(),
      readBackwards: db
        .prepare(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant_id = ? AND stream_id = ? AND version <= ? ORDER BY version DESC LIMIT ?`,
        )
        .raw(),
      readLog: db
        .prepare(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant_id = ? AND position > ? ORDER BY position ASC LIMIT ?`,
        )
        .raw(),
      listStreams: db.prepare(
        `SELECT stream_id, version FROM streams
         WHERE tenant_id = ? AND stream_id >= ? AND stream_id < ? AND stream_id > ?
         ORDER BY stream_id ASC LIMIT ?`,
      ),
      loadCheckpoint: db.prepare('SELECT position FROM checkpoints WHERE tenant_id = ? AND subscriber_id = ?'),
      saveCheckpoint: db.prepare(
        `INSERT INTO checkpoints (tenant_id, subscriber_id, position, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, subscriber_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      ),
      loadState: db.prepare(
        `SELECT state, position, purged_at, revision, updated_at FROM states
         WHERE tenant_id = ? AND kind = ? AND name = ? AND version = ? AND key = ?`,
      ),
      insertState: db.prepare(
        `INSERT INTO states (tenant_id, kind, name, version, key, state, position, purged_at, revision, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING`,
      ),
      updateState: db.prepare(
        `UPDATE states SET state = ?, position = ?, purged_at = ?, revision = revision + 1, updated_at = ?
         WHERE tenant_id = ? AND kind = ? AND name = ? AND version = ? AND key = ? AND revision = ?`,
      ),
      deleteStates: db.prepare('DELETE FROM states WHERE tenant_id = ? AND kind = ? AND name = ? AND version = ?'),
      deleteStatesThrough: db.prepare(
        'DELETE FROM states WHERE tenant_id = ? AND kind = ? AND name = ? AND version <= ?',
      ),
      loadActive: db.prepare('SELECT version FROM active_versions WHERE tenant_id = ? AND name = ?'),
      insertActive: db.prepare(
        `INSERT INTO active_versions (tenant_id, name, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      updateActive: db.prepare(
        'UPDATE active_versions SET version = ?, updated_at = ? WHERE tenant_id = ? AND name = ? AND version = ?',
      ),
      purge: db.prepare(PURGE_SQL),
      markProjections: db.prepare(
        `UPDATE states SET purged_at = ?, revision = revision + 1, updated_at = ?
         WHERE tenant_id = ? AND kind = 'projection' AND purged_at IS NULL`,
      ),
      markSnapshots: db.prepare(
        `UPDATE states SET purged_at = ?, revision = revision + 1, updated_at = ?
         WHERE tenant_id = ? AND kind = 'snapshot' AND purged_at IS NULL AND key IN (SELECT value FROM json_each(?))`,
      ),
      expiredTotals: db.prepare(
        `SELECT COUNT(*) AS events, COUNT(DISTINCT stream_id) AS streams FROM events
         WHERE tenant_id = ? AND recorded_at < ? AND stream_id NOT IN (SELECT value FROM json_each(?))`,
      ),
      expiredStreams: db.prepare(
        `SELECT stream_id, COUNT(*) AS events, MAX(version) AS through_version FROM events
         WHERE tenant_id = ? AND recorded_at < ? AND stream_id NOT IN (SELECT value FROM json_each(?))
         GROUP BY stream_id ORDER BY stream_id LIMIT ?`,
      ),
    };
  }

  forTenant(tenant: TenantId): TenantStorage {
    const { sql } = this;
    return {
      tenant,
      append: (stream, events, expected) =>
        this.run<AppendResult>('append', () => {
          const outcome = inTransaction(this.db, () => this.appendInTransaction(tenant, stream, events, expected));
          if (E.isRight(outcome) && !outcome.right.idempotentReplay) {
            setImmediate(() => this.notifier.notify(tenant));
          }
          return outcome;
        }),
      readStream: (stream, { direction, fromVersion, limit }) =>
        this.read('read a stream', () => {
          const rows =
            direction === 'forwards'
              ? sql.readForwards.all(tenant, stream, fromVersion ?? 0, limit)
              : sql.readBackwards.all(tenant, stream, fromVersion ?? Number.MAX_SAFE_INTEGER, limit);
          return decodeAll(rows, (row) => decodeEventRow(row, tenant));
        }),
      readLog: ({ after, limit }) =>
        this.read('read the tenant log', () =>
          decodeAll(sql.readLog.all(tenant, after, limit), (row) => decodeEventRow(row, tenant)),
        ),
      streamVersion: (stream) =>
        this.read('read a stream version', () => {
          const row = sql.streamVersion.get(tenant, stream) as { version: unknown } | undefined;
          return row === undefined
            ? E.right(null)
            : E.map((r: { version: number }) => r.version)(decodeStreamVersion(row));
        }),
      listStreams: ({ prefix, after, limit }) =>
        this.read('list streams', () =>
          decodeAll(sql.listStreams.all(tenant, prefix, prefix + CEILING, after ?? '', limit), decodeStreamRow),
        ),
      loadCheckpoint: (subscriber) =>
        this.read('load a checkpoint', () => {
          const row = sql.loadCheckpoint.get(tenant, subscriber) as { position: unknown } | undefined;
          if (row === undefined) return E.right(null);
          return typeof row.position === 'number' ? E.right(row.position) : E.left(malformedRow('checkpoints'));
        }),
      saveCheckpoint: (subscriber, position) =>
        this.read('save a checkpoint', () => {
          sql.saveCheckpoint.run(tenant, subscriber, position, new Date().toISOString());
          return E.right(undefined);
        }),
      loadState: (key) =>
        this.read('load a state', () => {
          const row = sql.loadState.get(tenant, key.kind, key.name, key.version, key.key);
          return row === undefined ? E.right(null) : decodeStateRow(row);
        }),
      saveState: (key, write, expectedRevision) =>
        this.read('save a state', () => {
          const now = new Date().toISOString();
          const stateJson = JSON.stringify(write.state);
          if (expectedRevision === null) {
            const { changes } = sql.insertState.run(
              tenant,
              key.kind,
              key.name,
              key.version,
              key.key,
              stateJson,
              write.position,
              write.purgedAt,
              now,
            );
            return E.right(changes === 1 ? 1 : null);
          }
          const { changes } = sql.updateState.run(
            stateJson,
            write.position,
            write.purgedAt,
            now,
            tenant,
            key.kind,
            key.name,
            key.version,
            key.key,
            expectedRevision,
          );
          return E.right(changes === 1 ? expectedRevision + 1 : null);
        }),
      deleteStates: (kind, name, version) =>
        this.read('delete states', () => E.right(sql.deleteStates.run(tenant, kind, name, version).changes)),
      deleteStatesThrough: (kind, name, throughVersion) =>
        this.read('delete states', () =>
          E.right(sql.deleteStatesThrough.run(tenant, kind, name, throughVersion).changes),
        ),
      loadActiveVersion: (name) =>
        this.read('load an active version', () => {
          const row = sql.loadActive.get(tenant, name) as { version: unknown } | undefined;
          if (row === undefined) return E.right(null);
          return typeof row.version === 'number' ? E.right(row.version) : E.left(malformedRow('active_versions'));
        }),
      switchActiveVersion: (name, from, to) =>
        this.read('switch an active version', () => {
          const now = new Date().toISOString();
          const { changes } =
            from === null
              ? sql.insertActive.run(tenant, name, to, now)
              : sql.updateActive.run(to, now, tenant, name, from);
          return E.right(changes === 1);
        }),
      purgeExpired: ({ before, limit, keep, purgedAt }) =>
        this.read('purge expired events', () =>
          inTransaction(this.db, (): E.Either<StorageError, PurgeBatch> => {
            const rows = sql.purge.all(tenant, tenant, before, JSON.stringify(keep), limit);
            const perStream = new Map<StreamId, { events: number; throughVersion: number }>();
            for (const row of rows) {
              const decoded = decodeStreamRow(row);
              if (E.isLeft(decoded)) return decoded;
              const { stream, version } = decoded.right;
              const s = perStream.get(stream) ?? { events: 0, throughVersion: -1 };
              perStream.set(stream, { events: s.events + 1, throughVersion: Math.max(s.throughVersion, version) });
            }
            let marked = 0;
            if (rows.length > 0) {
              const now = new Date().toISOString();
              marked += sql.markProjections.run(purgedAt, now, tenant).changes;
              marked += sql.markSnapshots.run(purgedAt, now, tenant, JSON.stringify([...perStream.keys()])).changes;
            }
            const streams = [...perStream.entries()]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([stream, s]) => ({ stream, events: s.events, throughVersion: s.throughVersion }));
            return E.right({ deleted: rows.length, streams, marked });
          }),
        ),
      summarizeExpired: ({ before, keep, limit }) =>
        this.read('summarize expired events', () => {
          const keepJson = JSON.stringify(keep);
          const totals = sql.expiredTotals.get(tenant, before, keepJson) as { events: unknown; streams: unknown };
          if (typeof totals.events !== 'number' || typeof totals.streams !== 'number') {
            return E.left(malformedRow('events'));
          }
          const streams = decodeAll(sql.expiredStreams.all(tenant, before, keepJson, limit), decodeExpiredRow);
          return E.map((list: PurgedStream[]) => ({
            events: totals.events as number,
            streamCount: totals.streams as number,
            streams: list,
          }))(streams);
        }),
    };
  }

  onAppend(tenant: TenantId, listener: () => void): () => void {
    return this.notifier.on(tenant, listener);
  }

  close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.notifier.clear();
      this.db.close();
    }
    return Promise.resolve();
  }

  private appendInTransaction(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: Parameters<TenantStorage['append']>[2],
  ): E.Either<StorageAppendError, AppendResult> {
    const { sql } = this;
    const existing: ExistingEvent[] = [];
    for (const event of events) {
      if (event.idGenerated === true) continue;
      const row = sql.findEvent.get(tenant, event.id);
      if (row === undefined) continue;
      const decoded = decodeExistingRow(row);
      if (E.isLeft(decoded)) return decoded;
      existing.push(decoded.right);
    }
    const versionRow = sql.streamVersion.get(tenant, stream) as { version: unknown } | undefined;
    const storedVersion = versionRow === undefined ? E.right(null) : decodeStreamVersion(versionRow);
    if (E.isLeft(storedVersion)) return storedVersion;
    const current = storedVersion.right === null ? null : storedVersion.right.version;
    const decision = decideAppend(stream, events, expected, current, existing);
    if (E.isLeft(decision)) return decision;
    if (decision.right.kind === 'replay') return E.right(decision.right.result);

    const lastPosition = (sql.bumpPosition.get(tenant, events.length) as { last_position: unknown }).last_position;
    // Rolled back by inTransaction: no event is written on a position that cannot be trusted.
    if (!StoredInt.is(lastPosition)) return E.left(malformedRow('tenants'));
    const firstPosition = lastPosition - events.length + 1;
    const firstVersion = (current ?? -1) + 1;
    const recordedAt = new Date().toISOString();
    const written = events.map((event, i) => {
      sql.insertEvent.run(
        tenant,
        firstPosition + i,
        stream,
        firstVersion + i,
        event.id,
        event.type,
        event.dataJson,
        event.metadataJson,
        event.contentHash,
        recordedAt,
      );
      return { id: event.id, version: firstVersion + i, position: firstPosition + i };
    });
    const nextExpectedVersion = firstVersion + events.length - 1;
    sql.upsertStream.run(tenant, stream, nextExpectedVersion);
    return E.right({ nextExpectedVersion, lastPosition, events: written, idempotentReplay: false });
  }

  /** Runs a synchronous database call as a task, mapping driver failures to our codes. */
  private run<A>(what: string, body: () => E.Either<StorageAppendError, A>): TE.TaskEither<StorageAppendError, A> {
    return () => {
      if (this.isClosed) return Promise.resolve(E.left(closed('sqlite storage')));
      try {
        return Promise.resolve(body());
      } catch (e) {
        return Promise.resolve(E.left(mapDriverError(what, e)));
      }
    };
  }

  /** Reads can only fail with storage errors: a unique violation cannot happen in a SELECT. */
  private read<A>(what: string, body: () => E.Either<StorageError, A>): TE.TaskEither<StorageError, A> {
    return this.run(what, body) as TE.TaskEither<StorageError, A>;
  }
}

const decodeStreamVersion = (row: { version: unknown }): E.Either<StorageError, { version: number }> =>
  StoredInt.is(row.version) ? E.right({ version: row.version }) : E.left(malformedRow('streams'));

const malformedRow = (table: string): StorageError => storedRowDecoders(NAME).malformed(table);

const mapDriverError = (what: string, e: unknown): StorageAppendError => {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // Only a generated id colliding with a stored one can get here: decideAppend saw every supplied id.
    return duplicateEventId('(generated)', 'collided with a stored event id');
  }
  const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  return storageUnavailable(NAME, `could not ${what} (${describeDriverError(e)})`, busy);
};
