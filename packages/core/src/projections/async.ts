import * as E from 'fp-ts/lib/Either.js';
import {
  invalidAt,
  type InvalidInput,
  type StorageUnavailable,
  type SubscriptionFailed,
  type Closed,
} from '../errors.js';
import type { RecordedEvent } from '../event.js';
import { applyEvents, type Projection } from './projection.js';
import type { ProjectionError, TenantProjections, Working } from './tenant-projections.js';

export interface AsyncProjectionOptions {
  /** Events read per page by the subscription. Default 500. */
  readonly batchSize?: number;
  /** Save state and checkpoint after this many events. Default 100. */
  readonly saveEvery?: number;
  /** Save this long after the last unsaved event when no more arrive. Default 50 ms. */
  readonly saveAfterMs?: number;
}

export type AsyncProjectionEnd = E.Either<
  ProjectionError | SubscriptionFailed | StorageUnavailable | Closed,
  'stopped' | 'superseded'
>;

export interface AsyncProjection {
  /** Settles when the runner ends: `stopped` after `stop()`, `superseded` when a newer version became active. */
  readonly done: Promise<AsyncProjectionEnd>;
  /** The log position the saved state reflects. */
  readonly position: () => number;
  stop(): Promise<void>;
}

/** Thrown inside the subscription's handler to end it; never escapes this module. */
class Restart extends Error {}

/**
 * Runs a projection from a catch-up subscription: events after the saved
 * position are applied and saved with that position (one row: state and
 * checkpoint move together), so a restart resumes exactly there. Another
 * runner of the same projection in another process is safe: saves are
 * compare-and-set, and the loser reloads and resumes from the winner's position.
 *
 * A version that is not active yet builds beside the active one and switches
 * readers to itself once it has caught up with the log: deploying a bumped
 * version of an async projection is a rebuild without downtime.
 */
export const startAsyncProjection = <S>(
  projections: TenantProjections,
  p: Projection<S>,
  options: AsyncProjectionOptions = {},
): E.Either<InvalidInput, AsyncProjection> => {
  const saveEvery = options.saveEvery ?? 100;
  const saveAfterMs = options.saveAfterMs ?? 50;
  if (!Number.isSafeInteger(saveEvery) || saveEvery < 1) {
    return E.left(invalidAt('options.saveEvery', 'must be a positive integer'));
  }
  if (!Number.isSafeInteger(saveAfterMs) || saveAfterMs < 0) {
    return E.left(invalidAt('options.saveAfterMs', 'must be a non-negative integer'));
  }
  const store = projections.store;
  let stopped = false;
  let savedPosition = 0;
  let stopCurrent: (() => Promise<void>) | undefined;

  const runOnce = async (): Promise<
    E.Either<ProjectionError | SubscriptionFailed | StorageUnavailable | Closed, 'again' | 'stopped' | 'superseded'>
  > => {
    const active = await store.states.activeVersion(p.name)();
    if (E.isLeft(active)) return active;
    if (active.right !== null && active.right > p.version) return E.right('superseded');
    const loaded = await projections.loadWorking(p)();
    if (E.isLeft(loaded)) return loaded;
    let working: Working<S> = loaded.right;
    savedPosition = working.position;
    let unsaved = 0;
    let failure: ProjectionError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let saving: Promise<void> = Promise.resolve();
    let activeVersion = active.right;
    let superseded = false;

    // Saves are chained so that two never overlap; each saves the state as it was when it started.
    const save = (): Promise<void> => {
      saving = saving.then(async () => {
        if (unsaved === 0 || failure !== undefined) return;
        const snapshot = working;
        const pending = unsaved;
        const result = await projections.saveAdopting(p, snapshot);
        if (E.isLeft(result)) {
          failure = result.left;
          // End the subscription now (not awaited: its handler may be the caller), so that the runner reloads and
          // resumes at once instead of waiting for the next event to notice.
          void stopCurrent?.();
          return;
        }
        unsaved -= pending;
        working = {
          ...working,
          revision: result.right.revision,
          storedPosition: result.right.storedPosition,
          purgedAt: result.right.purgedAt,
        };
        savedPosition = result.right.position;
        if (activeVersion !== p.version) {
          const switched = await activate(activeVersion, result.right.position);
          if (E.isLeft(switched)) failure = switched.left;
          else if (switched.right) activeVersion = p.version;
        }
        // A newer version took over (a rebuild or a newer runner switched readers): this one is done.
        const current = await store.states.activeVersion(p.name)();
        if (E.isRight(current) && current.right !== null && current.right > p.version) {
          superseded = true;
          // Not awaited: the subscription may be waiting on the handler that called this save.
          void stopCurrent?.();
        }
      });
      return saving;
    };
    // Activates this version once nothing is left to read beyond `position`.
    const activate = async (from: number | null, position: number): Promise<E.Either<ProjectionError, boolean>> => {
      const ahead = await store.readLog({ after: position, limit: 1 })();
      if (E.isLeft(ahead)) return ahead;
      if (ahead.right.events.length > 0) return E.right(false);
      return store.states.switchActiveVersion(p.name, from, p.version)();
    };

    const handler = async (event: RecordedEvent): Promise<void> => {
      const next = applyEvents(p, working.state, [event]);
      if (E.isLeft(next)) {
        failure = next.left;
        throw new Restart();
      }
      working = { ...working, state: next.right, position: event.position };
      unsaved++;
      if (timer !== undefined) clearTimeout(timer);
      if (unsaved >= saveEvery) await save();
      else timer = setTimeout(() => void save(), saveAfterMs);
      if (failure !== undefined) throw new Restart();
    };

    const subscription = store.subscribe({
      from: working.position,
      handler,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    });
    if (E.isLeft(subscription)) return subscription;
    stopCurrent = () => subscription.right.stop();
    if (stopped) void subscription.right.stop();
    if (activeVersion !== p.version) {
      // Nothing to apply (an empty or fully read log) still activates a new version.
      unsaved = Math.max(unsaved, working.revision === null ? 1 : 0);
      if (unsaved > 0) await save();
      else if (activeVersion === null || activeVersion < p.version) {
        const switched = await activate(activeVersion, working.position);
        if (E.isRight(switched) && switched.right) activeVersion = p.version;
      }
    }
    const end = await subscription.right.done;
    if (timer !== undefined) clearTimeout(timer);
    if (failure === undefined) await save();
    stopCurrent = undefined;
    if (failure !== undefined) {
      // A lost race reloads and resumes; anything else ends the runner.
      return failure._tag === 'ProjectionFailed' && failure.reason === 'conflict' && !stopped
        ? E.right('again')
        : E.left(failure);
    }
    if (E.isLeft(end)) return end;
    return E.right(superseded ? 'superseded' : 'stopped');
  };

  const run = async (): Promise<AsyncProjectionEnd> => {
    for (;;) {
      const outcome = await runOnce();
      if (E.isLeft(outcome)) return outcome;
      if (outcome.right === 'again' && !stopped) continue;
      stopped = true;
      return E.right(outcome.right === 'superseded' ? 'superseded' : 'stopped');
    }
  };
  const done = run();
  return E.right({
    done,
    position: () => savedPosition,
    stop: async () => {
      stopped = true;
      await stopCurrent?.();
      await done;
    },
  });
};
