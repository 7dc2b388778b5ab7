import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyRef, KeyStore, PalisadeError, TenantId, WrappedKey } from '@palisade/core';

/** What a key store adapter gives its conformance suite. */
export interface KeyStoreTarget {
  readonly name: string;
  open(): Promise<{
    readonly store: KeyStore;
    /** Everything the adapter persisted, as text: a destroyed key must not be found in it. */
    readonly storedText?: () => Promise<string>;
    readonly cleanup?: () => Promise<void>;
  }>;
}

const run = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(`${r.left.code}: ${r.left.message}`);
  return r.right;
};

const ref = (s: string) => s as KeyRef;
const tenant = (s: string) => s as TenantId;
let counter = 0;
const key = (r: string, material?: string): WrappedKey => ({
  ref: ref(r),
  // Distinct, recognisable material, so that "is it still stored?" can be asked of the raw bytes.
  material: material ?? `M${(counter++).toString(36)}x${Math.random().toString(36).slice(2)}Q`.padEnd(48, 'Z'),
  kekId: 'kek-1',
  createdAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
});

/**
 * The key store contract. Every key store adapter runs it unchanged, as
 * storage adapters run `eventStoreConformance`.
 */
export const keyStoreConformance = (target: KeyStoreTarget): void => {
  describe(`key store conformance: ${target.name}`, () => {
    let opened: Awaited<ReturnType<KeyStoreTarget['open']>>;
    beforeEach(async () => {
      opened = await target.open();
    });
    afterEach(async () => {
      await opened.store.close();
      await opened.cleanup?.();
    });

    it('gets nothing for an unknown ref, and what was put for a known one', async () => {
      const acme = opened.store.forTenant(tenant('acme'));
      expect(await run(acme.get(ref('s:none')))).toBeNull();
      const k = key('s:a');
      expect(await run(acme.putIfAbsent(k))).toEqual(k);
      expect(await run(acme.get(ref('s:a')))).toEqual(k);
    });

    it('keeps the first key when a ref is put twice, and when writers race', async () => {
      const acme = opened.store.forTenant(tenant('acme'));
      const first = key('s:a');
      await run(acme.putIfAbsent(first));
      expect(await run(acme.putIfAbsent(key('s:a')))).toEqual(first);
      const racing = await Promise.all([1, 2, 3, 4].map(() => run(acme.putIfAbsent(key('s:b')))));
      expect(new Set(racing.map((k) => k.material)).size).toBe(1);
    });

    it('destroys a key for good: true once, then false, and a new key may take the ref', async () => {
      const acme = opened.store.forTenant(tenant('acme'));
      const k = key('s:a');
      await run(acme.putIfAbsent(k));
      expect(await run(acme.destroy(ref('s:a')))).toBe(true);
      expect(await run(acme.get(ref('s:a')))).toBeNull();
      expect(await run(acme.destroy(ref('s:a')))).toBe(false);
      const next = key('s:a');
      expect(await run(acme.putIfAbsent(next))).toEqual(next);
    });

    it('leaves no copy of a destroyed key in what it persisted', async () => {
      if (opened.storedText === undefined) return;
      const acme = opened.store.forTenant(tenant('acme'));
      const k = key('s:gone');
      await run(acme.putIfAbsent(k));
      await run(acme.putIfAbsent(key('s:kept')));
      expect(await opened.storedText()).toContain(k.material);
      await run(acme.destroy(ref('s:gone')));
      expect(await opened.storedText()).not.toContain(k.material);
    });

    it('lists refs in order, a page at a time', async () => {
      const acme = opened.store.forTenant(tenant('acme'));
      for (const r of ['s:c', 's:a', 's:b', 's:d']) await run(acme.putIfAbsent(key(r)));
      expect(await run(acme.list({ after: null, limit: 3 }))).toEqual(['s:a', 's:b', 's:c']);
      expect(await run(acme.list({ after: 's:c', limit: 3 }))).toEqual(['s:d']);
    });

    it('keeps tenants apart under any sequence of writes and destroys (property)', async () => {
      const op = fc.record({
        tenant: fc.constantFrom('acme', 'globex', 'initech'),
        ref: fc.constantFrom('s:1', 's:2', 't:payload'),
        kind: fc.constantFrom('put', 'destroy'),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          const { store, cleanup } = await target.open();
          try {
            const model = new Map<string, WrappedKey>();
            for (const o of ops) {
              const scope = store.forTenant(tenant(o.tenant));
              const id = `${o.tenant}/${o.ref}`;
              if (o.kind === 'put') {
                const k = key(o.ref);
                const got = await run(scope.putIfAbsent(k));
                if (!model.has(id)) model.set(id, k);
                expect(got).toEqual(model.get(id));
              } else {
                expect(await run(scope.destroy(ref(o.ref)))).toBe(model.delete(id));
              }
            }
            for (const t of ['acme', 'globex', 'initech']) {
              const scope = store.forTenant(tenant(t));
              for (const r of ['s:1', 's:2', 't:payload']) {
                expect(await run(scope.get(ref(r)))).toEqual(model.get(`${t}/${r}`) ?? null);
              }
              const expected = [...model.keys()].filter((k) => k.startsWith(`${t}/`)).map((k) => k.slice(t.length + 1));
              expect(await run(scope.list({ after: null, limit: 10 }))).toEqual(expected.sort());
            }
          } finally {
            await store.close();
            await cleanup?.();
          }
        }),
        { numRuns: 25 },
      );
    });

    it('answers Closed once closed', async () => {
      const { store, cleanup } = await target.open();
      await store.close();
      const r = await store.forTenant(tenant('acme')).get(ref('s:a'))();
      expect(E.isLeft(r) && r.left._tag).toBe('Closed');
      await cleanup?.();
    });
  });
};
