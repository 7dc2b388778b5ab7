import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  EventStore,
  TenantId,
  type AnyStoragePlugin,
  type EventStoreOptions,
  type JsonValue,
  type PalisadeError,
  type StorageAdapter,
  type TenantEventStore,
} from '@palisade/core';
import type { ConformanceTarget, OpenedStorage } from './target.js';

/** Decodes a tenant id the tests made up; a bad one is a bug in the test. */
export const tenantId = (raw: string): TenantId => {
  const decoded = TenantId.decode(raw);
  if (E.isLeft(decoded)) throw new Error(`test used an invalid tenant id: ${raw}`);
  return decoded.right;
};

/** Runs a task that must succeed. */
export const ok = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<A> => {
  const result = await task();
  if (E.isLeft(result)) throw new Error(`expected success, got ${result.left._tag}: ${result.left.message}`);
  return result.right;
};

/** Runs a task that must fail, and returns its error. */
export const fails = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<PalisadeError> => {
  const result = await task();
  if (E.isRight(result)) throw new Error('expected a failure, got success');
  return result.left;
};

/**
 * Resolves once `condition()` holds, polling every 10 ms; throws if it does not within `timeoutMs`. Tests wait on
 * conditions with a generous deadline rather than sleep a fixed time: a busy CI machine delays timers by seconds.
 */
export const waitFor = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

export interface Opened {
  readonly store: EventStore;
  readonly storage: OpenedStorage;
  tenant(raw: string): TenantEventStore;
  close(): Promise<void>;
}

export const openStore = async (target: ConformanceTarget, options: EventStoreOptions = {}): Promise<Opened> => {
  const storage = await target.open();
  const store = new EventStore(storage.adapter, { pollIntervalMs: 50, ...options });
  return {
    store,
    storage,
    tenant: (raw) => store.forTenant(tenantId(raw)),
    close: async () => {
      await store.close();
      await storage.cleanup?.();
    },
  };
};

/** Opens the same shared storage again, in this process, as a restarted process would. */
export const reopenShared = async (storage: OpenedStorage): Promise<StorageAdapter> => {
  if (storage.shared === undefined) throw new Error('storage is not shared');
  const mod = (await import(storage.shared.pluginModule)) as { storagePlugin: AnyStoragePlugin };
  const decoded = mod.storagePlugin.options.decode(storage.shared.options);
  if (E.isLeft(decoded)) throw new Error('shared options do not decode');
  const adapter = await mod.storagePlugin.create(decoded.right, { baseDir: process.cwd() })();
  if (E.isLeft(adapter)) throw new Error(`cannot reopen: ${adapter.left.message}`);
  return adapter.right;
};

/** 1 KiB-ish payloads with a marker, so tests can tell events apart. */
export const event = (type: string, n: number, extra: Record<string, JsonValue> = {}) => ({
  type,
  data: { n, ...extra },
});

export const collect = async (
  scope: TenantEventStore,
): Promise<readonly { stream: string; position: number; version: number }[]> => {
  const out: { stream: string; position: number; version: number }[] = [];
  let after = 0;
  for (;;) {
    const page = await ok(scope.readLog({ after, limit: 500 }));
    out.push(...page.events.map((e) => ({ stream: e.stream, position: e.position, version: e.version })));
    if (!page.more) return out;
    after = page.next;
  }
};
