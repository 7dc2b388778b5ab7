import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { TenantEventStore } from '../event-store.js';
import type { Projection } from './projection.js';
import { projectionsFor, type ProjectionError } from './tenant-projections.js';

// Any state type: the erasure never looks inside the state.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProjection = Projection<any>;

export interface DerivedStateErasure {
  /** Projections whose state may hold copies of personal data: dropped and caught up again from the events. */
  readonly projections?: readonly AnyProjection[];
  /** Single-stream projections used with `loadAggregate`: their snapshots are dropped, rebuilt on the next load. */
  readonly snapshots?: readonly AnyProjection[];
}

export interface DerivedStateErasureResult {
  /** Projection state rows dropped or recomputed, by projection name. */
  readonly projections: Readonly<Record<string, number>>;
  /** Snapshot rows dropped, by projection name. */
  readonly snapshots: Readonly<Record<string, number>>;
}

/**
 * After a data subject is forgotten, the events read their personal fields as
 * `{ "$erased": true }`, but state derived earlier may still hold plain copies.
 * This recomputes the tenant's state of the given projections (their active
 * version) from the events, which now read erased, writing over the old rows,
 * and drops their snapshots. Snapshots are rebuilt by the next `loadAggregate`.
 * Only this tenant's state is touched: the scope allows nothing else.
 */
export const eraseDerivedState =
  (scope: TenantEventStore, erase: DerivedStateErasure): TE.TaskEither<ProjectionError, DerivedStateErasureResult> =>
  async () => {
    const projections: Record<string, number> = {};
    const snapshots: Record<string, number> = {};
    const views = projectionsFor(scope);
    for (const p of erase.projections ?? []) {
      const active = await scope.states.activeVersion(p.name)();
      if (E.isLeft(active)) return active;
      // The version readers read; a projection never activated has nothing derived yet.
      if (active.right === null) {
        projections[p.name] = 0;
        continue;
      }
      if (active.right === p.version) {
        // Written over, not deleted: a delete would let the row start again at its first revision, and a runner
        // still holding the old state at that revision could then save it back, plain copies and all.
        const recomputed = await views.recomputeInPlace(p)();
        if (E.isLeft(recomputed)) return recomputed;
        projections[p.name] = 1;
        continue;
      }
      const dropped = await scope.states.delete('projection', p.name, active.right)();
      if (E.isLeft(dropped)) return dropped;
      projections[p.name] = dropped.right;
    }
    for (const p of erase.snapshots ?? []) {
      // Earlier versions' snapshots too: one still holds what it copied then.
      const dropped = await scope.states.deleteThrough('snapshot', p.name, p.version)();
      if (E.isLeft(dropped)) return dropped;
      snapshots[p.name] = dropped.right;
    }
    return E.right({ projections, snapshots });
  };
