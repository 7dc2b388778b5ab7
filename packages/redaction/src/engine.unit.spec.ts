import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineDetector, type JsonValue, type NewEvent } from '@palisade/core';
import type { Redactor } from './engine.js';
import { TEST_KEY, testRedactor } from './test-support.js';

const one = (redactor: Redactor, data: JsonValue, metadata?: NewEvent['metadata'], tenant = 'acme'): NewEvent => {
  const result = redactor.redact(
    tenant,
    events([{ type: 'T', data, ...(metadata !== undefined ? { metadata } : {}) }]),
  );
  if (E.isLeft(result)) throw new Error(`unexpected ${result.left._tag}`);
  return result.right[0]!;
};

/** Test events: the engine takes decoded events, whose types are branded. */
const events = (list: readonly { type: string; data: JsonValue; metadata?: NewEvent['metadata'] }[]) =>
  list as NewEvent[];

const hashKeys = { active: 'k1', keys: { k1: TEST_KEY } };

describe('redaction engine', () => {
  it('scans every string at any depth, in arrays and in object keys', () => {
    const out = one(testRedactor({}), {
      a: { b: [{ c: 'mail john@example.com now' }, 'ssn 123-45-6789'] },
      'jane@example.org': { nested: ['4242 4242 4242 4242'] },
    });
    expect(out.data).toEqual({
      a: { b: [{ c: 'mail j***@example.com now' }, 'ssn ***-**-6789'] },
      'j***@example.org': { nested: ['**** **** **** 4242'] },
    });
  });

  it('writes a report of counts per detector and path, without values', () => {
    const out = one(testRedactor({}), { x: 'a@b.example and c@d.example', 'e@f.example': 1 });
    const report = out.metadata?.['palisade_redaction'];
    expect(report).toEqual({
      version: 1,
      findings: [
        { detector: 'email', path: '$.data.x', action: 'redact', mode: 'mask', count: 2 },
        { detector: 'email', path: '$.data~', action: 'redact', mode: 'mask', count: 1 },
      ],
    });
    expect(JSON.stringify(report)).not.toContain('example');
  });

  it('replaces a report the client sent', () => {
    const out = one(testRedactor({}), 'clean', { palisade_redaction: { version: 1, findings: [] }, actor: 'u1' });
    expect(out.metadata).toEqual({ actor: 'u1', palisade_redaction: { version: 1, findings: [] } });
  });

  it('redacts pii_fields whole in each mode, whatever they hold', () => {
    const redactor = testRedactor({
      data_policy: {
        pii_fields: [
          '$.email',
          { path: '$.customer.ssn', mode: 'hash' },
          { path: '$.payments[*].card', mode: 'remove' },
          { path: '$.profile', mode: 'mask' },
          { path: '$.pin', reveal: 1 },
        ],
      },
      redaction: { hash_keys: hashKeys },
    });
    const out = one(redactor, {
      email: 'not-an-email-but-private',
      customer: { ssn: 'abc', name: 'n' },
      payments: [{ card: 'x', amount: 1 }, { card: 'y' }],
      profile: { deep: 1 },
      pin: 1234,
    });
    expect(out.data).toMatchObject({
      email: '***-**-*****-***-*******',
      customer: { name: 'n' },
      payments: [{ amount: 1 }, {}],
      profile: '[redacted]',
      pin: '***4',
    });
    expect((out.data as { customer: { ssn: string } }).customer.ssn).toMatch(/^\[field:k1:[0-9a-f]{16}\]$/);
  });

  it('applies per-detector modes and typed placeholders', () => {
    const redactor = testRedactor({
      data_policy: { redaction_mode: 'remove', modes: { ssn: 'hash' } },
      redaction: { hash_keys: hashKeys },
    });
    const out = one(redactor, 'write to a@b.example about 123-45-6789');
    expect(out.data).toMatch(/^write to \[email\] about \[ssn:k1:[0-9a-f]{16}\]$/);
  });

  it('hashes deterministically within a tenant and differently across tenants', () => {
    const redactor = testRedactor({ data_policy: { redaction_mode: 'hash' }, redaction: { hash_keys: hashKeys } });
    const a1 = one(redactor, 'a@b.example', undefined, 'acme').data;
    const a2 = one(redactor, 'a@b.example', undefined, 'acme').data;
    const g = one(redactor, 'a@b.example', undefined, 'globex').data;
    expect(a1).toBe(a2);
    expect(g).not.toBe(a1);
  });

  it('blocks naming detector and path, never the value', () => {
    const redactor = testRedactor({ data_policy: { actions: { aws_access_key: 'block' } } });
    const result = redactor.redact(
      'acme',
      events([
        { type: 'T', data: 'fine' },
        { type: 'T', data: { creds: ['key AKIAIOSFODNN7EXAMPLE'] } },
      ]),
    );
    expect(result).toEqual(
      E.left({ _tag: 'PolicyBlocked', findings: [{ detector: 'aws_access_key', path: '$[1].data.creds[0]' }] }),
    );
  });

  it('keeps warned values and records the finding', () => {
    const out = one(testRedactor({ data_policy: { actions: { ip_address: 'warn' } } }), 'from 10.0.0.1');
    expect(out.data).toBe('from 10.0.0.1');
    expect(out.metadata?.['palisade_redaction']).toEqual({
      version: 1,
      findings: [{ detector: 'ip_address', path: '$.data', action: 'warn', mode: 'none', count: 1 }],
    });
  });

  it('never spells out a warned key in a path', () => {
    const redactor = testRedactor({ data_policy: { actions: { ip_address: 'warn', aws_access_key: 'block' } } });
    const result = redactor.redact(
      'acme',
      events([{ type: 'T', data: { '10.0.0.1': { k: 'AKIAIOSFODNN7EXAMPLE' } } }]),
    );
    expect(result).toEqual(
      E.left({
        _tag: 'PolicyBlocked',
        findings: [{ detector: 'aws_access_key', path: "$[0].data['[warned-key]'].k" }],
      }),
    );
  });

  it('never spells out a key that holds a kept value beside a redacted one', () => {
    const redactor = testRedactor({ data_policy: { actions: { ip_address: 'warn', aws_access_key: 'block' } } });
    for (const key of ['10.1.2.3 john@example.com', 'AKIAIOSFODNN7EXAMPLE john@example.com']) {
      const result = redactor.redact('acme', events([{ type: 'T', data: { [key]: { k: 'AKIAIOSFODNN7EXAMPLE' } } }]));
      expect(E.isLeft(result)).toBe(true);
      const paths =
        E.isLeft(result) && result.left._tag === 'PolicyBlocked' ? result.left.findings.map((f) => f.path) : [];
      expect(paths).toContain("$[0].data['[warned-key]'].k");
      expect(JSON.stringify(paths)).not.toMatch(/10\.1\.2\.3|AKIAIOSFODNN7EXAMPLE|john/);
    }
    const warned = one(testRedactor({ data_policy: { actions: { ip_address: 'warn' } } }), {
      '10.1.2.3 john@example.com': 'x',
    });
    expect(JSON.stringify(warned.metadata?.['palisade_redaction'])).not.toContain('10.1.2.3');
  });

  it('masks a whole address written with escaped accents inside JSON-encoded text', () => {
    const encoded = JSON.stringify({ to: 'josé.garcía@example.com', note: 'line one\nzoë@example.org' }, null, 0);
    const ascii = encoded.replace(/[^ -~\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(ascii).toContain('jos\\u00e9.garc\\u00eda@example.com');
    const out = one(testRedactor({}), { payload: ascii });
    const text = JSON.stringify(out.data);
    expect(text).not.toMatch(/jos|garc|zo\\+u00eb|u00eb@|u00eda@/);
    expect(text).toContain('@example.com');
    expect(text).toContain('@example.org');
  });

  it('refuses a stream id holding a value it would redact or block, and lets a warned one through', () => {
    const redactor = testRedactor({ data_policy: { actions: { ip_address: 'warn' } } });
    const plain = events([{ type: 'T', data: 'nothing here' }]);
    expect(redactor.redact('acme', plain, { stream: 'customer-jane.roe@example.com' })).toEqual(
      E.left({ _tag: 'PolicyBlocked', findings: [{ detector: 'email', path: 'stream' }] }),
    );
    expect(redactor.redact('acme', plain, { stream: 'card-4111111111111111' })).toEqual(
      E.left({ _tag: 'PolicyBlocked', findings: [{ detector: 'credit_card', path: 'stream' }] }),
    );
    expect(E.isRight(redactor.redact('acme', plain, { stream: 'host-10.1.2.3' }))).toBe(true);
    expect(E.isRight(redactor.redact('acme', plain, { stream: 'order-2026-11-27-0042' }))).toBe(true);
    // Only the first chunk of an append names the stream; later chunks are not checked again.
    expect(E.isRight(redactor.redact('acme', plain, { offset: 4 }))).toBe(true);
  });

  it('scans numbers as text and metadata too', () => {
    const out = one(testRedactor({}), { card: 4242424242424242 }, { actor: 'john@example.com' });
    expect(out.data).toEqual({ card: '************4242' });
    expect(out.metadata?.['actor']).toBe('j***@example.com');
  });

  it('keeps colliding redacted keys apart and __proto__ as data', () => {
    const data = JSON.parse('{"ann@x.example":1,"amy@x.example":2,"__proto__":{"a":1}}') as JsonValue;
    const out = one(testRedactor({}), data).data as Record<string, JsonValue>;
    expect(Object.keys(out)).toEqual(['a***@x.example', 'a***@x.example#2', '__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('selects policies by tenant and by workflow metadata', () => {
    const redactor = testRedactor({
      data_policy: { pii_detectors: ['email'] },
      tenants: {
        acme: {
          data_policy: { redaction_mode: 'remove' },
          workflows: { billing: { data_policy: { pii_detectors: ['email', 'ssn'] } } },
        },
      },
      workflows: { support: { data_policy: { pii_detectors: [] } } },
    });
    const text = 'a@b.example 123-45-6789';
    expect(one(redactor, text, undefined, 'globex').data).toBe('***@b.example 123-45-6789');
    expect(one(redactor, text, undefined, 'acme').data).toBe('[email] 123-45-6789');
    expect(one(redactor, text, { workflow: 'billing' }, 'acme').data).toBe('[email] [ssn]');
    expect(one(redactor, text, { workflow: 'billing' }, 'globex').data).toBe('***@b.example 123-45-6789');
    expect(one(redactor, text, { workflow: 'support' }, 'globex').data).toBe(text);
  });

  it('drops spans under the confidence floor and those validate refuses', () => {
    const picky = defineDetector({
      id: 'order_ref',
      hints: ['ord-'],
      find: (t) =>
        [...t.matchAll(/ORD-\d+/gi)].map((m) => ({
          start: m.index,
          end: m.index + m[0].length,
          type: 'order_ref',
          confidence: m[0].length > 6 ? 0.9 : 0.2,
        })),
      validate: (c) => !c.endsWith('0'),
    });
    const out = one(
      testRedactor({ data_policy: { pii_detectors: ['order_ref'], redaction_mode: 'remove' } }, [picky]),
      'ORD-1 ORD-12345 ORD-12340',
    );
    expect(out.data).toBe('ORD-1 [order_ref] ORD-12340');
  });

  it('runs custom regex detectors declared in the policy', () => {
    const redactor = testRedactor({
      data_policy: {
        redaction_mode: 'remove',
        custom_detectors: [{ id: 'order_id', pattern: 'ORD-[0-9]{3,12}', hints: ['ord-'], flags: 'i' }],
      },
    });
    expect(one(redactor, 'see ord-12345 and a@b.example').data).toBe('see [order_id] and [email]');
  });

  it('fails closed when a detector throws, without quoting the text', () => {
    const thrower = defineDetector({
      id: 'thrower',
      hints: [],
      find: (t) => {
        throw new Error(t);
      },
    });
    const result = testRedactor({ data_policy: { pii_detectors: ['thrower'] } }, [thrower]).redact(
      'acme',
      events([{ type: 'T', data: 'secret-value' }]),
    );
    expect(E.isLeft(result) && result.left).toMatchObject({ _tag: 'RedactionFailed', reason: 'detector_error' });
    expect(JSON.stringify(result)).not.toContain('secret-value');
  });

  it('fails closed on invalid spans and when an event runs over its time budget', () => {
    const liar = defineDetector({
      id: 'liar',
      hints: [],
      find: (t) => [{ start: 0, end: t.length + 5, type: 'x', confidence: 1 }],
    });
    const slow = defineDetector({
      id: 'slow',
      hints: [],
      find: () => {
        const until = Date.now() + 20;
        while (Date.now() < until) {
          // busy
        }
        return [];
      },
    });
    expect(
      testRedactor({ data_policy: { pii_detectors: ['liar'] } }, [liar]).redact(
        'acme',
        events([{ type: 'T', data: 'x' }]),
      ),
    ).toMatchObject(E.left({ reason: 'detector_error' }));
    const budget = testRedactor({ data_policy: { pii_detectors: ['slow'] }, redaction: { event_budget_ms: 30 } }, [
      slow,
    ]);
    expect(budget.redact('acme', events([{ type: 'T', data: ['a', 'b', 'c'] }]))).toMatchObject(
      E.left({ reason: 'timeout' }),
    );
  });

  it('never leaves a planted value in the output (property)', () => {
    const redactor = testRedactor({});
    const planted = fc.constantFrom(
      'john.doe@example.com',
      '123-45-6789',
      '4242 4242 4242 4242',
      'AKIAIOSFODNN7EXAMPLE',
      '192.168.10.20',
    );
    const around = fc.constantFrom('', ' ', 'é ', ' 日本 ', '🙂 ', '"', '\n', ':');
    const text = fc.tuple(around, planted, around).map(([a, p, b]) => ({ text: `${a}${p}${b}`, planted: p }));
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), fc.boolean(), (items, asKeys) => {
        const data: Record<string, JsonValue> = {};
        items.forEach((item, i) => {
          if (asKeys) data[`${item.text}#${i}`] = i;
          else data[`k${i}`] = [{ v: item.text }, JSON.stringify({ inner: item.text })];
        });
        const out = JSON.stringify(one(redactor, data));
        for (const item of items) expect(out).not.toContain(item.planted);
      }),
    );
  });
});
