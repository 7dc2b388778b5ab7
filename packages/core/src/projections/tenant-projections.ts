import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { projectionFailed, type ProjectionFailed, type ReadError } from '../errors.js';
import type { TenantEventStore } from '../event-store.js';
import type { StateKey, StoredState } from '../ports.js';
import type * as Ei from 'fp-ts/lib/Either.js';
import type { InvalidInput } from '../errors.js';
import { startAsyncProjection, type AsyncProjection, type AsyncProjectionOptions } from './async.js';
import { InlineProjections } from './inline.js';
import { applyEvents, decodeState, encodeState, type Projection } from './projection.js';

export type ProjectionError = ReadError | ProjectionFailed;

/** What a reader gets: the state of the active version and what it reflects. */
export interface ProjectionView<S> {
  readonly state: S;
  /** The projection version read: the active one. */
  readonly version: number;
  /** The tenant-log position the state reflects. */
  readonly position: number;
  /** When events this state reflects (or skipped) were purged; null when none were. */
  readonly purgedAt: string | null;
}

export interface CatchUpResult {
  /** `skipped`: another version is active, so this one is left to `rebuild` or its async runner. */
  readonly outcome: 'updated' | 'current' | 'skipped';
  readonly position: number;
  readonly applied: number;
}

export interface RebuildResult {
  readonly previousVersion: number | null;
  readonly version: number;
  readonly position: number;
  readonly events: number;
}

/** A state being worked on, with the revision it was loaded at (null: not stored yet). */
export interface Working<S> {
  readonly state: S;
  readonly position: number;
  readonly revision: number | null;
  /** The position of the stored row at `revision`: what a purge mark leaves unchanged. */
  readonly storedPosition: number | null;
  readonly purgedAt: string | null;
}

const MAX_ATTEMPTS = 20;
const DEFAULT_PAGE = 1000;

/** Anything with a projection's name and version. */
interface Named {
  readonly name: string;
  readonly version: number;
}

export const projectionKey = (p: Named): StateKey => ({
  kind: 'projection',
  name: p.name,
  version: p.version,
  key: '',
});

/**
 * Projections of one tenant. Reached only through `projectionsFor(tenantScope)`:
 * without a tenant's scope there is no way to read or write projection state.
 */
export class TenantProjections {
  constructor(readonly store: TenantEventStore) {}

  /**
   * Reads the active version of the projection, decoded with this definition's
   * codec. Until a rebuild switches versions, that is the old version: deploy
   * readers whose codec accepts both shapes while a changed shape is rebuilt.
   */
  read<S>(p: Projection<S>): TE.TaskEither<ProjectionError, ProjectionView<S> | null> {
    return async () => {
      const active = await this.store.states.activeVersion(p.name)();
      if (E.isLeft(active) || active.right === null) return active as E.Either<ProjectionError, null>;
      const version = active.right;
      const row = await this.store.states.load({ ...projectionKey(p), version })();
      if (E.isLeft(row) || row.right === null) return row as E.Either<ProjectionError, null>;
      const stored = row.right;
      return E.map((state: S) => ({ state, version, position: stored.position, purgedAt: stored.purgedAt }))(
        decodeState(p, version, stored.state),
      );
    };
  }

