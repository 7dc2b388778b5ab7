import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { describeDriverError, storageUnavailable, type StorageError } from '@palisade/core';

export interface DatabaseFileOptions {
  /** The database file; `:memory:` for a private in-memory database. */
  readonly path: string;
  /** Where a relative `path` resolves from. Default: the working directory. */
  readonly baseDir?: string | undefined;
  readonly busyTimeoutMs?: number | undefined;
}

/**
 * Opens a database file as the storage and the key store both do: its folder
 * created, WAL journal, the given `synchronous` level and busy timeout; then
 * `prepare` sets what is particular to the caller (pragmas, tables). Any
 * failure is a StorageUnavailable of `adapter` that retrying will not fix.
 */
export const openDatabaseFile = (
  adapter: string,
  options: DatabaseFileOptions,
  synchronous: 'FULL' | 'NORMAL',
  prepare: (db: Database.Database) => void,
): E.Either<StorageError, Database.Database> => {
  const file = options.path === ':memory:' ? options.path : resolve(options.baseDir ?? process.cwd(), options.path);
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    prepare(db);
    return E.right(db);
  } catch (e) {
    return E.left(storageUnavailable(adapter, `cannot open the database file (${describeDriverError(e)})`, false));
  }
};
