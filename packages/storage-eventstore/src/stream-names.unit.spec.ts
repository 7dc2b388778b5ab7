import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadableStreamId, TenantId, categoryOf, type EventId, type StreamId, type SubscriberId } from '@palisade/core';
import {
  decodeStreamName,
  encodeStreamName,
  isInternalStreamName,
  serverCategoryOf,
  streamNames,
} from './stream-names.js';

const tenantArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/).filter((s): s is TenantId => TenantId.is(s));
const userStreamArb = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,30}$/)
  .filter((s): s is StreamId => ReadableStreamId.is(s));
const systemStreamArb = fc.stringMatching(/^\$[a-z][a-z0-9-]{0,20}$/) as fc.Arbitrary<StreamId>;
const streamArb = fc.oneof(userStreamArb, systemStreamArb);
// Streams with dashes and dots in awkward places, where a naive encoding collides.
const trickyArb = fc
  .array(fc.constantFrom('a', 'b', '-', '.', '_', '0'), { minLength: 1, maxLength: 8 })
  .map((cs) => `x${cs.join('')}`) as fc.Arbitrary<StreamId>;
const namespaceArb = fc.stringMatching(/^[a-z0-9][a-z0-9_]{0,8}$/);
const trickyTenantArb = fc
  .array(fc.constantFrom('a', 'b', '-', '_', '0'), { minLength: 0, maxLength: 6 })
  .map((cs) => `t${cs.join('')}`) as fc.Arbitrary<TenantId>;

describe('EventStoreDB stream names', () => {
  it('puts the tenant after the category, so $ce-<category> keeps its meaning', () => {
    const acme = 'acme' as TenantId;
    expect(encodeStreamName(acme, 'order-42' as StreamId)).toBe('order-acme.42');
    expect(encodeStreamName(acme, 'order' as StreamId)).toBe('order-acme');
    expect(encodeStreamName(acme, 'order-' as StreamId)).toBe('order-acme.');
    expect(encodeStreamName(acme, 'order-42-line-7' as StreamId)).toBe('order-acme.42-line-7');
    expect(encodeStreamName('acme-eu' as TenantId, 'order-42' as StreamId)).toBe('order-acme-eu.42');
    expect(encodeStreamName(acme, '$audit' as StreamId)).toBe('_audit-acme');
    expect(encodeStreamName(acme, '$audit-log' as StreamId)).toBe('_audit-acme.log');
  });

  it('round-trips every tenant and stream (property)', () => {
    fc.assert(
      fc.property(fc.oneof(tenantArb, trickyTenantArb), fc.oneof(streamArb, trickyArb), (tenant, stream) => {
        expect(decodeStreamName(encodeStreamName(tenant, stream))).toEqual({ tenant, stream });
      }),
      { numRuns: 2000 },
    );
  });

  it('never gives two (tenant, stream) pairs the same name (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(tenantArb, trickyTenantArb),
        fc.oneof(streamArb, trickyArb),
        fc.oneof(tenantArb, trickyTenantArb),
        fc.oneof(streamArb, trickyArb),
        (t1, s1, t2, s2) => {
          if (t1 !== t2 || s1 !== s2) expect(encodeStreamName(t1, s1)).not.toBe(encodeStreamName(t2, s2));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("keeps the stream's category as the server's category (property)", () => {
    fc.assert(
      fc.property(tenantArb, userStreamArb, (tenant, stream) => {
        expect(serverCategoryOf(encodeStreamName(tenant, stream))).toBe(categoryOf(stream));
      }),
    );
  });

  it('refuses names it never produces: foreign, internal, $-prefixed, or a second spelling', () => {
    for (const name of [
      '',
      'order',
      '-acme',
      'order-ACME.1',
      'order-acme.1 x',
      '$ce-order',
      '$$order-acme.1',
      '~log-acme',
      'order-.1',
      '_Audit-acme',
      'order-acme.1 ',
    ]) {
      expect(decodeStreamName(name)).toBeNull();
    }
  });

  it('names the adapter streams apart from every tenant stream, in every namespace (property)', () => {
    const id = '00000000-0000-4000-8000-000000000001' as EventId;
    fc.assert(
      fc.property(fc.option(namespaceArb, { nil: null }), tenantArb, streamArb, (namespace, tenant, stream) => {
        const names = streamNames(namespace);
        const internal = [
          names.log(tenant),
          names.mirrored(tenant),
          names.streams(tenant),
          names.eventId(tenant, id),
          names.checkpoint(tenant, 'mailer' as SubscriberId),
        ];
        expect(internal.every(isInternalStreamName)).toBe(true);
        expect(internal.every((n) => names.decode(n) === null)).toBe(true);
        expect(isInternalStreamName(names.stream(tenant, stream))).toBe(false);
        expect(names.stream(tenant, stream).startsWith('$')).toBe(false);
        expect(names.decode(names.stream(tenant, stream))).toEqual({ tenant, stream });
      }),
    );
  });

  it('keeps namespaces apart: no name of one namespace is a name of another (property)', () => {
    fc.assert(
      fc.property(
        fc.option(namespaceArb, { nil: null }),
        fc.option(namespaceArb, { nil: null }),
        fc.oneof(tenantArb, trickyTenantArb),
        fc.oneof(streamArb, trickyArb),
        fc.oneof(tenantArb, trickyTenantArb),
        fc.oneof(streamArb, trickyArb),
        (n1, n2, t1, s1, t2, s2) => {
          const a = streamNames(n1);
          const b = streamNames(n2);
          if (n1 !== n2) {
            expect(a.stream(t1, s1)).not.toBe(b.stream(t2, s2));
            expect(a.log(t1)).not.toBe(b.log(t2));
            expect(b.decode(a.stream(t1, s1))).toBeNull();
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps checkpoint streams of two tenants apart even when one tenant prefixes the other', () => {
    const names = streamNames();
    expect(names.checkpoint('ab' as TenantId, 'x' as SubscriberId)).not.toBe(
      names.checkpoint('a' as TenantId, 'bx' as SubscriberId),
    );
    expect(names.checkpoint('a-b' as TenantId, 'x' as SubscriberId)).toBe('~checkpoint-a-b.x');
  });
});
