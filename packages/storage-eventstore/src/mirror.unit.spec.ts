import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventId, StreamId } from '@palisade/core';
import type { LogEntry } from './envelope.js';
import { planMirror, selectStreams } from './mirror.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}` as EventId;

/** A tenant log built from appends: each append is a batch to one stream. */
const logOf = (appends: readonly { stream: string; count: number; generated: boolean }[]): LogEntry[] => {
  const versions = new Map<string, number>();
  const out: LogEntry[] = [];
  for (const a of appends) {
    for (let i = 0; i < a.count; i++) {
      const version = versions.get(a.stream) ?? 0;
      versions.set(a.stream, version + 1);
      out.push({
        revision: out.length,
        stream: a.stream as StreamId,
        version,
        id: uuid(out.length),
        generatedId: a.generated,
      });
    }
  }
  return out;
};

const appendsArb = fc.array(
  fc.record({
    stream: fc.constantFrom('a-1', 'a-2', 'b', '$audit'),
    count: fc.integer({ min: 1, max: 4 }),
    generated: fc.boolean(),
  }),
  { minLength: 1, maxLength: 12 },
);

describe('mirroring the tenant log into its indexes', () => {
  it('links every event into its stream exactly once, in version order, whatever was already linked (property)', () => {
    fc.assert(
      fc.property(appendsArb, fc.integer({ min: -1, max: 60 }), fc.nat(), (appends, rawCursor, seed) => {
        const log = logOf(appends);
        const cursor = Math.min(rawCursor, log.length - 1);
        // Each stream's links may already cover more than the cursor says (a crash after linking, before the cursor moved).
        const linked = new Map<StreamId, number[]>();
        for (const e of log) {
          const mine = linked.get(e.stream) ?? [];
          const extra = (seed + e.revision) % 3 === 0;
          if (e.revision <= cursor || (extra && mine.length === e.version)) mine.push(e.revision);
          linked.set(e.stream, mine);
        }
        const heads = new Map([...linked].map(([s, revs]) => [s, revs.length === 0 ? null : revs.length - 1] as const));
        const plan = planMirror(
          log.filter((e) => e.revision > cursor),
          heads,
          cursor,
        );
        if (E.isLeft(plan)) throw new Error(plan.left.message);
        for (const s of plan.right.streams) {
          expect(s.expectedRevision).toBe(heads.get(s.stream) ?? null);
          linked.get(s.stream)!.push(...s.logRevisions);
        }
        for (const [stream, revs] of linked) {
          expect(revs).toEqual(log.filter((e) => e.stream === stream).map((e) => e.revision));
        }
        const pending = log.filter((e) => e.revision > cursor);
        expect(plan.right.ids.map((i) => i.logRevision)).toEqual(
          pending.filter((e) => !e.generatedId).map((e) => e.revision),
        );
        expect(plan.right.newStreams).toEqual(pending.filter((e) => e.version === 0).map((e) => e.stream));
        expect(plan.right.cursor).toBe(pending.length === 0 ? cursor : log.length - 1);
      }),
    );
  });

  it('reports a hole in a stream index and log entries out of order, instead of papering over them', () => {
    const log = logOf([{ stream: 's', count: 3, generated: true }]);
    const hole = planMirror(log.slice(2), new Map([['s' as StreamId, 0]]), 1);
    expect(hole).toMatchObject({ left: { _tag: 'StorageUnavailable', retryable: false } });
    expect(E.isLeft(hole) && hole.left.message).toContain("the stream index of 's' has a hole");
    expect(E.isLeft(planMirror([log[1]!, log[0]!], new Map(), -1))).toBe(true);
    expect(E.isLeft(planMirror([log[0]!], new Map(), 0))).toBe(true);
  });

  it('lists streams de-duplicated, by prefix, after a cursor, in code-unit order, up to a limit', () => {
    const entries = ['order-2', 'order-10', 'b', 'order-2', '$audit', 'Order-1', 'order-1'] as StreamId[];
    expect(selectStreams(entries, '', null, 100)).toEqual(['$audit', 'Order-1', 'b', 'order-1', 'order-10', 'order-2']);
    expect(selectStreams(entries, 'order-', null, 2)).toEqual(['order-1', 'order-10']);
    expect(selectStreams(entries, 'order-', 'order-10', 5)).toEqual(['order-2']);
    expect(selectStreams(entries, 'zzz', null, 5)).toEqual([]);
  });
});
