import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  decodeStoredKey,
  closed,
  describeDriverError,
  storageUnavailable,
  type KeyRef,
  type KeyStore,
  type StorageError,
  type StoredKeyRow,
  type TenantId,
  type WrappedKey,
} from '@palisade/core';
import { openDatabaseFile } from './open-database.js';
import { DEFAULT_SQLITE_PATH } from './sqlite-storage.js';
import { inTransaction } from './transaction.js';

export interface SqliteKeyStoreOptions {
  /** The database file; may be the event store's own file. Default `./.palisade/palisade.db`. */
  readonly path?: string;
  readonly baseDir?: string;
  readonly busyTimeoutMs?: number;
}

const NAME = 'sqlite key store';

/**
 * Wrapped data keys in a SQLite table keyed by (tenant, ref). Its own
 * connection, with `secure_delete` on so that a destroyed key's bytes are
 * overwritten in the file, and a WAL checkpoint after each destroy so that no
 * copy lingers in the write-ahead log either.
 */
export const createSqliteKeyStore = (options: SqliteKeyStoreOptions = {}): E.Either<StorageError, KeyStore> => {
  const opened = openDatabaseFile(
    NAME,
    { path: options.path ?? DEFAULT_SQLITE_PATH, baseDir: options.baseDir, busyTimeoutMs: options.busyTimeoutMs },
    'FULL',
    (db) => {
      db.pragma('secure_delete = ON');
      db.exec(`CREATE TABLE IF NOT EXISTS data_keys (
        tenant_id  TEXT NOT NULL,
        key_ref    TEXT NOT NULL,
        material   TEXT NOT NULL,
        kek_id     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key_ref)
      ) WITHOUT ROWID`);
    },
  );
  if (E.isLeft(opened)) return opened;
  const db = opened.right;
  const sql = {
    get: db.prepare('SELECT key_ref, material, kek_id, created_at FROM data_keys WHERE tenant_id = ? AND key_ref = ?'),
    insert: db.prepare(
      `INSERT INTO data_keys (tenant_id, key_ref, material, kek_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, key_ref) DO NOTHING`,
    ),
    destroy: db.prepare('DELETE FROM data_keys WHERE tenant_id = ? AND key_ref = ?'),
    list: db.prepare('SELECT key_ref FROM data_keys WHERE tenant_id = ? AND key_ref > ? ORDER BY key_ref ASC LIMIT ?'),
  };
  let isClosed = false;

  const run =
    <A>(what: string, f: () => E.Either<StorageError, A>): TE.TaskEither<StorageError, A> =>
    () =>
      new Promise((done) =>
        setImmediate(() => {
          if (isClosed) return done(E.left(closed(NAME)));
          try {
            done(f());
          } catch (e) {
            done(E.left(storageUnavailable(NAME, `${what} failed (${describeDriverError(e)})`)));
          }
        }),
      );

  const decodeRow = (tenant: TenantId, row: unknown): E.Either<StorageError, WrappedKey> =>
    decodeStoredKey(NAME, tenant, row as StoredKeyRow);

  return E.right({
    name: 'sqlite',
    forTenant: (tenant) => ({
      tenant,
      get: (ref) =>
        run('get', () => {
          const row: unknown = sql.get.get(tenant, ref);
          return row === undefined ? E.right(null) : decodeRow(tenant, row);
        }),
      putIfAbsent: (key) =>
        run('put', () =>
          inTransaction(db, () => {
            sql.insert.run(tenant, key.ref, key.material, key.kekId, key.createdAt);
            return decodeRow(tenant, sql.get.get(tenant, key.ref));
          }),
        ),
      destroy: (ref: KeyRef) =>
        run('destroy', () => {
          const existed = sql.destroy.run(tenant, ref).changes > 0;
          // Best effort: a reader holding an old snapshot can delay it; secure_delete has already zeroed the page.
          db.pragma('wal_checkpoint(TRUNCATE)');
          return E.right(existed);
        }),
      list: ({ after, limit }) =>
        run('list', () => {
          const rows = sql.list.all(tenant, after ?? '', limit) as { key_ref: KeyRef }[];
          return E.right(rows.map((r) => r.key_ref));
        }),
    }),
    close: () => {
      if (!isClosed) {
        isClosed = true;
        db.close();
      }
      return Promise.resolve();
    },
  });
};
