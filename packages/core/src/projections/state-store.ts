import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt } from '../codecs.js';
import { decodeWith } from '../decode.js';
import { closed, invalidAt, storageUnavailable, type ReadError, type StorageUnavailable } from '../errors.js';
import { ReadableStreamId } from '../ids.js';
import type { StateKey, StateKind, StateWrite, StoredState, TenantStateStorage, TenantStorage } from '../ports.js';

const STATE_METHODS = [
  'loadState',
  'saveState',
  'deleteStates',
  'deleteStatesThrough',
  'loadActiveVersion',
  'switchActiveVersion',
  'purgeExpired',
  'summarizeExpired',
] as const;

/** The scope's state store and retention methods, or a typed refusal naming the adapter that lacks them. */
export const stateStorageOf = (
  scope: TenantStorage,
  adapter: string,
): E.Either<StorageUnavailable, TenantStateStorage> =>
  STATE_METHODS.every((m) => typeof scope[m] === 'function')
    ? E.right(scope as TenantStorage & TenantStateStorage)
    : E.left(
        storageUnavailable(
          adapter,
          'this adapter does not implement the state store (projections, snapshots, retention purges)',
          false,
        ),
      );

export interface ProjectionNameBrand {
  readonly ProjectionName: unique symbol;
}
/** Letters, digits and `. _ : -`, 1 to 128 characters, starting with a letter or digit. */
export const ProjectionName = t.brand(
  t.string,
  (s): s is t.Branded<string, ProjectionNameBrand> => s.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(s),
  'ProjectionName',
);
export type ProjectionName = t.TypeOf<typeof ProjectionName>;

const Key = t.type({
  kind: t.union([t.literal('projection'), t.literal('snapshot')]),
  name: ProjectionName,
  version: PositiveInt,
  key: t.string,
});
const Write = t.type({
  position: NonNegativeInt,
  purgedAt: t.union([t.string, t.null]),
});
const decodeKey = decodeWith(Key, 'key');
const decodeWrite = decodeWith(Write, 'write');
const decodeName = decodeWith(ProjectionName, 'name');
const decodeVersion = decodeWith(PositiveInt, 'version');
const decodeRevision = decodeWith(t.union([PositiveInt, t.null]), 'expectedRevision');

/** A snapshot's key is its stream; a projection's is `''`. */
const checkKey = (key: StateKey): E.Either<ReturnType<typeof invalidAt>, StateKey> =>
  key.kind === 'projection'
    ? key.key === ''
      ? E.right(key)
      : E.left(invalidAt('key.key', "must be '' for a projection"))
    : ReadableStreamId.is(key.key)
      ? E.right(key)
      : E.left(invalidAt('key.key', 'must be a stream id for a snapshot'));

/**
 * One tenant's projection state and snapshots. Reached only through
 * `TenantEventStore.states`, so every row read or written is the bound tenant's.
 * Inputs are decoded here; the adapter gets only valid keys.
 */
export class TenantStateStore {
  constructor(
    private readonly storage: TenantStorage,
    private readonly adapter: string,
    private readonly isClosing: () => boolean,
  ) {}

  load(key: StateKey): TE.TaskEither<ReadError, StoredState | null> {
    return pipe(
      this.valid(key),
      TE.chainW((k) => TE.chainW((st: TenantStateStorage) => st.loadState(k))(this.required())),
    );
  }

  /** Writes when the stored revision is `expectedRevision` (null: absent); the new revision, or null on a conflict. */
  save(key: StateKey, write: StateWrite, expectedRevision: number | null): TE.TaskEither<ReadError, number | null> {
    return pipe(
      this.valid(key),
      TE.chainFirstEitherKW(() => decodeWrite(write)),
      TE.chainFirstEitherKW(() => decodeRevision(expectedRevision)),
      TE.chainW((k) =>
        TE.chainW((st: TenantStateStorage) => st.saveState(k, write, expectedRevision))(this.required()),
      ),
    );
  }

  delete(kind: StateKind, name: string, version: number): TE.TaskEither<ReadError, number> {
    return pipe(
      this.guard(),
      TE.chainEitherKW(() => decodeKey({ kind, name, version, key: '' })),
      TE.chainW(() => TE.chainW((st: TenantStateStorage) => st.deleteStates(kind, name, version))(this.required())),
    );
  }

  /** Deletes the rows of (kind, name) at `throughVersion` and every lower version. */
  deleteThrough(kind: StateKind, name: string, throughVersion: number): TE.TaskEither<ReadError, number> {
    return pipe(
      this.guard(),
      TE.chainEitherKW(() => decodeKey({ kind, name, version: throughVersion, key: '' })),
      TE.chainW(() =>
        TE.chainW((st: TenantStateStorage) => st.deleteStatesThrough(kind, name, throughVersion))(this.required()),
      ),
    );
  }

  activeVersion(name: string): TE.TaskEither<ReadError, number | null> {
    return pipe(
      this.guard(),
      TE.chainEitherKW(() => decodeName(name)),
      TE.chainW((n) => TE.chainW((st: TenantStateStorage) => st.loadActiveVersion(n))(this.required())),
    );
  }

  /** Switches readers from `from` (null: none) to `to` atomically; false when another switch came first. */
  switchActiveVersion(name: string, from: number | null, to: number): TE.TaskEither<ReadError, boolean> {
    return pipe(
      this.guard(),
      TE.chainEitherKW(() => decodeName(name)),
      TE.chainFirstEitherKW(() => decodeVersion(to)),
      TE.chainFirstEitherKW(() => (from === null ? E.right(null) : decodeVersion(from))),
      TE.chainW((n) => TE.chainW((st: TenantStateStorage) => st.switchActiveVersion(n, from, to))(this.required())),
    );
  }

  private valid(key: StateKey): TE.TaskEither<ReadError, StateKey> {
    return pipe(
      this.guard(),
      TE.chainEitherKW(() => decodeKey(key)),
      TE.chainEitherKW(checkKey),
    );
  }

  private required(): TE.TaskEither<ReadError, TenantStateStorage> {
    return TE.fromEither(stateStorageOf(this.storage, this.adapter));
  }

  private guard(): TE.TaskEither<ReadError, void> {
    return this.isClosing() ? TE.left(closed('event store')) : TE.right(undefined);
  }
}
