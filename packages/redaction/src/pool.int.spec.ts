import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue, NewEventInput } from '@palisade/core';
// The pool runs the built worker file: these tests use the built package, as a user would.
import { createRedactionPool, createRedactionService, type RedactionService } from '../dist/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../dist/fixtures/${name}.js`, import.meta.url));
const KEY = 'pool-test-key-0123456789-abcdefghijklmnop';

const config = {
  data_policy: {
    pii_detectors: ['email', 'ssn', 'credit_card', 'aws_access_key', 'ip_address', 'crasher', 'looper', 'thrower'],
    pii_fields: ['$.customer.name', { path: '$.payments[*].card', mode: 'remove' }],
    modes: { ssn: 'hash' },
    actions: { aws_access_key: 'block', ip_address: 'warn' },
  },
  redaction: {
    detector_modules: [fixture('basic-detectors'), fixture('failing-detectors')],
    hash_keys: { active: 'k1', keys: { k1: KEY } },
  },
};

const ok = async (service: RedactionService, events: readonly NewEventInput[], tenant = 'acme') => {
  const result = await service.redact(tenant, events)();
  if (E.isLeft(result)) throw new Error(`expected success, got ${result.left.code}`);
  return result.right;
};

const fails = async (service: RedactionService, events: readonly NewEventInput[]) => {
  const result = await service.redact('acme', events)();
  if (E.isRight(result)) throw new Error('expected a failure');
  return result.left;
};

