import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryEvent, jsonEvent } from '@eventstore/db-client';
import type { EventId, EventType, JsonObject, JsonValue, PreparedEvent, StreamId, TenantId } from '@palisade/core';
import {
  decodeCheckpoint,
  decodeCursor,
  decodeExisting,
  decodeLogEntry,
  decodeLogEvent,
  decodeStreamsEntry,
  linkTo,
  planLogEvents,
  positionsAfterAppend,
  type JsonEventData,
} from './envelope.js';
import { streamNames } from './stream-names.js';

const acme = 'acme' as TenantId;
const names = streamNames();
const log = names.log(acme);
const at = '2026-11-27T18:00:00.000Z';
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}` as EventId;
const prepared = (n: number, data: JsonValue, metadata: JsonObject = {}, idGenerated = false): PreparedEvent => ({
  id: uuid(n),
  type: 'Placed' as EventType,
  data,
  metadata,
  dataJson: JSON.stringify(data),
  metadataJson: JSON.stringify(metadata),
  contentHash: `hash-${n}`,
  ...(idGenerated ? { idGenerated: true } : {}),
});

/** What the client sends and the server gives back for a JSON event: JSON text as UTF-8 bytes, parsed on read. */
const throughServer = (event: JsonEventData, revision: bigint, streamId = log) => ({
  streamId,
  id: event.id,
  revision,
  type: event.type,
  isJson: true,
  data: JSON.parse(Buffer.from(JSON.stringify(event.data), 'utf8').toString('utf8')) as unknown,
  metadata: JSON.parse(Buffer.from(JSON.stringify(event.metadata), 'utf8').toString('utf8')) as unknown,
});

describe('EventStoreDB log records', () => {
  it("serialise data to exactly core's JSON text, so payloads round-trip (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const data = JSON.parse(JSON.stringify(value)) as JsonValue;
        const [record] = planLogEvents([prepared(1, data)], 's-1' as StreamId, null, at);
        expect(JSON.stringify(record!.data)).toBe(JSON.stringify(data));
        const decoded = decodeLogEvent(throughServer(record!, 0n), acme, log);
        expect(E.isRight(decoded) && JSON.stringify(decoded.right.data)).toBe(JSON.stringify(data));
      }),
    );
  });

  it('keeps NUL, lone surrogates, odd numbers and metadata byte for byte', () => {
    const data = { nul: 'a\u0000b', lone: 'x\uD800y', [`k\u0000`]: [-0.5, 1e21, 2 ** 53 - 1], e: '👩‍👩‍👧' };
    const metadata = { note: 'ñ\u0000', correlationId: 'c-1', causationId: 'k-1' };
    const [record] = planLogEvents([prepared(7, data, metadata)], 'order-1' as StreamId, 2, at);
    expect(record!.metadata).toMatchObject({ $correlationId: 'c-1', $causationId: 'k-1', version: 3 });
    expect(decodeLogEvent(throughServer(record!, 9n), acme, log)).toEqual(
      E.right({
        id: uuid(7),
        tenant: acme,
        stream: 'order-1',
        version: 3,
        position: 10,
        type: 'Placed',
        data: JSON.parse(JSON.stringify(data)) as unknown,
        metadata,
        recordedAt: at,
      }),
    );
  });

  it('numbers versions after the current one, and positions from the log revision (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
        fc.integer({ min: 0, max: 10_000 }),
        (count, current, before) => {
          const events = Array.from({ length: count }, (_, i) => prepared(i, i));
          const records = planLogEvents(events, 's' as StreamId, current, at);
          expect(records.map((r) => r.metadata.version)).toEqual(events.map((_, i) => (current ?? -1) + 1 + i));
          // The log had `before` events (revisions 0..before-1); the batch lands at before..before+count-1.
          const positions = positionsAfterAppend(BigInt(before + count - 1), count);
          expect(positions).toEqual(events.map((_, i) => before + 1 + i));
        },
      ),
    );
  });

  it("refuses records that are not this tenant's log events, without quoting them", () => {
    const [record] = planLogEvents([prepared(1, { secret: 'hunter2' })], 's-1' as StreamId, null, at);
    const good = throughServer(record!, 0n);
    const bad: unknown[] = [
      { ...good, streamId: names.log('globex' as TenantId) },
      { ...good, streamId: streamNames('other').log(acme) },
      { ...good, isJson: false },
      { ...good, id: 'NOT-A-UUID' },
      { ...good, type: 'bad type' },
      { ...good, revision: 0 },
      { ...good, revision: 2n ** 60n },
      { ...good, metadata: undefined },
      { ...good, metadata: { ...(good.metadata as object), palisade: 2 } },
      { ...good, metadata: { ...(good.metadata as object), stream: '../x y' } },
      { ...good, metadata: { ...(good.metadata as object), version: -1 } },
      { ...good, metadata: { ...(good.metadata as object), metadata: [1] } },
      { ...good, data: () => 1 },
      null,
      'text',
    ];
    for (const r of bad) {
      const decoded = decodeLogEvent(r, acme, log);
      expect(decoded).toMatchObject({ left: { _tag: 'StorageUnavailable', retryable: false } });
      expect(JSON.stringify(decoded)).not.toContain('hunter2');
    }
  });

  it('gives the idempotency rules and the mirror what they need', () => {
    const [supplied, generated] = planLogEvents(
      [prepared(1, 1), prepared(2, 2, {}, true)],
      'order-1' as StreamId,
      4,
      at,
    );
    expect(decodeExisting(throughServer(supplied!, 11n), acme, log)).toEqual(
      E.right({ id: uuid(1), stream: 'order-1', version: 5, position: 12, contentHash: 'hash-1' }),
    );
    expect(decodeLogEntry(throughServer(generated!, 12n), acme, log)).toEqual(
      E.right({ revision: 12, stream: 'order-1', version: 6, id: uuid(2), generatedId: true }),
    );
    expect(new TextDecoder().decode(linkTo(log, 12).data)).toBe('12@~log-acme');
    expect(linkTo(log, 12).type).toBe('$>');
  });

  it("builds the same event the client's own helpers build", () => {
    const [record] = planLogEvents([prepared(3, { total: 10 }, { actor: 'a' })], 'order-1' as StreamId, null, at);
    expect(jsonEvent({ id: record!.id, type: record!.type, data: { total: 10 }, metadata: record!.metadata })).toEqual(
      record,
    );
    const link = binaryEvent({ ...linkTo(log, 7), id: uuid(9) });
    expect(link).toMatchObject({ id: uuid(9), contentType: 'application/octet-stream', type: '$>' });
    expect(new TextDecoder().decode(link.data)).toBe('7@~log-acme');
  });

  it('decodes checkpoint, cursor and stream-list records, refusing malformed ones', () => {
    expect(decodeCheckpoint({ data: { position: 4 } })).toEqual(E.right(4));
    expect(E.isLeft(decodeCheckpoint({ data: { position: -4 } }))).toBe(true);
    expect(E.isLeft(decodeCheckpoint(undefined))).toBe(true);
    expect(decodeCursor({ data: { revision: -1 } })).toEqual(E.right(-1));
    expect(E.isLeft(decodeCursor({ data: { revision: 1.5 } }))).toBe(true);
    expect(decodeStreamsEntry({ data: { stream: '$audit' } })).toEqual(E.right('$audit'));
    expect(E.isLeft(decodeStreamsEntry({ data: { stream: 'a b' } }))).toBe(true);
  });
});
