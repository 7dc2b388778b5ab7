import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { policyBlocked, storageUnavailable } from './errors.js';
import { EventStore } from './event-store.js';
import { systemStream, type TenantId } from './ids.js';
import { createMemoryKeyStore, type KeyRef } from './key-store.js';
import { createMemoryStorage } from './memory-storage.js';
import {
  composePipelines,
  type AppendObserver,
  type AppendOutcome,
  type AppendPipeline,
  type ReadTransform,
} from './ports.js';
import { asPromises } from './promises.js';

const acmeId = 'acme' as TenantId;
const globexId = 'globex' as TenantId;

const recording = (): { observer: AppendObserver; outcomes: AppendOutcome[] } => {
  const outcomes: AppendOutcome[] = [];
  return {
    outcomes,
    observer: {
      observe: (outcome) => {
        outcomes.push(outcome);
        return Promise.resolve();
      },
    },
  };
};

describe('the append observer', () => {
  it('sees a written append with the stored events and the result, before the append resolves', async () => {
    const { observer, outcomes } = recording();
    const store = new EventStore(createMemoryStorage(), { observer });
    const acme = asPromises(store.forTenant(acmeId));
    const result = await acme.appendToStream('order-1', [
      { type: 'Placed', data: { n: 1 }, metadata: { actor: 'u:1' } },
    ]);
    expect(outcomes).toHaveLength(1);
    const seen = outcomes[0]!;
    expect(seen._tag).toBe('Appended');
    if (seen._tag !== 'Appended') return;
    expect(seen.tenant).toBe('acme');
    expect(seen.stream).toBe('order-1');
    expect(seen.result).toEqual(result);
    expect(seen.events.map((e) => [e.id, e.type, e.data, e.metadata])).toEqual([
      [result.events[0]!.id, 'Placed', { n: 1 }, { actor: 'u:1' }],
    ]);
    await store.close();
  });

  it('sees what the pipeline made of the events, not what the caller sent', async () => {
    const { observer, outcomes } = recording();
    const redact: AppendPipeline = { process: (_c, events) => TE.right(events.map((e) => ({ ...e, data: '[x]' }))) };
    const store = new EventStore(createMemoryStorage(), { observer, pipeline: redact });
    await asPromises(store.forTenant(acmeId)).appendToStream('s-1', [{ type: 'E', data: 'secret' }]);
    expect(outcomes[0]?._tag === 'Appended' && outcomes[0].events[0]!.data).toBe('[x]');
    await store.close();
  });

  it('sees a refusal with its error and the inputs, and the caller gets the same error', async () => {
    const { observer, outcomes } = recording();
    const block: AppendPipeline = { process: () => TE.left(policyBlocked([{ detector: 'email', path: 'data' }])) };
    const store = new EventStore(createMemoryStorage(), { observer, pipeline: block });
    const acme = store.forTenant(acmeId);
    const result = await acme.appendToStream('s-1', [{ type: 'E', data: 'a@b.c' }])();
    expect(E.isLeft(result) && result.left._tag).toBe('PolicyBlocked');
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ _tag: 'Refused', stream: 's-1', error: { _tag: 'PolicyBlocked' } });
    // An invalid stream id is refused before it is a StreamId: the observer gets null.
    await acme.appendToStream('not a stream', [{ type: 'E', data: 1 }])();
    expect(outcomes[1]).toMatchObject({ _tag: 'Refused', stream: null, error: { _tag: 'InvalidInput' } });
    await store.close();
  });

  it('sees system stream appends too, and an observer that appends to its own stream does not recurse', async () => {
    const audit = systemStream('audit');
    const outcomes: AppendOutcome[] = [];
    const observer: AppendObserver = {
      observe: async (outcome, scope) => {
        outcomes.push(outcome);
        if (outcome.stream === audit) return; // its own writes: observed, not audited again
        await scope.appendToSystemStream(audit, [{ type: 'Audited', data: { stream: outcome.stream } }])();
      },
    };
    const store = new EventStore(createMemoryStorage(), { observer });
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('s-1', [{ type: 'E', data: 1 }]);
    expect(outcomes.map((o) => o.stream)).toEqual(['s-1', audit]);
    expect((await acme.readStream(audit)).map((e) => e.data)).toEqual([{ stream: 's-1' }]);
    await store.close();
  });

  it('never changes the result when it fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    const store = new EventStore(createMemoryStorage(), {
      observer: { observe: () => Promise.reject(new Error('audit down')) },
      onObserverError: (e) => errors.push(e),
    });
    const acme = asPromises(store.forTenant(acmeId));
    const result = await acme.appendToStream('s-1', [{ type: 'E', data: 1 }]);
    expect(result.nextExpectedVersion).toBe(0);
    expect(errors).toHaveLength(1);
    await store.close();
  });
});

