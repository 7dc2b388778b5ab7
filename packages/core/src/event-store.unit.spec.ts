import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { policyBlocked } from './errors.js';
import { EventStore } from './event-store.js';
import type { NewEvent } from './event.js';
import type { TenantId } from './ids.js';
import { createMemoryStorage } from './memory-storage.js';
import type { AppendContext, AppendPipeline } from './ports.js';
import { asPromises } from './promises.js';

const acmeId = 'acme' as TenantId; // the codec is tested elsewhere; here any valid id will do

describe('the append pipeline', () => {
  it('sees the tenant and stream, and its output is what gets stored', async () => {
    const seen: AppendContext[] = [];
    const upperCase: AppendPipeline = {
      process: (context, events) => {
        seen.push(context);
        return TE.right(
          events.map((e): NewEvent => ({ ...e, data: typeof e.data === 'string' ? e.data.toUpperCase() : e.data })),
        );
      },
    };
    const store = new EventStore(createMemoryStorage(), { pipeline: upperCase });
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('s-1', [{ type: 'E', data: 'quiet' }]);
    expect((await acme.readStream('s-1')).map((e) => e.data)).toEqual(['QUIET']);
    // `received` is the input as given (with its assigned id), whatever the stage made of it.
    expect(seen).toMatchObject([{ tenant: 'acme', stream: 's-1', received: [{ type: 'E', data: 'quiet' }] }]);
    await store.close();
  });

  it('fails closed: a refusing pipeline writes nothing', async () => {
    const refuse: AppendPipeline = { process: () => TE.left(policyBlocked([{ detector: 'ssn', path: 'data.ssn' }])) };
    const store = new EventStore(createMemoryStorage(), { pipeline: refuse });
    const acme = store.forTenant(acmeId);
    const result = await acme.appendToStream('s-1', [{ type: 'E', data: { ssn: 'x' } }])();
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'PolicyBlocked',
      findings: [{ detector: 'ssn', path: 'data.ssn' }],
    });
    const log = await acme.readLog()();
    expect(E.isRight(log) && log.right.events).toEqual([]);
    await store.close();
  });

  it('refuses oversize events before the pipeline runs, and checks the pipeline output too', async () => {
    let calls = 0;
    const grow: AppendPipeline = {
      process: (_c, events) => {
        calls++;
        return TE.right(events.map((e) => ({ ...e, data: 'x'.repeat(200) })));
      },
    };
    const store = new EventStore(createMemoryStorage(), { pipeline: grow, limits: { maxEventBytes: 100 } });
    const acme = store.forTenant(acmeId);
    const before = await acme.appendToStream('s-1', [{ type: 'E', data: 'y'.repeat(150) }])();
    expect(E.isLeft(before) && before.left._tag).toBe('EventTooLarge');
    expect(calls).toBe(0);
    const after = await acme.appendToStream('s-1', [{ type: 'E', data: 'small' }])();
    expect(E.isLeft(after) && after.left._tag).toBe('EventTooLarge');
    expect(calls).toBe(1);
    await store.close();
  });
});
