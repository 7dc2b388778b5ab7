import * as t from 'io-ts';
import { PositiveInt, strict, type StoragePlugin } from '@palisade/core';
import { createPostgresKeyStore } from './key-store.js';
import { SCHEMA_NAME, createPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';

const SchemaName = t.refinement(t.string, (s) => SCHEMA_NAME.test(s), 'PostgresSchemaName');
const Url = t.refinement(t.string, (s) => /^postgres(ql)?:\/\//.test(s), 'PostgresUrl');

const PostgresOptions = strict(
  { url: Url },
  {
    password: t.string,
    migration_url: Url,
    migration_password: t.string,
    migrate: t.boolean,
    durability: t.union([t.literal('full'), t.literal('normal')]),
    schema: SchemaName,
    partitions: t.refinement(PositiveInt, (n) => n <= 1024, 'PartitionCount'),
    pool_size: PositiveInt,
    lock_timeout_ms: PositiveInt,
    statement_timeout_ms: PositiveInt,
    connect_timeout_ms: PositiveInt,
  },
  'PostgresStorageOptions',
);
export type PostgresConfig = t.TypeOf<typeof PostgresOptions>;

/**
 * `storage: { kind: postgres, url: postgres://palisade_app@db/palisade, password: '${secret:pg-app}',
 *             migration_url: postgres://palisade_owner@db/palisade, migration_password: '${secret:pg-owner}' }`
 */
export const storagePlugin: StoragePlugin<PostgresConfig> = {
  kind: 'postgres',
  options: PostgresOptions,
  create: (o) => createPostgresStorage(storageOptions(o)),
  // Same options, same schema and roles: keys live beside the events, under the same row-level security.
  // Its own pool of 2 (the default): `pool_size` is sized for the event store's traffic, not for key look-ups.
  createKeyStore: (o) => {
    const { poolSize: _eventPool, ...options } = storageOptions(o);
    return createPostgresKeyStore(options);
  },
};

const storageOptions = (o: PostgresConfig): PostgresStorageOptions => ({
  url: o.url,
  ...(o.password !== undefined ? { password: o.password } : {}),
  ...(o.migration_url !== undefined ? { migrationUrl: o.migration_url } : {}),
  ...(o.migration_password !== undefined ? { migrationPassword: o.migration_password } : {}),
  ...(o.migrate !== undefined ? { migrate: o.migrate } : {}),
  ...(o.schema !== undefined ? { schema: o.schema } : {}),
  ...(o.partitions !== undefined ? { partitions: o.partitions } : {}),
  ...(o.durability !== undefined ? { durability: o.durability } : {}),
  ...(o.pool_size !== undefined ? { poolSize: o.pool_size } : {}),
  ...(o.lock_timeout_ms !== undefined ? { lockTimeoutMs: o.lock_timeout_ms } : {}),
  ...(o.statement_timeout_ms !== undefined ? { statementTimeoutMs: o.statement_timeout_ms } : {}),
  ...(o.connect_timeout_ms !== undefined ? { connectTimeoutMs: o.connect_timeout_ms } : {}),
});