describe('redaction pool', () => {
  let pool: RedactionService;
  let inThread: RedactionService;

  beforeAll(async () => {
    const p = await createRedactionPool({
      config,
      workers: 2,
      batchSize: 4,
      taskTimeoutMs: 2_000,
      builtInDetectors: false,
    })();
    const t = await createRedactionService({ config, mode: 'in_thread', builtInDetectors: false })();
    if (E.isLeft(p) || E.isLeft(t)) throw new Error('pool config refused');
    pool = p.right;
    inThread = t.right;
  });
  afterAll(async () => {
    await pool.close();
    await inThread.close();
  });

  it('redacts in workers, loading the detector plugins there', async () => {
    const [out] = await ok(pool, [{ type: 'T', data: { to: 'john@example.com', customer: { name: 'John' } } }]);
    expect(out!.data).toEqual({ to: 'j***@example.com', customer: { name: '****' } });
    expect(pool.stats().workers).toBe(2);
  });

  it('gives the same results as in-thread mode (property)', async () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('john@example.com', '123-45-6789', '4242 4242 4242 4242', '10.1.2.3', 'AKIAIOSFODNN7EXAMPLE'),
    );
    const text = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(' '));
    const json: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(text, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    const event = fc.record({
      type: fc.constant('T'),
      data: fc.oneof(
        json,
        fc.record({
          customer: fc.record({ name: text }),
          payments: fc.array(fc.record({ card: text }), { maxLength: 2 }),
        }),
      ),
      metadata: fc.dictionary(fc.constantFrom('actor', 'workflow', 'note'), text, { maxKeys: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 10 }), async (events) => {
        const safe = (events as NewEventInput[]).filter(
          (e) => !/crash-now|loop-forever|throw-now/.test(JSON.stringify(e)),
        );
        if (safe.length === 0) return;
        const [a, b] = await Promise.all([pool.redact('acme', safe)(), inThread.redact('acme', safe)()]);
        expect(a).toEqual(b);
      }),
      { numRuns: 60 },
    );
  });

  it('cuts a large append into tasks and keeps order and blocked paths', async () => {
    const events = Array.from({ length: 11 }, (_, i) => ({
      type: 'T',
      data: `n${i} ${i === 9 ? 'AKIAIOSFODNN7EXAMPLE' : `u${i}@example.com`}`,
    }));
    const blocked = await fails(pool, events);
    expect(blocked).toMatchObject({
      _tag: 'PolicyBlocked',
      findings: [{ detector: 'aws_access_key', path: '$[9].data' }],
    });
    expect(blocked.message).not.toContain('AKIA');
    events[9] = { type: 'T', data: 'n9 u9@example.com' };
    const out = await ok(pool, events);
    expect(out.map((e) => e.data)).toEqual(events.map((_, i) => `n${i} u***@example.com`));
  });

  it('fails closed when a worker crashes, and recovers', async () => {
    const error = await fails(pool, [
      { type: 'T', data: 'fine' },
      { type: 'T', data: 'please crash-now' },
    ]);
    expect(error).toMatchObject({ _tag: 'RedactionFailed', reason: 'worker_crashed', retryable: true });
    const [out] = await ok(pool, [{ type: 'T', data: 'a@b.example' }]);
    expect(out!.data).toBe('***@b.example');
  });

  it('fails closed when a detector loops, and recovers', async () => {
    const error = await fails(pool, [{ type: 'T', data: 'loop-forever' }]);
    expect(error).toMatchObject({ _tag: 'RedactionFailed', reason: 'timeout' });
    const [out] = await ok(pool, [{ type: 'T', data: '123-45-6789' }]);
    expect(out!.data).toMatch(/^\[ssn:k1:[0-9a-f]{16}\]$/);
  });

  it('fails closed when a detector throws, without its message', async () => {
    const error = await fails(pool, [{ type: 'T', data: 'throw-now private-text' }]);
    expect(error).toMatchObject({ _tag: 'RedactionFailed', reason: 'detector_error' });
    expect(JSON.stringify(error)).not.toContain('private-text');
  });

  it('refuses with Overloaded rather than queueing without bound', async () => {
    const small = await createRedactionPool({
      config,
      workers: 1,
      maxQueue: 1,
      batchSize: 1,
      builtInDetectors: false,
    })();
    if (E.isLeft(small)) throw new Error('refused');
    try {
      const slow = Array.from({ length: 2 }, () => ({ type: 'T', data: 'x' }));
      const results = await Promise.all(Array.from({ length: 6 }, () => small.right.redact('acme', slow)()));
      const codes = results.map((r) => (E.isLeft(r) ? r.left.code : 'ok'));
      expect(codes).toContain('PALISADE_OVERLOADED');
      expect(codes).toContain('ok');
    } finally {
      await small.right.close();
    }
  });

  it('times a task from when its worker starts it, not from when it was queued', async () => {
    const slowConfig = {
      data_policy: { pii_detectors: ['slowpoke'] },
      redaction: { detector_modules: [fixture('failing-detectors')], event_budget_ms: 60_000 },
    };
    const one = await createRedactionPool({
      config: slowConfig,
      workers: 1,
      batchSize: 1,
      taskTimeoutMs: 1_500,
      builtInDetectors: false,
    })();
    if (E.isLeft(one)) throw new Error(one.left.message);
    try {
      await ok(one.right, [{ type: 'T', data: 'warm' }]);
      // Each append keeps the one worker busy for about 600 ms (12 strings × 50 ms); the third waits about
      // 1,200 ms in the queue, so its wait and its run together exceed the 1,500 ms timeout.
      const slow = [{ type: 'T', data: Array.from({ length: 12 }, (_, i) => `go-slow ${i}`) }];
      const results = await Promise.all([1, 2, 3].map(() => one.right.redact('acme', slow)()));
      expect(results.map((r) => (E.isLeft(r) ? r.left.code : 'ok'))).toEqual(['ok', 'ok', 'ok']);
    } finally {
      await one.right.close();
    }
  });

  it('refuses with Overloaded, not a crash, when max_queue is 0 and the workers are busy', async () => {
    const noQueue = await createRedactionPool({
      config: { ...config, data_policy: { ...config.data_policy, pii_detectors: ['slowpoke'] } },
      workers: 1,
      maxQueue: 0,
      batchSize: 1,
      builtInDetectors: false,
    })();
    if (E.isLeft(noQueue)) throw new Error(noQueue.left.message);
    try {
      const slow = [{ type: 'T', data: ['go-slow', 'go-slow', 'go-slow'] }];
      const results = await Promise.all([1, 2, 3].map(() => noQueue.right.redact('acme', slow)()));
      const codes = results.map((r) => (E.isLeft(r) ? r.left.code : 'ok'));
      expect(codes).toContain('ok');
      expect(codes).toContain('PALISADE_OVERLOADED');
      expect(codes).not.toContain('PALISADE_REDACTION_FAILED');
    } finally {
      await noQueue.right.close();
    }
  });

  it('checks the stream id in the pool as in-thread, once per append however many chunks it has', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ type: 'T', data: `event ${i}` }));
    const stream = 'customer-jane.roe@example.com';
    const [a, b] = await Promise.all([pool.redact('acme', many, stream)(), inThread.redact('acme', many, stream)()]);
    expect(a).toEqual(b);
    expect(E.isLeft(a) && a.left).toMatchObject({
      _tag: 'PolicyBlocked',
      findings: [{ detector: 'email', path: 'stream' }],
    });
    expect(E.isRight(await pool.redact('acme', many, 'customer-42')())).toBe(true);
  });

  it('refuses events that are not JSON with the same InvalidInput in both modes', async () => {
    const bad = [{ type: 'T', data: { when: new Date(0) } as unknown as JsonValue }];
    const [a, b] = await Promise.all([pool.redact('acme', bad)(), inThread.redact('acme', bad)()]);
    expect(a).toEqual(b);
    expect(E.isLeft(a) && a.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path: 'events.0.data' }] });
  });

  it('refuses appends after close', async () => {
    const p = await createRedactionPool({ config, workers: 1, builtInDetectors: false })();
    if (E.isLeft(p)) throw new Error('refused');
    await p.right.close();
    expect(await fails(p.right, [{ type: 'T', data: 'x' }])).toMatchObject({ _tag: 'Closed' });
  });
});
