import * as E from 'fp-ts/lib/Either.js';
import { storageUnavailable, type EventId, type StorageError, type StreamId } from '@palisade/core';
import { ADAPTER, type LogEntry } from './envelope.js';

/*
 * The tenant's log is the only stream an append writes, so an append is one
 * atomic server write, checked against one expected revision. Everything else
 * is an index derived from the log and written after it ("mirroring"):
 *
 * - each stream `<category>-<tenant>.<rest>` holds link events to its events in
 *   the log, so readStream is a native read and `$ce-<category>` sees them;
 * - `~id-<tenant>.<event id>` holds one link per client-supplied event id;
 * - `~streams-<tenant>` lists the streams created;
 * - `~mirrored-<tenant>` records the last log revision mirrored.
 *
 * Mirroring is deterministic and safe to repeat: a stream's links are appended
 * with the expected revision they must follow, so a second writer (or a retry
 * after a crash between the log write and the links) finds them present and
 * moves on. Every reader of an index first mirrors what the log has beyond the
 * cursor, so an index is never behind the log when it is read.
 */

export interface StreamLinks {
  readonly stream: StreamId;
  /** The stream's mirror revision the links must follow; null for a new stream. */
  readonly expectedRevision: number | null;
  /** Log revisions to link, in version order. */
  readonly logRevisions: readonly number[];
}

export interface MirrorPlan {
  readonly streams: readonly StreamLinks[];
  readonly ids: readonly { readonly id: EventId; readonly logRevision: number }[];
  readonly newStreams: readonly StreamId[];
  /** The log revision the cursor moves to once the plan is written. */
  readonly cursor: number;
}

/**
 * Plans the links for log entries past the cursor, given each touched stream's
 * current mirror head (null: no links yet). Links already present (a head at
 * or beyond an entry's version) are skipped; a head that leaves a hole means
 * the index was edited behind the adapter's back, and is reported, not papered over.
 */
export const planMirror = (
  entries: readonly LogEntry[],
  heads: ReadonlyMap<StreamId, number | null>,
  cursor: number,
): E.Either<StorageError, MirrorPlan> => {
  const byStream = new Map<StreamId, { expectedRevision: number | null; logRevisions: number[]; next: number }>();
  const ids: { id: EventId; logRevision: number }[] = [];
  const newStreams: StreamId[] = [];
  let last = cursor;
  for (const entry of entries) {
    if (entry.revision <= last) {
      return E.left(storageUnavailable(ADAPTER, 'log entries to mirror are out of order', false));
    }
    last = entry.revision;
    if (!entry.generatedId) ids.push({ id: entry.id, logRevision: entry.revision });
    if (entry.version === 0) newStreams.push(entry.stream);
    let plan = byStream.get(entry.stream);
    if (plan === undefined) {
      const head = heads.get(entry.stream) ?? null;
      plan = { expectedRevision: head, logRevisions: [], next: (head ?? -1) + 1 };
      byStream.set(entry.stream, plan);
    }
    if (entry.version < plan.next) continue; // already linked
    if (entry.version > plan.next) {
      return E.left(storageUnavailable(ADAPTER, `the stream index of '${entry.stream}' has a hole`, false));
    }
    plan.logRevisions.push(entry.revision);
    plan.next++;
  }
  return E.right({
    streams: [...byStream]
      .filter(([, p]) => p.logRevisions.length > 0)
      .map(([stream, p]) => ({ stream, expectedRevision: p.expectedRevision, logRevisions: p.logRevisions })),
    ids,
    newStreams,
    cursor: last,
  });
};

/** listStreams over the stream list: de-duplicated (mirroring may repeat an entry), by prefix, in code-unit order. */
export const selectStreams = (
  entries: readonly StreamId[],
  prefix: string,
  after: string | null,
  limit: number,
): StreamId[] =>
  [...new Set(entries)]
    .filter((s) => s.startsWith(prefix) && (after === null || s > after))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit);
