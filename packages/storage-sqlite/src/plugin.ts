import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { PositiveInt, strict, type StoragePlugin } from '@palisade/core';
import { createSqliteStorage } from './sqlite-storage.js';

const SqliteOptions = strict(
  {},
  {
    path: t.string,
    durability: t.union([t.literal('normal'), t.literal('full')]),
    busy_timeout_ms: PositiveInt,
  },
  'SqliteStorageOptions',
);
export type SqliteConfig = t.TypeOf<typeof SqliteOptions>;

/** `storage: { kind: sqlite, path: ./data/palisade.db, durability: full }` */
export const storagePlugin: StoragePlugin<SqliteConfig> = {
  kind: 'sqlite',
  options: SqliteOptions,
  create: (options, context) =>
    TE.fromEither(
      createSqliteStorage({
        baseDir: context.baseDir,
        ...(options.path !== undefined ? { path: options.path } : {}),
        ...(options.durability !== undefined ? { durability: options.durability } : {}),
        ...(options.busy_timeout_ms !== undefined ? { busyTimeoutMs: options.busy_timeout_ms } : {}),
      }),
    ),
};