describe('the read transform', () => {
  it('applies to stream reads, log reads and subscriptions, per tenant', async () => {
    const seenTenants: string[] = [];
    const reader: ReadTransform = {
      read: (tenant, events) => {
        seenTenants.push(tenant);
        return TE.right(events.map((e) => ({ ...e, data: { wrapped: e.data } })));
      },
    };
    const store = new EventStore(createMemoryStorage(), { reader, pollIntervalMs: 10 });
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('s-1', [{ type: 'E', data: 1 }]);
    expect((await acme.readStream('s-1')).map((e) => e.data)).toEqual([{ wrapped: 1 }]);
    expect((await acme.readLog()).events.map((e) => e.data)).toEqual([{ wrapped: 1 }]);
    const got: unknown[] = [];
    const sub = acme.subscribe({ handler: (e) => void got.push(e.data) });
    await vi_waitFor(() => got.length === 1);
    await sub.stop();
    expect(got).toEqual([{ wrapped: 1 }]);
    expect(new Set(seenTenants)).toEqual(new Set(['acme']));
    await store.close();
  });

  it('fails the read with its error', async () => {
    const reader: ReadTransform = { read: () => TE.left(storageUnavailable('crypto', 'no key', false)) };
    const store = new EventStore(createMemoryStorage(), { reader });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])();
    const read = await acme.readStream('s-1')();
    expect(E.isLeft(read) && read.left._tag).toBe('StorageUnavailable');
    await store.close();
  });
});

describe('the memory key store', () => {
  it('keeps keys per tenant, first writer wins, destroy is for good', async () => {
    const keys = createMemoryKeyStore();
    const ref = 'subject:abc' as KeyRef;
    const acme = keys.forTenant(acmeId);
    const key = { ref, material: 'AAAA', kekId: 'k1', createdAt: new Date(0).toISOString() };
    expect(await acme.putIfAbsent(key)()).toEqual(E.right(key));
    expect(await acme.putIfAbsent({ ...key, material: 'BBBB' })()).toEqual(E.right(key));
    expect(await keys.forTenant(globexId).get(ref)()).toEqual(E.right(null));
    expect(await acme.destroy(ref)()).toEqual(E.right(true));
    expect(await acme.get(ref)()).toEqual(E.right(null));
    await keys.close();
  });
});

// Up to 10 s: a busy CI machine delays timers by seconds; the assertion after the wait says what was missing.
const vi_waitFor = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('composePipelines', () => {
  it('runs stages in order, stops at the first refusal, and closes every stage', async () => {
    const closed: string[] = [];
    const stage = (name: string): AppendPipeline => ({
      process: (_c, events) =>
        TE.right(events.map((e) => ({ ...e, data: `${typeof e.data === 'string' ? e.data : ''}${name}` }))),
      close: () => {
        closed.push(name);
        return Promise.resolve();
      },
    });
    const refuse: AppendPipeline = { process: () => TE.left(policyBlocked([{ detector: 'd', path: 'data' }])) };
    const store = new EventStore(createMemoryStorage(), { pipeline: composePipelines(stage('a'), stage('b')) });
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('s-1', [{ type: 'E', data: '' }]);
    expect((await acme.readStream('s-1'))[0]!.data).toBe('ab');
    await store.close();
    expect(closed).toEqual(['a', 'b']);
    const refusing = new EventStore(createMemoryStorage(), { pipeline: composePipelines(refuse, stage('c')) });
    const r = await refusing.forTenant(acmeId).appendToStream('s-1', [{ type: 'E', data: '' }])();
    expect(E.isLeft(r) && r.left._tag).toBe('PolicyBlocked');
    await refusing.close();
  });
});

describe('ids and the pipeline', () => {
  it('assigns ids before the pipeline, and marks them fresh for the adapter', async () => {
    const seen: (string | undefined)[] = [];
    const pipeline: AppendPipeline = {
      process: (_c, events) => {
        seen.push(...events.map((e) => e.id));
        return TE.right(events);
      },
    };
    const { observer, outcomes } = recording();
    const store = new EventStore(createMemoryStorage(), { pipeline, observer });
    const given = '3f1c7a52-3b7e-4c1e-9d55-0c8a3f1b2e77';
    const r = await asPromises(store.forTenant(acmeId)).appendToStream('s-1', [
      { type: 'E', data: 1 },
      { id: given, type: 'E', data: 2 },
    ]);
    expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]).toBe(given);
    expect(r.events.map((e) => e.id)).toEqual(seen);
    const appended = outcomes[0];
    expect(appended?._tag === 'Appended' && appended.events.map((e) => e.idGenerated)).toEqual([true, false]);
    await store.close();
  });
});
