import * as E from 'fp-ts/lib/Either.js';
import type { AppendResult, ExpectedVersion, PreparedEvent } from './event.js';
import { duplicateEventId, wrongExpectedVersion, type DuplicateEventId, type WrongExpectedVersion } from './errors.js';
import type { EventId, StreamId } from './ids.js';

/*
 * The rules every adapter applies inside its append transaction. They live here,
 * once, so that all adapters agree on them and the conformance suite checks one
 * behaviour.
 */

/** Is `current` (null: no stream) acceptable for `expected`? */
export const checkExpectedVersion = (
  stream: StreamId,
  expected: ExpectedVersion,
  current: number | null,
): E.Either<WrongExpectedVersion, void> => {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === null) ||
    (expected === 'stream_exists' && current !== null) ||
    (typeof expected === 'number' && current === expected);
  return ok ? E.right(undefined) : E.left(wrongExpectedVersion(stream, expected, current));
};

/** A stored event found by one of the incoming ids. */
export interface ExistingEvent {
  readonly id: EventId;
  readonly stream: StreamId;
  readonly version: number;
  readonly position: number;
  readonly contentHash: string;
}

export type AppendDecision = { readonly kind: 'write' } | { readonly kind: 'replay'; readonly result: AppendResult };

/**
 * Decides what an append does, given the stored events that share its ids and
 * the stream's current version.
 *
 * - No id is known: check the expected version, then write.
 * - Every id is known, as the same events of the same stream in the same order
 *   with the same content, and `expected` matches what it was for the first
 *   attempt: a retry. Return the first result and write nothing.
 * - Anything else that reuses an id is an error: reusing an id for other
 *   content would make the retry lie about what was stored.
 */
export const decideAppend = (
  stream: StreamId,
  incoming: readonly PreparedEvent[],
  expected: ExpectedVersion,
  current: number | null,
  existing: readonly ExistingEvent[],
): E.Either<WrongExpectedVersion | DuplicateEventId, AppendDecision> => {
  if (existing.length === 0) {
    return E.map(() => ({ kind: 'write' }) as const)(checkExpectedVersion(stream, expected, current));
  }
  const byId = new Map(existing.map((e) => [e.id as string, e]));
  const first = byId.get(incoming[0]?.id ?? '');
  if (first === undefined || existing.length !== incoming.length) {
    const reused = incoming.find((e) => byId.has(e.id));
    return E.left(duplicateEventId(reused?.id ?? existing[0]!.id, 'is already used by another append'));
  }
  const events: { id: EventId; version: number; position: number }[] = [];
  for (let i = 0; i < incoming.length; i++) {
    const mine = incoming[i]!;
    const stored = byId.get(mine.id);
    if (stored === undefined || stored.stream !== stream || stored.version !== first.version + i) {
      return E.left(duplicateEventId(mine.id, 'is already used by another append'));
    }
    if (stored.contentHash !== mine.contentHash) {
      return E.left(duplicateEventId(mine.id, 'is already used for different content'));
    }
    events.push({ id: stored.id, version: stored.version, position: stored.position });
  }
  const versionBefore = first.version === 0 ? null : first.version - 1;
  const sameExpectation = E.isRight(checkExpectedVersion(stream, expected, versionBefore));
  if (!sameExpectation) return E.left(wrongExpectedVersion(stream, expected, current));
  const last = events[events.length - 1]!;
  return E.right({
    kind: 'replay',
    result: {
      nextExpectedVersion: last.version,
      lastPosition: last.position,
      events,
      idempotentReplay: true,
    },
  });
};
