import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkExpectedVersion, decideAppend, type ExistingEvent } from './append-rules.js';
import type { ExpectedVersion, PreparedEvent } from './event.js';
import type { EventId, EventType, StreamId } from './ids.js';

const stream = 'order-1' as StreamId;
const prepared = (id: string, hash: string): PreparedEvent => ({
  id: id as EventId,
  type: 'E' as EventType,
  data: null,
  metadata: {},
  dataJson: 'null',
  metadataJson: '{}',
  contentHash: hash,
});

const expectedArb: fc.Arbitrary<ExpectedVersion> = fc.oneof(
  fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'),
  fc.integer({ min: 0, max: 5 }),
);
const currentArb = fc.option(fc.integer({ min: 0, max: 5 }), { nil: null });

describe('append rules', () => {
  it('accepts exactly the expectations that match the current version (property)', () => {
    fc.assert(
      fc.property(expectedArb, currentArb, (expected, current) => {
        const ok = E.isRight(checkExpectedVersion(stream, expected, current));
        const model =
          expected === 'any' ||
          (expected === 'no_stream' && current === null) ||
          (expected === 'stream_exists' && current !== null) ||
          expected === current;
        expect(ok).toBe(model);
      }),
    );
  });

  it('replays a retry of a first append whatever expectation the stream has moved past (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        (count, before, later) => {
          const events = Array.from({ length: count }, (_, i) => prepared(`id-${i}`, `h-${i}`));
          const existing: ExistingEvent[] = events.map((e, i) => ({
            id: e.id,
            stream,
            version: before + i,
            position: 10 + i,
            contentHash: e.contentHash,
          }));
          const current = before + count - 1 + later;
          const expected: ExpectedVersion = before === 0 ? 'no_stream' : before - 1;
          const decision = decideAppend(stream, events, expected, current, existing);
          expect(decision).toEqual(
            E.right({
              kind: 'replay',
              result: {
                nextExpectedVersion: before + count - 1,
                lastPosition: 10 + count - 1,
                events: existing.map((e) => ({ id: e.id, version: e.version, position: e.position })),
                idempotentReplay: true,
              },
            }),
          );
        },
      ),
    );
  });

  it('refuses reuse with other content, other streams, other order or partial overlap', () => {
    const events = [prepared('a', 'ha'), prepared('b', 'hb')];
    const stored = (overrides: Partial<ExistingEvent>[]): ExistingEvent[] =>
      events.map((e, i) => ({
        id: e.id,
        stream,
        version: i,
        position: i + 1,
        contentHash: e.contentHash,
        ...overrides[i],
      }));
    const tagOf = (existing: ExistingEvent[]) => {
      const d = decideAppend(stream, events, 'any', 1, existing);
      return E.isLeft(d) ? d.left._tag : d.right.kind;
    };
    expect(tagOf(stored([{}, {}]))).toBe('replay');
    expect(tagOf(stored([{ contentHash: 'other' }, {}]))).toBe('DuplicateEventId');
    expect(tagOf(stored([{}, { stream: 'x' as StreamId }]))).toBe('DuplicateEventId');
    expect(tagOf(stored([{ version: 1 }, { version: 0 }]))).toBe('DuplicateEventId');
    expect(tagOf(stored([{}, {}]).slice(0, 1))).toBe('DuplicateEventId');
    expect(tagOf([])).toBe('write');
  });
});
