import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventId, EventType, PreparedEvent, StreamId, TenantId } from '@palisade/core';
import {
  decodeCheckpointDocument,
  decodeCounterDocument,
  decodeEventDocument,
  decodeExistingDocument,
  decodeStreamDocument,
  planEventDocuments,
} from './documents.js';

const acme = 'acme' as TenantId;
const globex = 'globex' as TenantId;
const stream = 'order-1' as StreamId;
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}` as EventId;
const prepared = (n: number, data: unknown = { n }): PreparedEvent => ({
  id: uuid(n),
  type: 'Placed' as EventType,
  data: data as never,
  metadata: { actor: 'a' },
  dataJson: JSON.stringify(data),
  metadataJson: JSON.stringify({ actor: 'a' }),
  contentHash: `hash-${n}`,
});
const at = '2026-11-27T18:00:00.000Z';

describe('mongo event documents', () => {
  it('plans consecutive versions and positions ending at the counter (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
        fc.integer({ min: 0, max: 10_000 }),
        (count, current, before) => {
          const events = Array.from({ length: count }, (_, i) => prepared(i));
          const docs = planEventDocuments(acme, stream, events, current, before + count, at);
          expect(docs.map((d) => d.version)).toEqual(events.map((_, i) => (current ?? -1) + 1 + i));
          expect(docs.map((d) => d.position)).toEqual(events.map((_, i) => before + 1 + i));
          expect(docs.every((d) => d.tenant === acme && d.stream === stream)).toBe(true);
        },
      ),
    );
  });

  it('round-trips payloads byte for byte through the stored JSON text', () => {
    const data = { nul: 'a\u0000b', lone: 'x\uD800y', [`k\u0000`]: [-0.5, 1e21, 2 ** 53 - 1], emoji: '👩‍👩‍👧' };
    const [doc] = planEventDocuments(acme, stream, [prepared(7, data)], null, 1, at);
    const decoded = decodeEventDocument(doc, acme);
    expect(E.isRight(decoded) && JSON.stringify(decoded.right.data)).toBe(JSON.stringify(data));
    expect(decoded).toEqual(
      E.right({
        id: uuid(7),
        tenant: acme,
        stream,
        version: 0,
        position: 1,
        type: 'Placed',
        data: JSON.parse(JSON.stringify(data)) as unknown,
        metadata: { actor: 'a' },
        recordedAt: at,
      }),
    );
  });

  it("refuses another tenant's document even when it is well formed", () => {
    const [doc] = planEventDocuments(globex, stream, [prepared(1)], null, 1, at);
    expect(decodeEventDocument(doc, acme)).toMatchObject({
      left: {
        _tag: 'StorageUnavailable',
        retryable: false,
        message: "mongo storage failed: a stored document in 'events' is malformed",
      },
    });
  });

  it('refuses malformed event documents without quoting them', () => {
    const [good] = planEventDocuments(acme, stream, [prepared(1, { secret: 'hunter2' })], null, 1, at);
    const variants: Record<string, unknown>[] = [
      { ...good, type: 'not a type' },
      { ...good, version: -1 },
      { ...good, position: 0 },
      { ...good, position: 1.5 },
      { ...good, eventId: 'not-a-uuid' },
      { ...good, stream: '../x' },
      { ...good, data: '{"secret": "hunter2"' },
      { ...good, metadata: '[1]' },
      { ...good, metadata: 'null' },
      { ...good, data: { secret: 'hunter2' } },
      { ...good, recordedAt: undefined },
    ];
    for (const doc of variants) {
      const decoded = decodeEventDocument(doc, acme);
      expect(E.isLeft(decoded)).toBe(true);
      expect(JSON.stringify(decoded)).not.toContain('hunter2');
    }
    expect(E.isLeft(decodeEventDocument(null, acme))).toBe(true);
    expect(E.isLeft(decodeEventDocument('text', acme))).toBe(true);
  });

  it('decodes the documents beside the events', () => {
    expect(
      decodeExistingDocument({ eventId: uuid(1), stream: 'order-1', version: 2, position: 9, contentHash: 'h' }),
    ).toEqual(E.right({ id: uuid(1), stream: 'order-1', version: 2, position: 9, contentHash: 'h' }));
    expect(E.isLeft(decodeExistingDocument({ eventId: uuid(1), stream: 'order-1', version: 2 }))).toBe(true);
    expect(decodeStreamDocument({ tenant: 'acme', stream: '$audit', version: 3 }, acme)).toEqual(
      E.right({ stream: '$audit', version: 3 }),
    );
    expect(E.isLeft(decodeStreamDocument({ tenant: 'globex', stream: 's', version: 3 }, acme))).toBe(true);
    expect(E.isLeft(decodeStreamDocument({ tenant: 'acme', stream: 's', version: '3' }, acme))).toBe(true);
    expect(decodeCounterDocument({ tenant: 'acme', lastPosition: 12 })).toEqual(E.right(12));
    expect(E.isLeft(decodeCounterDocument(null))).toBe(true);
    expect(decodeCheckpointDocument({ tenant: 'acme', subscriber: 'mailer', position: 4, updatedAt: at })).toEqual(
      E.right(4),
    );
    expect(
      E.isLeft(decodeCheckpointDocument({ tenant: 'acme', subscriber: 'mailer', position: -4, updatedAt: at })),
    ).toBe(true);
  });
});
