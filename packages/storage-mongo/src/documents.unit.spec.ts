import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BSON } from 'mongodb';
import type { EventId, EventType, JsonValue, PreparedEvent, StreamId, TenantId } from '@palisade/core';
import {
  MAX_COMMIT_BYTES,
  commitEvents,
  commitSizeBound,
  decodeCheckpoint,
  decodeCommit,
  decodeHead,
  decodeLogHead,
  existingIn,
  planCommit,
} from './documents.js';

const acme = 'acme' as TenantId;
const globex = 'globex' as TenantId;
const stream = 'order-1' as StreamId;
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}` as EventId;
const prepared = (n: number, data: JsonValue = { n }): PreparedEvent => ({
  id: uuid(n),
  type: 'Placed' as EventType,
  data,
  metadata: { actor: 'a' },
  dataJson: JSON.stringify(data),
  metadataJson: JSON.stringify({ actor: 'a' }),
  contentHash: `hash-${n}`,
});
const at = '2026-11-27T18:00:00.000Z';

/** What the server gives back: the document through the driver's own BSON serialiser. */
const stored = (doc: object): unknown => BSON.deserialize(BSON.serialize(doc));

describe('mongo commit documents', () => {
  it('continue the stream and the log, and read back as the events appended (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
        fc.integer({ min: 0, max: 10_000 }),
        (count, current, logHead) => {
          const events = Array.from({ length: count }, (_, i) => prepared(i));
          const commit = planCommit(acme, stream, events, current, logHead, at);
          const decoded = decodeCommit(stored(commit), acme);
          if (E.isLeft(decoded)) throw new Error(decoded.left.message);
          const read = commitEvents(decoded.right);
          if (E.isLeft(read)) throw new Error(read.left.message);
          expect(read.right.map((e) => e.version)).toEqual(events.map((_, i) => (current ?? -1) + 1 + i));
          expect(read.right.map((e) => e.position)).toEqual(events.map((_, i) => logHead + 1 + i));
          expect(read.right.map((e) => e.id)).toEqual(events.map((e) => e.id));
          expect(read.right.every((e) => e.tenant === acme && e.stream === stream && e.recordedAt === at)).toBe(true);
        },
      ),
    );
  });

  it('round-trips payloads byte for byte through the stored JSON text', () => {
    const data = { nul: 'a\u0000b', lone: 'x\uD800y', [`k\u0000`]: [-0.5, 1e21, 2 ** 53 - 1], emoji: '👩‍👩‍👧' };
    const commit = planCommit(acme, stream, [prepared(7, data)], null, 0, at);
    const read = E.chain(commitEvents)(decodeCommit(stored(commit), acme));
    expect(E.isRight(read) && JSON.stringify(read.right[0]!.data)).toBe(JSON.stringify(data));
    expect(E.isRight(read) && read.right[0]!.metadata).toEqual({ actor: 'a' });
  });

  it("refuses another tenant's commit even when it is well formed", () => {
    const commit = planCommit(globex, stream, [prepared(1)], null, 0, at);
    expect(decodeCommit(stored(commit), acme)).toMatchObject({
      left: {
        _tag: 'StorageUnavailable',
        retryable: false,
        message: "mongo storage failed: a stored document in 'commits' is malformed",
      },
    });
  });

  it('refuses malformed or inconsistent commits without quoting them', () => {
    const good = stored(
      planCommit(acme, stream, [prepared(1, { secret: 'hunter2' }), prepared(2)], 0, 4, at),
    ) as Record<string, unknown>;
    const events = good.events as Record<string, unknown>[];
    const variants: unknown[] = [
      { ...good, lastVersion: 3 },
      { ...good, lastPosition: 9 },
      { ...good, firstPosition: 0, lastPosition: 1 },
      { ...good, eventIds: [uuid(1)] },
      { ...good, eventIds: [uuid(1), 'not-a-uuid'] },
      { ...good, events: [], eventIds: [], lastVersion: 0, lastPosition: 4 },
      { ...good, stream: 'bad stream' },
      { ...good, events: [{ ...events[0], type: 'bad type' }, events[1]] },
      { ...good, events: [{ ...events[0], hash: 1 }, events[1]] },
      { ...good, recordedAt: undefined },
      null,
      'text',
    ];
    for (const doc of variants) {
      const decoded = decodeCommit(doc, acme);
      expect(E.isLeft(decoded)).toBe(true);
      expect(JSON.stringify(decoded)).not.toContain('hunter2');
    }
    for (const bad of [{ data: '{"secret": "hunter2"' }, { metadata: '[1]' }, { metadata: 'null' }]) {
      const commit = { ...good, events: [{ ...events[0], ...bad }, events[1]] };
      const read = E.chain(commitEvents)(decodeCommit(commit, acme));
      expect(E.isLeft(read)).toBe(true);
      expect(JSON.stringify(read)).not.toContain('hunter2');
    }
  });

  it('finds the stored events of retried ids inside a commit', () => {
    const commit = stored(planCommit(acme, stream, [prepared(1), prepared(2), prepared(3)], 4, 10, at));
    expect(existingIn(commit, acme, new Set([uuid(2), uuid(3), uuid(9)]))).toEqual(
      E.right([
        { id: uuid(2), stream, version: 6, position: 12, contentHash: 'hash-2' },
        { id: uuid(3), stream, version: 7, position: 13, contentHash: 'hash-3' },
      ]),
    );
    expect(E.isLeft(existingIn(commit, globex, new Set([uuid(2)])))).toBe(true);
    expect(E.isLeft(existingIn({ ...(commit as object), events: [] }, acme, new Set([uuid(2)])))).toBe(true);
  });

  it('reads heads and checkpoints, refusing malformed ones', () => {
    expect(decodeHead(null)).toEqual(E.right(null));
    expect(decodeHead({ lastVersion: 3 })).toEqual(E.right(3));
    expect(E.isLeft(decodeHead({ lastVersion: '3' }))).toBe(true);
    expect(decodeLogHead(null)).toEqual(E.right(0));
    expect(decodeLogHead({ lastPosition: 12 })).toEqual(E.right(12));
    expect(E.isLeft(decodeLogHead({ lastPosition: 0 }))).toBe(true);
    expect(decodeCheckpoint({ tenant: 'acme', subscriber: 'mailer', position: 4, updatedAt: at })).toEqual(E.right(4));
    expect(E.isLeft(decodeCheckpoint({ tenant: 'acme', subscriber: 'mailer', position: -4, updatedAt: at }))).toBe(
      true,
    );
  });

  it('stores payloads as JSON text because BSON itself would not keep them', () => {
    // The driver's BSON turns a lone surrogate into U+FFFD: storing the value as BSON would change it.
    expect(stored({ s: 'x\uD800y' })).toEqual({ s: 'x\uFFFDy' });
    const commit = planCommit(acme, stream, [prepared(1, { s: 'x\uD800y' })], null, 0, at);
    const read = E.chain(commitEvents)(decodeCommit(stored(commit), acme));
    expect(E.isRight(read) && read.right[0]!.data).toEqual({ s: 'x\uD800y' });
  });

  it("over-estimates a commit's BSON size, so the 16 MiB check is safe (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 20 }), (values) => {
        const events = values.map((v, i) => prepared(i, JSON.parse(JSON.stringify(v ?? null)) as JsonValue));
        const commit = planCommit(acme, stream, events, 3, 40, at);
        expect(BSON.calculateObjectSize({ _id: new BSON.ObjectId(), ...commit })).toBeLessThanOrEqual(
          commitSizeBound(events),
        );
      }),
    );
  });

  it('bounds a commit below the 16 MiB document limit', () => {
    const small = Array.from({ length: 10 }, (_, i) => prepared(i));
    expect(commitSizeBound(small)).toBeLessThan(MAX_COMMIT_BYTES);
    const big = Array.from({ length: 17 }, (_, i) => prepared(i, 'x'.repeat(1024 * 1024)));
    expect(commitSizeBound(big)).toBeGreaterThan(MAX_COMMIT_BYTES);
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = Array.from({ length: 6 }, (_, i) => prepared(i, '€'.repeat(1024 * 1024)));
    expect(commitSizeBound(wide)).toBeGreaterThan(MAX_COMMIT_BYTES);
  });
});
