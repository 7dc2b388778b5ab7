import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventStore, systemStream, type JsonObject, type RecordedEvent, type TenantEventStore } from '@palisade/core';
import { createRedactionPipeline } from '@palisade/redaction';
import { collect, event, fails, ok, openStore, reopenShared, tenantId, waitFor, type Opened } from './harness.js';
import { documentWith, plantedValue } from './pii-arbitraries.js';
import { stateAndRetentionConformance } from './state-suite.js';
import type { ConformanceTarget } from './target.js';

/**
 * The storage contract. Every adapter runs this unchanged; a case an adapter
 * cannot meet is a bug in the adapter or in the case, never a skip.
 */
export const eventStoreConformance = (target: ConformanceTarget): void => {
  describe(`storage conformance: ${target.name}`, () => {
    let opened: Opened;
    let acme: TenantEventStore;
    let globex: TenantEventStore;

    beforeEach(async () => {
      opened = await openStore(target);
      acme = opened.tenant('acme');
      globex = opened.tenant('globex');
    });
    afterEach(async () => {
      await opened.close();
    });

    describe('appends and reads', () => {
      it('numbers stream versions from 0 and tenant positions from 1', async () => {
        const first = await ok(acme.appendToStream('order-1', [event('Placed', 1), event('Paid', 2)]));
        const second = await ok(acme.appendToStream('order-2', [event('Placed', 3)]));
        expect(first.events.map((e) => [e.version, e.position])).toEqual([
          [0, 1],
          [1, 2],
        ]);
        expect(first.nextExpectedVersion).toBe(1);
        expect(second.events.map((e) => [e.version, e.position])).toEqual([[0, 3]]);
        expect(second.idempotentReplay).toBe(false);

        const read = await ok(acme.readStream('order-1'));
        expect(read.map((e) => [e.type, e.data, e.version, e.position, e.tenant, e.stream])).toEqual([
          ['Placed', { n: 1 }, 0, 1, 'acme', 'order-1'],
          ['Paid', { n: 2 }, 1, 2, 'acme', 'order-1'],
        ]);
        expect(read[0]!.metadata).toEqual({});
        expect(Number.isNaN(Date.parse(read[0]!.recordedAt))).toBe(false);
      });

      it('keeps client-supplied ids and metadata', async () => {
        const id = '5f1c7a52-3b7e-4c1e-9d55-0c8a3f1b2e77';
        const metadata = { correlationId: 'c-1', causationId: 'c-0', actor: 'user:7', workflowNode: 'triage' };
        await ok(acme.appendToStream('order-1', [{ id, type: 'Placed', data: { a: 1 }, metadata }]));
        const [read] = await ok(acme.readStream('order-1'));
        expect(read!.id).toBe(id);
        expect(read!.metadata).toEqual(metadata);
      });

      it('reads a stream forwards and backwards from a version, with a limit', async () => {
        await ok(
          acme.appendToStream(
            's-1',
            Array.from({ length: 10 }, (_, i) => event('E', i)),
          ),
        );
        const versions = (events: readonly RecordedEvent[]) => events.map((e) => e.version);
        expect(versions(await ok(acme.readStream('s-1', { fromVersion: 3, limit: 4 })))).toEqual([3, 4, 5, 6]);
        expect(versions(await ok(acme.readStream('s-1', { direction: 'backwards', limit: 3 })))).toEqual([9, 8, 7]);
        expect(versions(await ok(acme.readStream('s-1', { direction: 'backwards', fromVersion: 2 })))).toEqual([
          2, 1, 0,
        ]);
        expect(await ok(acme.readStream('s-1', { fromVersion: 10 }))).toEqual([]);
        expect(await ok(acme.readStream('missing'))).toEqual([]);
      });

      it('pages through the tenant log in position order', async () => {
        for (let i = 0; i < 7; i++) await ok(acme.appendToStream(`s-${i % 3}`, [event('E', i), event('E', i)]));
        const first = await ok(acme.readLog({ limit: 5 }));
        expect(first.events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
        expect(first.more).toBe(true);
        const all = await collect(acme);
        expect(all.map((e) => e.position)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
        const tail = await ok(acme.readLog({ after: 14 }));
        expect(tail).toEqual({ events: [], next: 14, more: false });
      });

      it('tells whether a stream exists and its version', async () => {
        expect(await ok(acme.streamVersion('order-1'))).toBeNull();
        expect(await ok(acme.streamExists('order-1'))).toBe(false);
        await ok(acme.appendToStream('order-1', [event('A', 1), event('B', 2), event('C', 3)]));
        expect(await ok(acme.streamVersion('order-1'))).toBe(2);
        expect(await ok(acme.streamExists('order-1'))).toBe(true);
      });

      it('lists streams by prefix, in order, a page at a time', async () => {
        for (const s of ['order-2', 'order-10', 'invoice-1', 'order-1', 'orders']) {
          await ok(acme.appendToStream(s, [event('E', 0)]));
        }
        const orders = await ok(acme.listStreams({ prefix: 'order-' }));
        expect(orders.streams.map((s) => s.stream)).toEqual(['order-1', 'order-10', 'order-2']);
        expect(orders.next).toBeNull();
        const page1 = await ok(acme.listStreams({ limit: 2 }));
        expect(page1.streams.map((s) => s.stream)).toEqual(['invoice-1', 'order-1']);
        const page2 = await ok(acme.listStreams({ limit: 2, after: page1.next! }));
        expect(page2.streams.map((s) => s.stream)).toEqual(['order-10', 'order-2']);
        const page3 = await ok(acme.listStreams({ limit: 2, after: page2.next! }));
        expect(page3.streams).toEqual([{ stream: 'orders', version: 0 }]);
        expect(page3.next).toBeNull();
      });

      it('refuses a prefix or a page token that no stream id could hold, as InvalidInput naming it', async () => {
        for (const options of [{ prefix: 'order\u0000' }, { after: 'x'.repeat(201) }, { prefix: 'order 1' }]) {
          const error = await fails(acme.listStreams(options));
          expect(error._tag).toBe('InvalidInput');
          expect(error.message).toContain(Object.keys(options)[0]);
        }
      });
    });

    describe('system streams', () => {
      it('keeps system streams per tenant, readable by the tenant, writable only by Palisade', async () => {
        const audit = systemStream('audit');
        await ok(acme.appendToSystemStream(audit, [event('Recorded', 1)]));
        await ok(globex.appendToSystemStream(audit, [event('Recorded', 2), event('Recorded', 3)]));
        expect((await ok(acme.readStream(audit))).map((e) => [e.stream, e.data])).toEqual([['$audit', { n: 1 }]]);
        expect(await ok(globex.streamVersion(audit))).toBe(1);
        expect((await fails(acme.appendToStream('$audit', [event('Forged', 4)])))._tag).toBe('InvalidInput');
        expect((await fails(acme.appendToSystemStream('order-1' as typeof audit, [event('X', 5)])))._tag).toBe(
          'InvalidInput',
        );
        expect((await ok(acme.readLog())).events).toHaveLength(1);
      });
    });

    describe('expected versions', () => {
      it('honours any, no_stream, stream_exists and exact versions', async () => {
        expect((await fails(acme.appendToStream('s-1', [event('E', 0)], { expected: 'stream_exists' })))._tag).toBe(
          'WrongExpectedVersion',
        );
        expect((await fails(acme.appendToStream('s-1', [event('E', 0)], { expected: 0 })))._tag).toBe(
          'WrongExpectedVersion',
        );
        await ok(acme.appendToStream('s-1', [event('E', 0)], { expected: 'no_stream' }));
        await ok(acme.appendToStream('s-1', [event('E', 1)], { expected: 'stream_exists' }));
        await ok(acme.appendToStream('s-1', [event('E', 2)], { expected: 1 }));
        await ok(acme.appendToStream('s-1', [event('E', 3)], { expected: 'any' }));
        const conflict = await fails(acme.appendToStream('s-1', [event('E', 9)], { expected: 1 }));
        expect(conflict).toMatchObject({
          _tag: 'WrongExpectedVersion',
          code: 'PALISADE_WRONG_EXPECTED_VERSION',
          stream: 's-1',
          expected: 1,
          actual: 3,
        });
        const noStream = await fails(acme.appendToStream('s-1', [event('E', 9)], { expected: 'no_stream' }));
        expect(noStream).toMatchObject({ expected: 'no_stream', actual: 3 });
        expect(await ok(acme.streamVersion('s-1'))).toBe(3);
      });

      it('lets exactly one of many concurrent appends with the same expected version win', async () => {
        await ok(acme.appendToStream('race', [event('E', 0)]));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            acme.appendToStream('race', [event('E', i), event('E', i)], { expected: 0 })(),
          ),
        );
        const winners = results.filter((r) => r._tag === 'Right');
        const losers = results.filter((r) => r._tag === 'Left');
        expect(winners).toHaveLength(1);
        expect(losers.every((r) => r._tag === 'Left' && r.left._tag === 'WrongExpectedVersion')).toBe(true);
        expect(await ok(acme.streamVersion('race'))).toBe(2);
        expect((await collect(acme)).map((e) => e.position)).toEqual([1, 2, 3]);
      });

      it('gives concurrent appends to different streams distinct, gap-free positions', async () => {
        await Promise.all(
          Array.from({ length: 25 }, (_, i) => ok(acme.appendToStream(`p-${i}`, [event('E', i), event('E', i)]))),
        );
        const positions = (await collect(acme)).map((e) => e.position);
        expect(positions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });
    });

    describe('idempotent appends', () => {
      const ids = ['0b6f5a3e-1111-4c1e-9d55-0c8a3f1b2e01', '0b6f5a3e-2222-4c1e-9d55-0c8a3f1b2e02'];
      const batch = () => [
        { id: ids[0]!, type: 'Placed', data: { total: 10 } },
        { id: ids[1]!, type: 'Paid', data: { total: 10 } },
      ];

      it('returns the first result and writes nothing when the same append is retried', async () => {
        const first = await ok(acme.appendToStream('order-1', batch(), { expected: 'no_stream' }));
        await ok(acme.appendToStream('other', [event('E', 0)]));
        const retry = await ok(acme.appendToStream('order-1', batch(), { expected: 'no_stream' }));
        expect(retry.idempotentReplay).toBe(true);
        expect(retry.events).toEqual(first.events);
        expect(retry.nextExpectedVersion).toBe(first.nextExpectedVersion);
        const anyRetry = await ok(acme.appendToStream('order-1', batch(), { expected: 'any' }));
        expect(anyRetry.events).toEqual(first.events);
        expect(await collect(acme)).toHaveLength(3);
      });

      it('refuses an id reused with different content', async () => {
        await ok(acme.appendToStream('order-1', batch()));
        const changed = [{ id: ids[0]!, type: 'Placed', data: { total: 10, note: 'changed-content' } }, batch()[1]!];
        const error = await fails(acme.appendToStream('order-1', changed));
        expect(error).toMatchObject({ _tag: 'DuplicateEventId', code: 'PALISADE_DUPLICATE_EVENT_ID', eventId: ids[0] });
        expect(JSON.stringify(error)).not.toContain('changed-content');
        const otherStream = await fails(acme.appendToStream('order-2', batch()));
        expect(otherStream._tag).toBe('DuplicateEventId');
        const partial = await fails(
          acme.appendToStream('order-1', [
            batch()[0]!,
            { id: '0b6f5a3e-3333-4c1e-9d55-0c8a3f1b2e03', type: 'X', data: 1 },
          ]),
        );
        expect(partial._tag).toBe('DuplicateEventId');
        expect(await collect(acme)).toHaveLength(2);
      });

      it('refuses a retry whose expected version differs from the first attempt', async () => {
        await ok(acme.appendToStream('order-1', batch(), { expected: 'no_stream' }));
        const error = await fails(acme.appendToStream('order-1', batch(), { expected: 5 }));
        expect(error).toMatchObject({ _tag: 'WrongExpectedVersion', actual: 1 });
      });

      it('scopes event ids by tenant', async () => {
        const a = await ok(acme.appendToStream('order-1', batch()));
        const g = await ok(globex.appendToStream('order-1', batch()));
        expect(g.idempotentReplay).toBe(false);
        expect(a.events.map((e) => e.position)).toEqual(g.events.map((e) => e.position));
      });
    });

    describe('bad input is refused and nothing is written', () => {
      const expectNothingWritten = async () => {
        expect(await collect(acme)).toEqual([]);
        expect((await ok(acme.listStreams())).streams).toEqual([]);
      };

      const cases: readonly [string, () => ReturnType<TenantEventStore['appendToStream']>, string, string][] = [
        ['a stream id with a space', () => acme.appendToStream('order 1', [event('E', 0)]), 'InvalidInput', 'stream'],
        ['a system stream id', () => acme.appendToStream('$audit', [event('E', 0)]), 'InvalidInput', 'stream'],
        [
          'a stream id of 201 characters',
          () => acme.appendToStream('s'.repeat(201), [event('E', 0)]),
          'InvalidInput',
          'stream',
        ],
        [
          'a number as stream id',
          () => acme.appendToStream(42 as unknown as string, [event('E', 0)]),
          'InvalidInput',
          'stream',
        ],
        [
          'an event without a type',
          () => acme.appendToStream('s-1', [{ data: 1 } as never]),
          'InvalidInput',
          'events.0.type',
        ],
        [
          'a type with a space',
          () => acme.appendToStream('s-1', [{ type: 'Order Placed', data: 1 }]),
          'InvalidInput',
          'events.0.type',
        ],
        [
          'data that is undefined',
          () => acme.appendToStream('s-1', [{ type: 'E', data: undefined as never }]),
          'InvalidInput',
          'events.0.data',
        ],
        [
          'data holding a function',
          () => acme.appendToStream('s-1', [{ type: 'E', data: { f: (() => 1) as never } }]),
          'InvalidInput',
          'events.0.data',
        ],
        [
          'data holding NaN',
          () => acme.appendToStream('s-1', [{ type: 'E', data: { n: Number.NaN } }]),
          'InvalidInput',
          'events.0.data',
        ],
        [
          'data holding a Date',
          () => acme.appendToStream('s-1', [{ type: 'E', data: { d: new Date() as never } }]),
          'InvalidInput',
          'events.0.data',
        ],
        [
          'data holding a bigint',
          () => acme.appendToStream('s-1', [{ type: 'E', data: { b: 1n as never } }]),
          'InvalidInput',
          'events.0.data',
        ],
        [
          'metadata that is an array',
          () => acme.appendToStream('s-1', [{ type: 'E', data: 1, metadata: [] as never }]),
          'InvalidInput',
          'events.0.metadata',
        ],
        [
          'an id that is not a UUID',
          () => acme.appendToStream('s-1', [{ id: 'abc', type: 'E', data: 1 }]),
          'InvalidInput',
          'events.0.id',
        ],
        [
          'events that are not an array',
          () => acme.appendToStream('s-1', '[{"type":"E"}]' as never),
          'InvalidInput',
          'events',
        ],
        ['an empty batch', () => acme.appendToStream('s-1', []), 'InvalidInput', 'events'],
        [
          'a negative expected version',
          () => acme.appendToStream('s-1', [event('E', 0)], { expected: -2 }),
          'InvalidInput',
          'options.expected',
        ],
        [
          'an unknown expected keyword',
          () => acme.appendToStream('s-1', [event('E', 0)], { expected: 'latest' as never }),
          'InvalidInput',
          'options.expected',
        ],
        [
          'the same id twice in one append',
          () =>
            acme.appendToStream('s-1', [
              { id: '0b6f5a3e-4444-4c1e-9d55-0c8a3f1b2e04', type: 'E', data: 1 },
              { id: '0b6f5a3e-4444-4c1e-9d55-0c8a3f1b2e04', type: 'E', data: 2 },
            ]),
          'InvalidInput',
          'events.1.id',
        ],
      ];

      for (const [name, append, tag, path] of cases) {
        it(`refuses ${name}, naming ${path}`, async () => {
          const error = await fails(append());
          expect(error._tag).toBe(tag);
          if (error._tag === 'InvalidInput') expect(error.issues.map((i) => i.path)).toContain(path);
          await expectNothingWritten();
        });
      }

      it('refuses a circular structure without throwing', async () => {
        const data: Record<string, unknown> = { a: 1 };
        data.self = data;
        const error = await fails(acme.appendToStream('s-1', [{ type: 'E', data: data as never }]));
        expect(error._tag).toBe('InvalidInput');
        await expectNothingWritten();
      });

      it('refuses an oversize event and an oversize batch, writing none of the batch', async () => {
        const small = await openStore(target, { limits: { maxEventBytes: 2048, maxBatchEvents: 5 } });
        try {
          const scope = small.tenant('acme');
          const big = await fails(
            scope.appendToStream('s-1', [event('E', 0), { type: 'E', data: { blob: 'x'.repeat(3000) } }]),
          );
          expect(big).toMatchObject({ _tag: 'EventTooLarge', code: 'PALISADE_EVENT_TOO_LARGE', index: 1, limit: 2048 });
          const many = await fails(
            scope.appendToStream(
              's-1',
              Array.from({ length: 6 }, (_, i) => event('E', i)),
            ),
          );
          expect(many).toMatchObject({ _tag: 'BatchTooLarge', count: 6, limit: 5 });
          expect(await collect(scope)).toEqual([]);
        } finally {
          await small.close();
        }
      });

      it('enforces the default 1 MiB event limit', async () => {
        const error = await fails(acme.appendToStream('s-1', [{ type: 'E', data: 'x'.repeat(1024 * 1024) }]));
        expect(error._tag).toBe('EventTooLarge');
        await expectNothingWritten();
      });

      it('refuses invalid read options', async () => {
        expect((await fails(acme.readStream('s-1', { limit: 0 })))._tag).toBe('InvalidInput');
        expect((await fails(acme.readStream('s-1', { fromVersion: -1 })))._tag).toBe('InvalidInput');
        expect((await fails(acme.readStream('s-1', { direction: 'sideways' as never })))._tag).toBe('InvalidInput');
        expect((await fails(acme.readLog({ after: 1.5 })))._tag).toBe('InvalidInput');
        expect((await fails(acme.readLog({ limit: 1_000_000 })))._tag).toBe('InvalidInput');
        expect((await fails(acme.listStreams({ prefix: 7 as never })))._tag).toBe('InvalidInput');
        expect((await fails(acme.streamVersion('bad id')))._tag).toBe('InvalidInput');
      });

      it('never echoes the refused value in the error', async () => {
        const secret = 'hunter2-secret-value';
        const error = await fails(
          acme.appendToStream(`order ${secret}`, [{ type: 'E', data: { n: Number.NaN, secret } }]),
        );
        expect(JSON.stringify(error)).not.toContain(secret);
      });
    });

    describe('redaction before storage', () => {
      it('never stores a planted personal value, wherever it hides (property)', async () => {
        // The default policy (built-in detectors, mask), in-thread: the pool is tested in @palisade/redaction.
        const pipeline = await createRedactionPipeline({}, { mode: 'in_thread' })();
        if (pipeline._tag === 'Left') throw new Error(pipeline.left.message);
        // A second store over the same adapter, with the pipeline; `opened` closes the adapter.
        const redacting = new EventStore(opened.storage.adapter, { pipeline: pipeline.right }).forTenant(
          tenantId('acme'),
        );
        const planted: string[] = [];
        let appended = 0;
        await fc.assert(
          fc.asyncProperty(
            fc
              .array(plantedValue, { minLength: 1, maxLength: 5 })
              .chain((values) => fc.tuple(fc.constant(values), documentWith(values), fc.boolean())),
            async ([values, data, inMetadata]) => {
              planted.push(...values);
              const metadata: JsonObject = inMetadata ? { note: `from ${values[0]!}` } : {};
              await ok(redacting.appendToStream(`pii-${appended++}`, [{ type: 'Planted', data, metadata }]));
            },
          ),
          { numRuns: 60 },
        );
        await pipeline.right.close();
        const stored =
          opened.storage.storedText !== undefined
            ? await opened.storage.storedText()
            : JSON.stringify(await ok(acme.readLog({ limit: 10_000 })));
        expect((await collect(acme)).length).toBe(appended);
        for (const value of planted) expect(stored.includes(value), 'a planted value reached storage').toBe(false);
      });

      it('refuses an append to a stream whose id holds a personal value, writing nothing', async () => {
        const pipeline = await createRedactionPipeline({}, { mode: 'in_thread' })();
        if (pipeline._tag === 'Left') throw new Error(pipeline.left.message);
        const redacting = new EventStore(opened.storage.adapter, { pipeline: pipeline.right }).forTenant(
          tenantId('acme'),
        );
        const error = await fails(redacting.appendToStream('customer-jane.roe@example.com', [event('E', 0)]));
        expect(error).toMatchObject({ _tag: 'PolicyBlocked', findings: [{ detector: 'email', path: 'stream' }] });
        expect(error.message).not.toContain('jane');
        await ok(redacting.appendToStream('customer-7f3a9c', [event('E', 0)]));
        await pipeline.right.close();
        expect((await collect(acme)).map((e) => e.stream)).toEqual(['customer-7f3a9c']);
      });
    });

    describe('payloads round-trip exactly', () => {
      it('keeps unicode, NUL and lone surrogates byte for byte', async () => {
        const data = {
          emoji: '👩‍👩‍👧‍👦 🇺🇦 ✈️',
          surrogatePair: '\uD83D\uDE00',
          loneSurrogate: 'a\uD800b',
          rtl: 'مرحبا بالعالم עולם',
          nul: 'before\u0000after',
          controls: '\t\n\r\u0001\u001f',
          quotes: `"'\\`,
          [`key with 🔑 and \u0000`]: ['ﬀ', 'é', 'é'],
          numbers: [0, -0.5, 1e21, 2 ** 53 - 1],
        };
        await ok(acme.appendToStream('u-1', [{ type: 'Unicode', data, metadata: { note: 'ñ\u0000' } }]));
        const [read] = await ok(acme.readStream('u-1'));
        expect(JSON.stringify(read!.data)).toBe(JSON.stringify(data));
        expect(read!.metadata).toEqual({ note: 'ñ\u0000' });
      });

      it('keeps a large payload intact', async () => {
        const blob = Array.from({ length: 20_000 }, (_, i) => `row ${i} ✓`).join('\n');
        await ok(acme.appendToStream('big-1', [{ type: 'Big', data: { blob } }]));
        const [read] = await ok(acme.readStream('big-1'));
        expect((read!.data as { blob: string }).blob).toBe(blob);
      });
    });

    describe('subscriptions', () => {
      it('catches up on history, then receives live events, in order', async () => {
        await ok(acme.appendToStream('s-1', [event('E', 1), event('E', 2)]));
        const seen: number[] = [];
        const subscription = acme.subscribe({
          subscriber: 'projector',
          batchSize: 2,
          handler: (e) => void seen.push(e.position),
        });
        if (subscription._tag === 'Left') throw new Error(subscription.left.message);
        await waitFor(() => seen.length === 2);
        await ok(acme.appendToStream('s-2', [event('E', 3)]));
        await ok(acme.appendToStream('s-1', [event('E', 4), event('E', 5)]));
        await waitFor(() => seen.length === 5);
        await subscription.right.stop();
        expect(seen).toEqual([1, 2, 3, 4, 5]);
        expect(await subscription.right.done).toEqual({ _tag: 'Right', right: undefined });
      });

      it('resumes after its durable checkpoint when restarted', async () => {
        await ok(acme.appendToStream('s-1', [event('E', 1), event('E', 2), event('E', 3)]));
        const first: number[] = [];
        const one = acme.subscribe({ subscriber: 'mailer', handler: (e) => void first.push(e.position) });
        if (one._tag === 'Left') throw new Error(one.left.message);
        await waitFor(() => first.length === 3);
        await one.right.stop();
        await ok(acme.appendToStream('s-1', [event('E', 4)]));

        // A restart: a new store over the same storage (reopened from scratch where it is shared).
        const restarted =
          opened.storage.shared === undefined
            ? opened.store
            : new EventStore(await reopenShared(opened.storage), { pollIntervalMs: 50 });
        const second: number[] = [];
        const two = restarted
          .forTenant(tenantId('acme'))
          .subscribe({ subscriber: 'mailer', handler: (e) => void second.push(e.position) });
        if (two._tag === 'Left') throw new Error(two.left.message);
        await waitFor(() => second.length === 1);
        await two.right.stop();
        if (restarted !== opened.store) await restarted.close();
        expect(second).toEqual([4]);
      });

      it('stops with a typed error when the handler fails, keeping the last checkpoint', async () => {
        await ok(acme.appendToStream('s-1', [event('E', 1), event('E', 2), event('E', 3)]));
        const one = acme.subscribe({
          subscriber: 'flaky',
          handler: (e) => {
            if (e.position === 3) throw new Error('boom');
          },
        });
        if (one._tag === 'Left') throw new Error(one.left.message);
        const end = await one.right.done;
        expect(end._tag === 'Left' && end.left._tag).toBe('SubscriptionFailed');
        const replayed: number[] = [];
        const two = acme.subscribe({ subscriber: 'flaky', handler: (e) => void replayed.push(e.position) });
        if (two._tag === 'Left') throw new Error(two.left.message);
        await waitFor(() => replayed.length === 1);
        await two.right.stop();
        expect(replayed).toEqual([3]);
      });

      it('refuses an invalid subscriber id', () => {
        const result = acme.subscribe({ subscriber: 'bad name!', handler: () => undefined });
        expect(result._tag === 'Left' && result.left._tag).toBe('InvalidInput');
      });

      it('keeps checkpoints per tenant', async () => {
        await ok(acme.appendToStream('s-1', [event('E', 1), event('E', 2)]));
        await ok(globex.appendToStream('s-1', [event('E', 1)]));
        const a: string[] = [];
        const g: string[] = [];
        const sa = acme.subscribe({ subscriber: 'shared-name', handler: (e) => void a.push(e.tenant) });
        const sg = globex.subscribe({ subscriber: 'shared-name', handler: (e) => void g.push(e.tenant) });
        if (sa._tag === 'Left' || sg._tag === 'Left') throw new Error('subscribe failed');
        await waitFor(() => a.length === 2 && g.length === 1);
        await Promise.all([sa.right.stop(), sg.right.stop()]);
        expect(a).toEqual(['acme', 'acme']);
        expect(g).toEqual(['globex']);
      });
    });

    describe('tenant isolation', () => {
      it('keeps every read, list and subscription within its tenant (property)', async () => {
        const tenantNames = ['t-a', 't-b', 't-c'];
        const appendArb = fc.record({
          tenant: fc.constantFrom(...tenantNames),
          stream: fc.constantFrom('shared', 'order-1', 'order-2', 'x'),
          count: fc.integer({ min: 1, max: 3 }),
          marker: fc.string({ maxLength: 8 }),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(appendArb, { minLength: 1, maxLength: 12 }), async (appends) => {
            const local = await openStore(target);
            try {
              const model = new Map<string, { stream: string; marker: string }[]>();
              for (const a of appends) {
                const events = Array.from({ length: a.count }, () => ({
                  type: 'E',
                  data: { tenant: a.tenant, marker: a.marker },
                }));
                await ok(local.tenant(a.tenant).appendToStream(a.stream, events));
                const list = model.get(a.tenant) ?? [];
                list.push(...events.map(() => ({ stream: a.stream, marker: a.marker })));
                model.set(a.tenant, list);
              }
              for (const name of tenantNames) {
                const scope = local.tenant(name);
                const mine = model.get(name) ?? [];
                const log = await ok(scope.readLog({ limit: 10_000 }));
                expect(log.events.map((e) => e.position)).toEqual(mine.map((_, i) => i + 1));
                expect(
                  log.events.every((e) => e.tenant === name && (e.data as { tenant: string }).tenant === name),
                ).toBe(true);
                for (const stream of ['shared', 'order-1', 'order-2', 'x']) {
                  const expected = mine.filter((m) => m.stream === stream);
                  const read = await ok(scope.readStream(stream));
                  expect(read.map((e) => (e.data as { marker: string }).marker)).toEqual(expected.map((m) => m.marker));
                  expect(read.every((e) => e.tenant === name)).toBe(true);
                  const back = await ok(scope.readStream(stream, { direction: 'backwards' }));
                  expect(back).toHaveLength(expected.length);
                  expect(await ok(scope.streamVersion(stream))).toBe(
                    expected.length === 0 ? null : expected.length - 1,
                  );
                }
                const listed = await ok(scope.listStreams());
                expect(listed.streams.map((s) => s.stream)).toEqual([...new Set(mine.map((m) => m.stream))].sort());
                const seen: string[] = [];
                const sub = scope.subscribe({ handler: (e) => void seen.push(e.tenant) });
                if (sub._tag === 'Left') throw new Error(sub.left.message);
                await waitFor(() => seen.length === mine.length);
                await sub.right.stop();
                expect(seen.every((t) => t === name)).toBe(true);
                expect(seen).toHaveLength(mine.length);
              }
            } finally {
              await local.close();
            }
          }),
          { numRuns: 15 },
        );
      }, 120_000);

      it('treats the same stream id in two tenants as two streams', async () => {
        await ok(acme.appendToStream('order-1', [event('E', 1)], { expected: 'no_stream' }));
        await ok(globex.appendToStream('order-1', [event('E', 2)], { expected: 'no_stream' }));
        expect((await ok(globex.readStream('order-1'))).map((e) => e.data)).toEqual([{ n: 2 }]);
        expect(await ok(globex.streamVersion('order-1'))).toBe(0);
      });
    });

    describe('state and retention', () => {
      stateAndRetentionConformance(target);
    });

    describe('shared between processes', () => {
      it('lets exactly one of several OS processes win a race on the same expected version', async () => {
        const shared = opened.storage.shared;
        if (shared === undefined) {
          console.info(`[${target.name}] not shared between processes: cross-process race not applicable`);
          return;
        }
        const startAt = Date.now() + 1500;
        const outputs = await Promise.all(
          Array.from({ length: 4 }, () =>
            runChild({ ...shared, tenant: 'acme', command: 'race', stream: 'contended', startAt, batch: 1 }),
          ),
        );
        const results = outputs.map((o) => JSON.parse(o.stdout.trim()) as { ok: boolean; tag?: string });
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok).every((r) => r.tag === 'WrongExpectedVersion')).toBe(true);
        expect(await ok(acme.streamVersion('contended'))).toBe(0);
      }, 60_000);

      it('leaves a batch wholly present or wholly absent when the writer is killed mid-append', async () => {
        const shared = opened.storage.shared;
        if (shared === undefined) {
          console.info(`[${target.name}] not shared between processes: crash test not applicable`);
          return;
        }
        const batch = 200;
        await killMidway({ ...shared, tenant: 'acme', command: 'crash', stream: 'fill', startAt: 0, batch });
        // A server may still commit the killed client's last transaction a moment
        // later: read until the stream list and the log agree, then check them.
        let streams: readonly { readonly stream: string; readonly version: number }[] = [];
        let log: Awaited<ReturnType<typeof collect>> = [];
        for (let attempt = 0; attempt < 50; attempt++) {
          streams = (await ok(acme.listStreams({ prefix: 'fill-', limit: 10_000 }))).streams;
          log = await collect(acme);
          if (log.length === streams.length * batch) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(streams.length).toBeGreaterThan(0);
        for (const s of streams) expect(s.version).toBe(batch - 1);
        expect(log).toHaveLength(streams.length * batch);
        expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
        // The store still takes writes after the crash.
        await ok(acme.appendToStream('after-crash', [event('E', 0)]));
      }, 60_000);
    });
  });
};

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

const runChild = (job: Record<string, unknown>): Promise<{ stdout: string; code: number | null }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, PALISADE_CHILD: JSON.stringify(job) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ stdout, code }) : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });

/** Starts a writer, lets it commit a few batches, then SIGKILLs it at an arbitrary moment. */
const killMidway = (job: Record<string, unknown>): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, PALISADE_CHILD: JSON.stringify(job) } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('started'))
        setTimeout(() => child.kill('SIGKILL'), 150 + Math.floor(Math.random() * 200));
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`writer ended before it was killed (${code}): ${stderr}`)),
    );
  });