  /**
   * Applies every event after the stored position to this version's state and
   * saves state and position together (compare-and-set on the row's revision;
   * a lost race reloads and tries again). Does nothing when another version is
   * active. A projection that has no active version yet becomes active.
   */
  catchUp<S>(
    p: Projection<S>,
    options: { readonly pageSize?: number } = {},
  ): TE.TaskEither<ProjectionError, CatchUpResult> {
    return async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const active = await this.store.states.activeVersion(p.name)();
        if (E.isLeft(active)) return active;
        if (active.right !== null && active.right !== p.version) {
          return E.right({ outcome: 'skipped', position: 0, applied: 0 });
        }
        const loaded = await this.loadWorking(p)();
        if (E.isLeft(loaded)) return loaded;
        const advanced = await this.advance(p, loaded.right, options.pageSize ?? DEFAULT_PAGE);
        if (E.isLeft(advanced)) return advanced;
        const { working, applied } = advanced.right;
        if (applied === 0 && working.revision !== null) {
          return E.right({ outcome: 'current', position: working.position, applied });
        }
        const saved = await this.save(p, working)();
        if (E.isLeft(saved)) return saved;
        if (saved.right === null) continue;
        if (active.right === null) {
          const switched = await this.store.states.switchActiveVersion(p.name, null, p.version)();
          if (E.isLeft(switched)) return switched;
        }
        return E.right({ outcome: applied === 0 ? 'current' : 'updated', position: working.position, applied });
      }
      return E.left(conflict(p, 'state kept changing under the catch-up'));
    };
  }

  /**
   * Recomputes this version's stored state from the start of the log, writing
   * over its row with a compare-and-set, so the revision moves on: a runner
   * still holding the old state loses its next save (and reloads) instead of
   * writing the old state back. Used after an erasure. A version with no row
   * yet is simply caught up.
   */
  recomputeInPlace<S>(
    p: Projection<S>,
    options: { readonly pageSize?: number } = {},
  ): TE.TaskEither<ProjectionError, CatchUpResult> {
    return async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const loaded = await this.loadWorking(p)();
        if (E.isLeft(loaded)) return loaded;
        if (loaded.right.revision === null) return this.catchUp(p, options)();
        const fromStart: Working<S> = { ...loaded.right, state: p.initial, position: 0, purgedAt: null };
        const advanced = await this.advance(p, fromStart, options.pageSize ?? DEFAULT_PAGE);
        if (E.isLeft(advanced)) return advanced;
        const saved = await this.save(p, advanced.right.working)();
        if (E.isLeft(saved)) return saved;
        if (saved.right === null) continue;
        return E.right({ outcome: 'updated', position: saved.right.position, applied: advanced.right.applied });
      }
      return E.left(conflict(p, 'state kept changing under the recomputation'));
    };
  }

  /**
   * Builds this version from the start of the log beside the active one, then
   * makes it active in one atomic switch. Readers read the old version until
   * the switch. Refuses to rebuild the active version in place.
   */
  rebuild<S>(
    p: Projection<S>,
    options: { readonly pageSize?: number; readonly onPage?: (position: number) => void | Promise<void> } = {},
  ): TE.TaskEither<ProjectionError, RebuildResult> {
    return async () => {
      const pageSize = options.pageSize ?? DEFAULT_PAGE;
      const active = await this.store.states.activeVersion(p.name)();
      if (E.isLeft(active)) return active;
      if (active.right === p.version) {
        return E.left(
          projectionFailed(p.name, p.version, 'version_active', 'readers use this version; rebuild with a new version'),
        );
      }
      const cleared = await this.store.states.delete('projection', p.name, p.version)();
      if (E.isLeft(cleared)) return cleared;
      const initial: Working<S> = {
        state: p.initial,
        position: 0,
        revision: null,
        storedPosition: null,
        purgedAt: null,
      };
      // Every page is saved as it is applied: a long rebuild keeps its progress, and onPage reports what is stored.
      const built = await this.advance(p, initial, pageSize, async (working) => {
        const saved = await this.saveAdopting(p, working);
        if (E.isRight(saved)) await options.onPage?.(saved.right.position);
        return saved;
      });
      if (E.isLeft(built)) return built;
      const { working, applied: events } = built.right;
      const switched = await this.store.states.switchActiveVersion(p.name, active.right, p.version)();
      if (E.isLeft(switched)) return switched;
      if (!switched.right) return E.left(conflict(p, 'another version was activated during the rebuild'));
      // Events appended between the last page and the switch.
      const tail = await this.catchUp(p, { pageSize })();
      if (E.isLeft(tail)) return tail;
      return E.right({
        previousVersion: active.right,
        version: p.version,
        position: Math.max(working.position, tail.right.position),
        events: events + tail.right.applied,
      });
    };
  }

  /** A view of the tenant's scope whose appends update these projections right after committing. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inline(projections: readonly Projection<any>[]): InlineProjections {
    return new InlineProjections(this, projections);
  }

  /** Starts an asynchronous runner of the projection (see `startAsyncProjection`). */
  startAsync<S>(p: Projection<S>, options: AsyncProjectionOptions = {}): Ei.Either<InvalidInput, AsyncProjection> {
    return startAsyncProjection(this, p, options);
  }

  /** Deletes a version's state (after a rebuild, to reclaim space). Refuses the active version. */
  dropVersion<S>(p: Projection<S>, version: number): TE.TaskEither<ProjectionError, number> {
    return async () => {
      const active = await this.store.states.activeVersion(p.name)();
      if (E.isLeft(active)) return active;
      if (active.right === version) {
        return E.left(projectionFailed(p.name, version, 'version_active', 'readers use this version'));
      }
      return this.store.states.delete('projection', p.name, version)();
    };
  }

  /** This version's stored state, or the initial state at position 0. */
  loadWorking<S>(p: Projection<S>): TE.TaskEither<ProjectionError, Working<S>> {
    return async () => {
      const row = await this.store.states.load(projectionKey(p))();
      if (E.isLeft(row)) return row;
      if (row.right === null)
        return E.right({ state: p.initial, position: 0, revision: null, storedPosition: null, purgedAt: null });
      const stored: StoredState = row.right;
      return E.map((state: S) => ({
        state,
        position: stored.position,
        revision: stored.revision,
        storedPosition: stored.position,
        purgedAt: stored.purgedAt,
      }))(decodeState(p, p.version, stored.state));
    };
  }

  /** Saves under compare-and-set; Right(null) when the row changed since it was loaded. */
  save<S>(p: Projection<S>, working: Working<S>): TE.TaskEither<ProjectionError, Working<S> | null> {
    return TE.map((revision: number | null) =>
      revision === null ? null : { ...working, revision, storedPosition: working.position },
    )(
      this.store.states.save(
        projectionKey(p),
        { state: encodeState(p, working.state), position: working.position, purgedAt: working.purgedAt },
        working.revision,
      ),
    );
  }

  /**
   * Saves; when the write loses only to a purge mark (the row is where we left
   * it, with `purgedAt` set), takes the mark and saves again. Any other change
   * means a second writer: a conflict.
   */
  async saveAdopting<S>(p: Projection<S>, working: Working<S>): Promise<E.Either<ProjectionError, Working<S>>> {
    let current = working;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const saved = await this.save(p, current)();
      if (E.isLeft(saved)) return saved;
      if (saved.right !== null) return E.right(saved.right);
      const row = await this.store.states.load(projectionKey(p))();
      if (E.isLeft(row)) return row;
      const stored = row.right;
      // A purge mark alone moves the revision on by one and leaves the position; anything more (an erasure that
      // recomputed the row, another runner) is a second writer, whose state must not be overwritten.
      if (
        stored === null ||
        stored.purgedAt === null ||
        stored.position !== current.storedPosition ||
        current.revision === null ||
        stored.revision !== current.revision + 1
      ) {
        return E.left(conflict(p, 'another writer changed the state'));
      }
      current = { ...current, revision: stored.revision, purgedAt: current.purgedAt ?? stored.purgedAt };
    }
    return E.left(conflict(p, 'state kept changing'));
  }

  /** Applies the log from `start` to its end, page by page; `afterPage`, when given, runs after each (a rebuild saves there). */
  private async advance<S>(
    p: Projection<S>,
    start: Working<S>,
    pageSize: number,
    afterPage?: (working: Working<S>) => Promise<E.Either<ProjectionError, Working<S>>>,
  ): Promise<E.Either<ProjectionError, { readonly working: Working<S>; readonly applied: number }>> {
    let working = start;
    let applied = 0;
    for (;;) {
      const page = await this.store.readLog({ after: working.position, limit: pageSize })();
      if (E.isLeft(page)) return page;
      const next = applyEvents(p, working.state, page.right.events);
      if (E.isLeft(next)) return next;
      working = { ...working, state: next.right, position: page.right.next };
      applied += page.right.events.length;
      if (afterPage !== undefined) {
        const after = await afterPage(working);
        if (E.isLeft(after)) return after;
        working = after.right;
      }
      if (!page.right.more) return E.right({ working, applied });
    }
  }
}

const conflict = (p: Named, what: string): ProjectionFailed => projectionFailed(p.name, p.version, 'conflict', what);

/** The projections of the tenant this scope is bound to. */
export const projectionsFor = (store: TenantEventStore): TenantProjections => new TenantProjections(store);
