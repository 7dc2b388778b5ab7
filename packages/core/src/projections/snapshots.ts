import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { decodeWith } from '../decode.js';
import type { TenantEventStore } from '../event-store.js';
import { ReadableStreamId, type StreamId } from '../ids.js';
import type { StateKey } from '../ports.js';
import { applyEvents, decodeState, encodeState, type Projection } from './projection.js';
import type { ProjectionError } from './tenant-projections.js';

/** Decides, after a load, whether to store a new snapshot. */
export interface SnapshotPolicy {
  shouldSnapshot(context: {
    /** Events applied on top of the snapshot (or from the start) in this load. */
    readonly eventsSinceSnapshot: number;
    readonly streamVersion: number;
  }): boolean;
}

/** Snapshot once `n` events have piled up after the last snapshot. */
export const everyNEvents = (n: number): SnapshotPolicy => {
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError('everyNEvents: n must be a positive integer');
  return { shouldSnapshot: ({ eventsSinceSnapshot }) => eventsSinceSnapshot >= n };
};

export const neverSnapshot: SnapshotPolicy = { shouldSnapshot: () => false };

export interface AggregateView<S> {
  readonly state: S;
  /** The stream version the state reflects; null when the stream has no events left to read and no snapshot. */
  readonly streamVersion: number | null;
  /** The stream version of the snapshot used, or null when the stream was replayed from the start. */
  readonly snapshotVersion: number | null;
  /** Events read from the stream (the tail after the snapshot). */
  readonly eventsRead: number;
  /** True when a new snapshot was stored by this load. */
  readonly snapshotTaken: boolean;
  /** When events the snapshot reflects were purged (see retention); null otherwise. */
  readonly purgedAt: string | null;
  /**
   * True when events are missing where the state expected them: the stream's
   * first events (full replay) or those right after the snapshot were purged.
   */
  readonly gap: boolean;
}

export interface LoadAggregateOptions {
  readonly policy?: SnapshotPolicy;
  /** Events read per page. Default 1,000. */
  readonly pageSize?: number;
}

const decodeStream = decodeWith(ReadableStreamId, 'stream');

/**
 * Loads one stream's state: the latest snapshot of this projection version and
 * only the events after it; then stores a new snapshot when the policy says so
 * (compare-and-set: of two loaders racing, one stores it).
 */
export const loadAggregate = <S>(
  store: TenantEventStore,
  p: Projection<S>,
  stream: string,
  options: LoadAggregateOptions = {},
): TE.TaskEither<ProjectionError, AggregateView<S>> => {
  return async () => {
    const decoded = decodeStream(stream);
    if (E.isLeft(decoded)) return decoded;
    const key = snapshotKey(p, decoded.right);
    const row = await store.states.load(key)();
    if (E.isLeft(row)) return row;
    let state = p.initial;
    let version: number | null = null;
    let revision: number | null = null;
    let purgedAt: string | null = null;
    if (row.right !== null) {
      const restored = decodeState(p, p.version, row.right.state);
      if (E.isLeft(restored)) return restored;
      state = restored.right;
      version = row.right.position;
      revision = row.right.revision;
      purgedAt = row.right.purgedAt;
    }
    const snapshotVersion = version;
    const pageSize = options.pageSize ?? 1000;
    let eventsRead = 0;
    let gap = false;
    for (;;) {
      const page = await store.readStream(decoded.right, {
        fromVersion: version === null ? 0 : version + 1,
        limit: pageSize,
      })();
      if (E.isLeft(page)) return page;
      const events = page.right;
      if (events.length > 0 && events[0]!.version !== (version === null ? 0 : version + 1)) gap = true;
      const next = applyEvents(p, state, events);
      if (E.isLeft(next)) return next;
      state = next.right;
      eventsRead += events.length;
      if (events.length > 0) version = events[events.length - 1]!.version;
      if (events.length < pageSize) break;
    }
    const policy = options.policy ?? neverSnapshot;
    let snapshotTaken = false;
    if (
      version !== null &&
      eventsRead > 0 &&
      policy.shouldSnapshot({ eventsSinceSnapshot: eventsRead, streamVersion: version })
    ) {
      const saved = await store.states.save(
        key,
        {
          state: encodeState(p, state),
          position: version,
          purgedAt: gap ? (purgedAt ?? new Date().toISOString()) : purgedAt,
        },
        revision,
      )();
      if (E.isLeft(saved)) return saved;
      snapshotTaken = saved.right !== null;
    }
    return E.right({ state, streamVersion: version, snapshotVersion, eventsRead, snapshotTaken, purgedAt, gap });
  };
};

const snapshotKey = (p: { readonly name: string; readonly version: number }, stream: StreamId): StateKey => ({
  kind: 'snapshot',
  name: p.name,
  version: p.version,
  key: stream,
});
