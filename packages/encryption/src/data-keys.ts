import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { KeyRef, storageUnavailable, type KeyStore, type StorageError, type TenantId } from '@palisade/core';
import { unwrapKey, wrapKey } from './envelope.js';
import type { Kek } from './kek.js';

export type KeyEvent =
  | { readonly action: 'key.create'; readonly tenant: TenantId; readonly ref: string }
  | { readonly action: 'key.destroy'; readonly tenant: TenantId; readonly ref: string; readonly existed: boolean };

export interface DataKeysOptions {
  readonly kek: Kek;
  readonly store: KeyStore;
  /** How long an unwrapped key is kept in memory. Default 30 s: another process sees a `forget` within this time. */
  readonly cacheTtlMs?: number;
  readonly onKeyEvent?: (event: KeyEvent) => void;
  readonly now?: () => number;
}

/**
 * Data keys by (tenant, ref): unwrapped from the key store on demand, created
 * and wrapped on first use (first writer wins when two race), cached briefly.
 */
export const createDataKeys = (options: DataKeysOptions) => {
  const ttl = options.cacheTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { key: Buffer | null; until: number }>();
  const cacheKey = (tenant: TenantId, ref: string) => `${tenant}\u0000${ref}`;
  const kek = options.kek;

  const unwrap = (tenant: TenantId, ref: string, material: string): E.Either<StorageError, Buffer> => {
    const key = unwrapKey(kek.material(), tenant, ref, material);
    return key === null
      ? E.left(storageUnavailable('encryption', `key ${ref} does not unwrap with key-encryption key ${kek.id}`, false))
      : E.right(key);
  };

  const decodeRef = (ref: string): E.Either<StorageError, KeyRef> =>
    KeyRef.is(ref) ? E.right(ref) : E.left(storageUnavailable('encryption', 'a stored key ref is malformed', false));

  /** The key, or null when it does not exist (never created, or destroyed). */
  const find = async (tenant: TenantId, ref: string): Promise<E.Either<StorageError, Buffer | null>> => {
    const hit = cache.get(cacheKey(tenant, ref));
    if (hit !== undefined && hit.until > now()) return E.right(hit.key);
    const r = decodeRef(ref);
    if (E.isLeft(r)) return r;
    const stored = await options.store.forTenant(tenant).get(r.right)();
    if (E.isLeft(stored)) return stored;
    if (stored.right === null) {
      cache.set(cacheKey(tenant, ref), { key: null, until: now() + ttl });
      return E.right(null);
    }
    const key = unwrap(tenant, ref, stored.right.material);
    if (E.isRight(key)) cache.set(cacheKey(tenant, ref), { key: key.right, until: now() + ttl });
    return key;
  };

  /*
   * Subject key refs are HMACs under a key derived from the KEK, so a process given another KEK under the same id
   * would find none of the tenant's keys: it would create a second set, and its `forget` would miss the first. A
   * check key, made with the tenant's first key, must unwrap before any key is created or destroyed.
   */
  const kekChecked = new Set<TenantId>();
  const wrongKek = storageUnavailable(
    'encryption',
    `key-encryption key ${kek.id} is not the one this tenant's keys were made with: check encryption.kek`,
    false,
  );
  /** Whether the tenant's check key unwraps; `create` makes it when the tenant has none yet (a key is being made). */
  const checkKek = async (tenant: TenantId, create: boolean): Promise<E.Either<StorageError, void>> => {
    if (kekChecked.has(tenant)) return E.right(undefined);
    const stored = await options.store.forTenant(tenant).get(KEK_CHECK_REF as KeyRef)();
    if (E.isLeft(stored)) return stored; // the store's own failure, retryable or not, as it is
    if (stored.right === null) {
      // No check key: a tenant without keys (or from before there were check keys). Only making a key makes one.
      if (!create) return E.right(undefined);
      const made = await findOrCreate(tenant, KEK_CHECK_REF);
      if (E.isLeft(made)) return made.left.message.includes('does not unwrap') ? E.left(wrongKek) : made;
    } else if (unwrapKey(kek.material(), tenant, KEK_CHECK_REF, stored.right.material) === null) {
      return E.left(wrongKek);
    }
    kekChecked.add(tenant);
    return E.right(undefined);
  };

  const getOrCreate = async (tenant: TenantId, ref: string): Promise<E.Either<StorageError, Buffer>> => {
    const found = await find(tenant, ref);
    if (E.isLeft(found) || found.right !== null) return found as E.Either<StorageError, Buffer>;
    const checked = await checkKek(tenant, true);
    if (E.isLeft(checked)) return checked;
    return findOrCreate(tenant, ref);
  };

  const findOrCreate = async (tenant: TenantId, ref: string): Promise<E.Either<StorageError, Buffer>> => {
    const found = await find(tenant, ref);
    if (E.isLeft(found) || found.right !== null) return found as E.Either<StorageError, Buffer>;
    const r = decodeRef(ref);
    if (E.isLeft(r)) return r;
    const fresh = randomBytes(32);
    const stored = await options.store.forTenant(tenant).putIfAbsent({
      ref: r.right,
      material: wrapKey(kek.material(), tenant, ref, fresh),
      kekId: kek.id,
      createdAt: new Date(now()).toISOString(),
    })();
    if (E.isLeft(stored)) return stored;
    const key = unwrap(tenant, ref, stored.right.material);
    if (E.isRight(key)) {
      cache.set(cacheKey(tenant, ref), { key: key.right, until: now() + ttl });
      if (key.right.equals(fresh)) options.onKeyEvent?.({ action: 'key.create', tenant, ref });
    }
    return key;
  };

  const destroy = async (tenant: TenantId, ref: string): Promise<E.Either<StorageError, boolean>> => {
    const r = decodeRef(ref);
    if (E.isLeft(r)) return r;
    // With another KEK the ref names no key: "nothing to forget" would be a lie.
    const checked = await checkKek(tenant, false);
    if (E.isLeft(checked)) return checked;
    cache.delete(cacheKey(tenant, ref));
    const done = await options.store.forTenant(tenant).destroy(r.right)();
    // Dropped again: a read racing the destroy may have cached the key meanwhile.
    cache.delete(cacheKey(tenant, ref));
    if (E.isRight(done)) options.onKeyEvent?.({ action: 'key.destroy', tenant, ref, existed: done.right });
    return done;
  };

  return { find, getOrCreate, destroy };
};

export type DataKeys = ReturnType<typeof createDataKeys>;

/** The ref of each tenant's KEK check key: wrapped like any data key, used for nothing but unwrapping. */
export const KEK_CHECK_REF = 'k:check';
