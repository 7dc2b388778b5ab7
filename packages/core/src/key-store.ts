import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { closed, storageUnavailable } from './errors.js';
import type { TenantId } from './ids.js';
import type { StorageError } from './ports.js';

/*
 * The key store port: a small, mutable, tenant-scoped table of wrapped data
 * keys. Unlike events, keys must be destroyable (crypto-shredding destroys a
 * subject's key to make its data unreadable everywhere), so they live here and
 * never in the append-only log. As with storage, `forTenant` is the only way
 * in and every adapter keys its rows by (tenant, ref).
 */

export interface KeyRefBrand {
  readonly KeyRef: unique symbol;
}
/** Letters, digits and `. _ : -`, 1 to 200 characters: a key's name within its tenant. */
export const KeyRef = t.brand(
  t.string,
  (s): s is t.Branded<string, KeyRefBrand> => s.length <= 200 && /^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(s),
  'KeyRef',
);
export type KeyRef = t.TypeOf<typeof KeyRef>;

/** A data key as stored: encrypted ("wrapped") by a key-encryption key that the store never sees. */
export interface WrappedKey {
  readonly ref: KeyRef;
  /** The wrapped key, base64url; opaque to the store. At most 4,096 characters. */
  readonly material: string;
  /** Which key-encryption key wrapped it. */
  readonly kekId: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
}

export const WrappedKeyCodec = t.type(
  {
    ref: KeyRef,
    material: t.refinement(
      t.string,
      (s) => s.length > 0 && s.length <= 4096 && /^[A-Za-z0-9_-]+$/.test(s),
      'Base64Url',
    ),
    kekId: t.refinement(t.string, (s) => s.length > 0 && s.length <= 200, 'KekId'),
    createdAt: t.string,
  },
  'WrappedKey',
);

/** A key as SQL adapters store it, one column per field; values not yet checked. */
export interface StoredKeyRow {
  readonly key_ref?: unknown;
  readonly material?: unknown;
  readonly kek_id?: unknown;
  readonly created_at?: unknown;
}

/** Decodes a stored key row of `tenant`; a malformed one is a non-retryable StorageUnavailable of `adapter`. */
export const decodeStoredKey = (
  adapter: string,
  tenant: TenantId,
  row: StoredKeyRow,
): E.Either<StorageError, WrappedKey> => {
  const decoded = WrappedKeyCodec.decode({
    ref: row.key_ref,
    material: row.material,
    kekId: row.kek_id,
    createdAt: row.created_at,
  });
  return E.isRight(decoded)
    ? E.right(decoded.right)
    : E.left(storageUnavailable(adapter, `a stored key of tenant '${tenant}' is malformed`, false));
};

export interface TenantKeyStore {
  readonly tenant: TenantId;
  get(ref: KeyRef): TE.TaskEither<StorageError, WrappedKey | null>;
  /**
   * Stores `key` unless a key is already stored under its ref, atomically, and
   * returns the key that is stored now: when two writers race, both get the first one's key.
   */
  putIfAbsent(key: WrappedKey): TE.TaskEither<StorageError, WrappedKey>;
  /** Deletes the key for good (adapters overwrite freed pages where they can). True when there was one. */
  destroy(ref: KeyRef): TE.TaskEither<StorageError, boolean>;
  /** Refs in code-unit order, ref > `after`, up to `limit`. */
  list(options: {
    readonly after: string | null;
    readonly limit: number;
  }): TE.TaskEither<StorageError, readonly KeyRef[]>;
}

export interface KeyStore {
  readonly name: string;
  forTenant(tenant: TenantId): TenantKeyStore;
  close(): Promise<void>;
}

/** Keys in memory, for tests and throw-away runs; runs the same conformance suite as every key store. */
export const createMemoryKeyStore = (): KeyStore => {
  const tenants = new Map<TenantId, Map<KeyRef, WrappedKey>>();
  let isClosed = false;
  const later =
    <A>(f: () => A): TE.TaskEither<StorageError, A> =>
    () =>
      new Promise((resolve) =>
        setImmediate(() => resolve(isClosed ? E.left(closed('memory key store')) : E.right(f()))),
      );
  const keysOf = (tenant: TenantId): Map<KeyRef, WrappedKey> => {
    let keys = tenants.get(tenant);
    if (keys === undefined) tenants.set(tenant, (keys = new Map<KeyRef, WrappedKey>()));
    return keys;
  };
  return {
    name: 'memory',
    forTenant: (tenant) => ({
      tenant,
      get: (ref) => later(() => tenants.get(tenant)?.get(ref) ?? null),
      putIfAbsent: (key) =>
        later(() => {
          const keys = keysOf(tenant);
          const existing = keys.get(key.ref);
          if (existing !== undefined) return existing;
          const copy = { ...key };
          keys.set(key.ref, copy);
          return copy;
        }),
      destroy: (ref) => later(() => tenants.get(tenant)?.delete(ref) ?? false),
      list: ({ after, limit }) =>
        later(() =>
          [...(tenants.get(tenant)?.keys() ?? [])]
            .filter((r) => after === null || r > after)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
            .slice(0, limit),
        ),
    }),
    close: () => {
      isClosed = true;
      return Promise.resolve();
    },
  };
};
