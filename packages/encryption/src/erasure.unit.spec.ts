import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import {
  EventStore,
  asPromises,
  createMemoryKeyStore,
  createMemoryStorage,
  defineProjection,
  eraseDerivedState,
  everyNEvents,
  loadAggregate,
  projectionsFor,
  type JsonValue,
  type TenantId,
} from '@palisade/core';
import { encryptionFromConfig } from './from-config.js';

const acmeId = 'acme' as TenantId;
const globexId = 'globex' as TenantId;

// Both projections copy the e-mail address into their state: the case crypto-shredding alone cannot reach.
const Emails = t.record(t.string, t.unknown) as unknown as t.Type<Record<string, JsonValue>, JsonValue, unknown>;
const directory = defineProjection({
  name: 'customer-directory',
  version: 1,
  state: Emails,
  initial: {},
  handlers: {
    CustomerRegistered: (state, e) => {
      const data = e.data as { customerId: string; email: JsonValue };
      return { ...state, [data.customerId]: data.email };
    },
  },
});
const customer = defineProjection({
  name: 'customer',
  version: 1,
  state: Emails,
  initial: {},
  handlers: { CustomerRegistered: (_state, e) => ({ email: (e.data as { email: JsonValue }).email }) },
});

const setup = () => {
  const encryption = encryptionFromConfig(
    {
      kek: randomBytes(32).toString('base64'),
      kek_id: 'kek-1',
      personal_data: [{ event_type: 'CustomerRegistered', subject: 'data.customerId', fields: ['data.email'] }],
    },
    createMemoryKeyStore(),
    { cacheTtlMs: 0 },
  );
  if (E.isLeft(encryption)) throw new Error(encryption.left.message);
  const store = new EventStore(createMemoryStorage(), {
    pipeline: encryption.right.pipeline,
    reader: encryption.right.reader,
  });
  return { store, encryption: encryption.right };
};

const must = async <A>(task: () => Promise<E.Either<{ message: string }, A>>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

describe('eraseDerivedState after forget', () => {
  it('leaves no plain copy in projections or snapshots, and touches no other tenant', async () => {
    const { store, encryption } = setup();
    for (const tenant of [acmeId, globexId]) {
      const scope = store.forTenant(tenant);
      await asPromises(scope).appendToStream('customer-c-1', [
        { type: 'CustomerRegistered', data: { customerId: 'c-1', email: `ann@${tenant}.example` } },
      ]);
      await must(projectionsFor(scope).catchUp(directory));
      await must(loadAggregate(scope, customer, 'customer-c-1', { policy: everyNEvents(1) }));
    }
    const acme = store.forTenant(acmeId);
    await encryption.forget(acmeId, 'c-1');

    // The events read erased at once; state derived before the forget still holds the address.
    expect((await asPromises(acme).readStream('customer-c-1'))[0]!.data).toMatchObject({ email: { $erased: true } });
    expect((await must(projectionsFor(acme).read(directory)))?.state).toEqual({ 'c-1': 'ann@acme.example' });

    const result = await must(eraseDerivedState(acme, { projections: [directory], snapshots: [customer] }));
    expect(result).toEqual({ projections: { 'customer-directory': 1 }, snapshots: { customer: 1 } });

    expect((await must(projectionsFor(acme).read(directory)))?.state).toEqual({ 'c-1': { $erased: true } });
    const reloaded = await must(loadAggregate(acme, customer, 'customer-c-1'));
    expect(reloaded.state).toEqual({ email: { $erased: true } });
    expect(JSON.stringify(reloaded)).not.toContain('ann@acme.example');

    // globex forgot nothing: its state is as it was.
    const globex = store.forTenant(globexId);
    expect((await must(projectionsFor(globex).read(directory)))?.state).toEqual({ 'c-1': 'ann@globex.example' });
    expect((await must(loadAggregate(globex, customer, 'customer-c-1'))).state).toEqual({
      email: 'ann@globex.example',
    });
    await store.close();
  });

  it('a runner still holding the old state cannot save it back after the erasure', async () => {
    const { store, encryption } = setup();
    const acme = store.forTenant(acmeId);
    const views = projectionsFor(acme);
    await asPromises(acme).appendToStream('customer-c-1', [
      { type: 'CustomerRegistered', data: { customerId: 'c-1', email: 'ann@acme.example' } },
    ]);
    await must(views.catchUp(directory));
    const started = views.startAsync(directory, { saveAfterMs: 5 });
    if (E.isLeft(started)) throw new Error(started.left.message);
    const runner = started.right;
    try {
      await encryption.forget(acmeId, 'c-1');
      await must(eraseDerivedState(acme, { projections: [directory] }));
      // The runner applies the next event to the state it held, with the plain address, and tries to save it.
      await asPromises(acme).appendToStream('customer-c-2', [
        { type: 'CustomerRegistered', data: { customerId: 'c-2', email: 'bo@acme.example' } },
      ]);
      const deadline = Date.now() + 30_000;
      let state: Record<string, JsonValue> | undefined;
      while (Date.now() < deadline) {
        state = (await must(views.read(directory)))?.state;
        if (state?.['c-2'] !== undefined) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // It lost the race, reloaded the recomputed state and resumed: c-2 is there, the address is not.
      expect(state).toEqual({ 'c-1': { $erased: true }, 'c-2': 'bo@acme.example' });
    } finally {
      await runner.stop();
      await store.close();
    }
  });
});
