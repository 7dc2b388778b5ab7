import type pg from 'pg';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  decodeStoredKey,
  closed,
  storageUnavailable,
  type ConfigInvalid,
  type KeyRef,
  type KeyStore,
  type StorageError,
  type TenantId,
  type TenantKeyStore,
  type WrappedKey,
} from '@palisade/core';
import { ADAPTER, unavailable } from './errors.js';
import { openCheckedPool, type PostgresStorageOptions } from './postgres-storage.js';
import { quoteIdent } from './schema.js';

/** The storage adapter's options; `poolSize` defaults to 2 here (key operations are rare and short). */
export type PostgresKeyStoreOptions = PostgresStorageOptions;

const NAME = 'postgres key store';

/**
 * Wrapped data keys in the `data_keys` table of the event store's schema,
 * keyed by (tenant, ref), hash-partitioned and under forced row-level security
 * like every other table: each call is one transaction with `palisade.tenant`
 * set for that transaction only, so the runtime role sees and destroys only its
 * tenant's keys even if a WHERE clause were wrong.
 *
 * A destroy is a DELETE: the row is gone for every reader at once, but
 * PostgreSQL keeps the dead row version in its page until (auto)vacuum
 * reclaims it, and in write-ahead log segments, replicas and backups until
 * they age out. The table's autovacuum starts at the first dead row; what
 * makes a destroyed key useless even then is that the store only ever holds
 * it wrapped by a key-encryption key it never sees.
 */
export const createPostgresKeyStore =
  (options: PostgresKeyStoreOptions): TE.TaskEither<StorageError | ConfigInvalid, KeyStore> =>
  async () => {
    const opened = await openCheckedPool(options, 'palisade-keys', options.poolSize ?? 2);
    if (E.isLeft(opened)) return opened;
    const { pool, schema } = opened.right;
    return E.right(new PostgresKeyStore(pool, quoteIdent(schema)));
  };

interface KeyRow {
  readonly tenant_id: unknown;
  readonly key_ref: unknown;
  readonly material: unknown;
  readonly kek_id: unknown;
  readonly created_at: unknown;
}

const COLUMNS = 'tenant_id, key_ref, material, kek_id, created_at';

class PostgresKeyStore implements KeyStore {
  readonly name = ADAPTER;
  private isClosed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  forTenant(tenant: TenantId): TenantKeyStore {
    const table = `${this.schema}.data_keys`;
    const select = `SELECT ${COLUMNS} FROM ${table} WHERE tenant_id = $1 AND key_ref = $2`;
    return {
      tenant,
      get: (ref) =>
        this.inTenant(tenant, 'get a key', async (client) => {
          const found = await client.query<KeyRow>(select, [tenant, ref]);
          const row = found.rows[0];
          return row === undefined ? E.right(null) : decodeRow(tenant, row);
        }),
      putIfAbsent: (key) =>
        this.inTenant(tenant, 'put a key', async (client) => {
          // Under READ COMMITTED, a racing insert of the same ref makes this one wait, then do nothing; the SELECT
          // that follows is a new statement with a new snapshot, so it sees the winner's key.
          const inserted = await client.query<KeyRow>(
            `INSERT INTO ${table} (tenant_id, key_ref, material, kek_id, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, key_ref) DO NOTHING RETURNING ${COLUMNS}`,
            [tenant, key.ref, key.material, key.kekId, key.createdAt],
          );
          const row = inserted.rows[0] ?? (await client.query<KeyRow>(select, [tenant, key.ref])).rows[0];
          return row === undefined
            ? E.left(storageUnavailable(NAME, 'a key vanished while it was being put (destroyed concurrently)'))
            : decodeRow(tenant, row);
        }),
      destroy: (ref: KeyRef) =>
        this.inTenant(tenant, 'destroy a key', async (client) => {
          const deleted = await client.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND key_ref = $2`, [
            tenant,
            ref,
          ]);
          return E.right((deleted.rowCount ?? 0) > 0);
        }),
      list: ({ after, limit }) =>
        this.inTenant(tenant, 'list keys', async (client) => {
          // "C" collation: byte order, which for KeyRef's ASCII is code-unit order.
          const rows = await client.query<{ key_ref: KeyRef }>(
            `SELECT key_ref FROM ${table} WHERE tenant_id = $1 AND key_ref > $2 ORDER BY key_ref ASC LIMIT $3`,
            [tenant, after ?? '', limit],
          );
          return E.right(rows.rows.map((r) => r.key_ref));
        }),
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.pool.end();
  }

  /** One transaction with `palisade.tenant` set for it only: a pooled connection never carries it further. */
  private inTenant<A>(
    tenant: TenantId,
    what: string,
    body: (client: pg.PoolClient) => Promise<E.Either<StorageError, A>>,
  ): TE.TaskEither<StorageError, A> {
    return async () => {
      if (this.isClosed) return E.left(closed(NAME));
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        return E.left(this.isClosed ? closed(NAME) : unavailable(what, e));
      }
      try {
        await client.query(`BEGIN; SELECT set_config('palisade.tenant', ${client.escapeLiteral(tenant)}, true)`);
        const out = await body(client);
        await client.query(E.isRight(out) ? 'COMMIT' : 'ROLLBACK');
        client.release();
        return out;
      } catch (e) {
        client.release(true);
        return E.left(unavailable(what, e));
      }
    };
  }
}

/**
 * A stored row is input like any other: decoded, and never quoted in the error. A row of another tenant (which the
 * WHERE and the policy both rule out) is refused as well: the third wall.
 */
const decodeRow = (tenant: TenantId, row: KeyRow): E.Either<StorageError, WrappedKey> => {
  if (row.tenant_id !== tenant) {
    return E.left(storageUnavailable(NAME, `a key row of another tenant reached tenant '${tenant}'`, false));
  }
  return decodeStoredKey(NAME, tenant, row);
};
