import type * as TE from 'fp-ts/lib/TaskEither.js';
import type * as t from 'io-ts';
import type {
  AppendResult,
  ExpectedVersion,
  NewEvent,
  NewEventInput,
  PreparedEvent,
  RecordedEvent,
  StreamInfo,
} from './event.js';
import type { JsonValue } from './json.js';
import type {
  AppendError,
  Closed,
  DuplicateEventId,
  PalisadeError,
  StorageUnavailable,
  WrongExpectedVersion,
} from './errors.js';
import type { StreamId, SubscriberId, TenantId } from './ids.js';
import type { TenantEventStore } from './event-store.js';
import type { KeyStore } from './key-store.js';

/*
 * The storage port. An adapter never sees a request that is not already bound
 * to one tenant: `forTenant` is the only way in, and every adapter keys its
 * storage by tenant (composite keys), so a guessed stream id in one tenant can
 * never reach another tenant's rows.
 */

export type StorageError = StorageUnavailable | Closed;
export type StorageAppendError = StorageError | WrongExpectedVersion | DuplicateEventId;

export interface TenantStorage extends Partial<TenantStateStorage> {
  readonly tenant: TenantId;
  /**
   * Writes all events or none. Must check `expected` and event-id retries with
   * `decideAppend` (from `@palisade/core`) inside the same transaction as the write.
   */
  append(
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
  ): TE.TaskEither<StorageAppendError, AppendResult>;
  /** Up to `limit` events in version order (forwards from `fromVersion`, or backwards from it). */
  readStream(
    stream: StreamId,
    options: {
      readonly direction: 'forwards' | 'backwards';
      readonly fromVersion: number | null;
      readonly limit: number;
    },
  ): TE.TaskEither<StorageError, readonly RecordedEvent[]>;
  /** Up to `limit` events with position > `after`, in position order. */
  readLog(options: {
    readonly after: number;
    readonly limit: number;
  }): TE.TaskEither<StorageError, readonly RecordedEvent[]>;
  /** The stream's version, or null when it does not exist. */
  streamVersion(stream: StreamId): TE.TaskEither<StorageError, number | null>;
  /** Streams in id order (by code unit), id > `after`, starting with `prefix`. */
  listStreams(options: {
    readonly prefix: string;
    readonly after: string | null;
    readonly limit: number;
  }): TE.TaskEither<StorageError, readonly StreamInfo[]>;
  loadCheckpoint(subscriber: SubscriberId): TE.TaskEither<StorageError, number | null>;
  saveCheckpoint(subscriber: SubscriberId, position: number): TE.TaskEither<StorageError, void>;
}

/**
 * The state store and retention methods of a tenant's storage. Every adapter
 * must implement them, and the conformance suite checks them. They are optional
 * on `TenantStorage` only so that an adapter written before them still
 * compiles: on such an adapter, projections, snapshots and purges fail with
 * `StorageUnavailable` ("does not support ..."), and the conformance suite says so.
 */
export interface TenantStateStorage {
  /*
   * The state store: projection state and snapshots, with the position each one
   * reflects (its checkpoint) in the same row, so state and checkpoint always
   * move together. Rows are keyed by (tenant, kind, name, version, key).
   */

  /** The row under `key`, or null. */
  loadState(key: StateKey): TE.TaskEither<StorageError, StoredState | null>;
  /**
   * Writes the row if its stored revision equals `expectedRevision` (null: the
   * row must not exist), and returns the new revision (`expectedRevision + 1`,
   * or 1 for a new row); returns null, writing nothing, when the revision differs.
   */
  saveState(
    key: StateKey,
    write: StateWrite,
    expectedRevision: number | null,
  ): TE.TaskEither<StorageError, number | null>;
  /** Deletes every row of one (kind, name, version), any key; returns how many went. */
  deleteStates(kind: StateKind, name: string, version: number): TE.TaskEither<StorageError, number>;
  /** Deletes every row of (kind, name) at `throughVersion` or any lower version, any key; returns how many went. */
  deleteStatesThrough(kind: StateKind, name: string, throughVersion: number): TE.TaskEither<StorageError, number>;
  /** The version of projection `name` that readers read, or null when none was activated. */
  loadActiveVersion(name: string): TE.TaskEither<StorageError, number | null>;
  /**
   * Makes `to` the active version if the active version is still `from` (null:
   * none yet), atomically; returns false, changing nothing, when it is not.
   */
  switchActiveVersion(name: string, from: number | null, to: number): TE.TaskEither<StorageError, boolean>;

  /**
   * Retention. Deletes, in one transaction, up to `limit` of this tenant's events
   * recorded before `before` (oldest first), except those in the `keep` streams,
   * and in the same transaction marks what now reflects deleted events: every
   * `projection` row of the tenant and the `snapshot` rows keyed by a stream that
   * lost events, when not marked yet, get `purgedAt` and a new revision. Streams
   * keep their version. Must be safe to run from several processes at once: two
   * concurrent calls never both count one event. An adapter may delete by
   * partition or let the backend expire rows (a TTL index) as long as what it
   * reports is what went.
   */
  purgeExpired(options: PurgeOptions): TE.TaskEither<StorageError, PurgeBatch>;
  /** What `purgeExpired` would delete, without deleting: totals, and the first `limit` streams by id. */
  summarizeExpired(options: {
    readonly before: string;
    readonly keep: readonly StreamId[];
    readonly limit: number;
  }): TE.TaskEither<StorageError, ExpirySummary>;
}

/** `projection`: a projection's state (key `''`); `snapshot`: one stream's state (key: the stream id). */
export type StateKind = 'projection' | 'snapshot';

export interface StateKey {
  readonly kind: StateKind;
  /** The projection's name, 1 to 128 characters. */
  readonly name: string;
  /** The projection's version: rows of two versions never mix. */
  readonly version: number;
  /** `''` for a projection, the stream id for a snapshot. */
  readonly key: string;
}

export interface StateWrite {
  readonly state: JsonValue;
  /** What the state reflects: a tenant-log position (projection) or a stream version (snapshot). */
  readonly position: number;
  /** ISO-8601 time at which events this state reflects were purged, or null. */
  readonly purgedAt: string | null;
}

export interface StoredState extends StateWrite {
  /** Bumped by every write and every purge mark; the optimistic-concurrency token. */
  readonly revision: number;
  readonly updatedAt: string;
}

export interface PurgeOptions {
  /** ISO-8601 UTC: events recorded strictly before this go. */
  readonly before: string;
  readonly limit: number;
  /** Streams never purged by this call (the `$purges` record itself). */
  readonly keep: readonly StreamId[];
  /** The time written to `purgedAt` of marked rows. */
  readonly purgedAt: string;
}

export interface PurgedStream {
  readonly stream: StreamId;
  readonly events: number;
  /** The highest version deleted from the stream in this call. */
  readonly throughVersion: number;
}

export interface PurgeBatch {
  readonly deleted: number;
  /** Per stream, in stream id order. */
  readonly streams: readonly PurgedStream[];
  /** State rows newly marked (projections and snapshots). */
  readonly marked: number;
}

export interface ExpirySummary {
  readonly events: number;
  readonly streamCount: number;
  readonly streams: readonly PurgedStream[];
}

export interface StorageAdapter {
  /** A short name used in errors and logs: `sqlite`, `postgres`, `memory`. */
  readonly name: string;
  forTenant(tenant: TenantId): TenantStorage;
  /**
   * Calls `listener` soon after events are appended to `tenant` (by this process
   * at least; by others where the backend can tell). Live subscriptions poll as
   * well, so a missed wake-up costs latency, never events. Returns an unsubscribe.
   */
  onAppend(tenant: TenantId, listener: () => void): () => void;
  close(): Promise<void>;
}

/** How the runtime builds an adapter from config: `storage: { kind: <kind>, ...options }`. */
export interface StoragePlugin<Options = unknown> {
  readonly kind: string;
  readonly options: t.Type<Options, unknown, unknown>;
  create(options: Options, context: StorageContext): TE.TaskEither<PalisadeError, StorageAdapter>;
  /**
   * A key store in the same database, from the same options: what the CLI uses
   * for `encryption` when `encryption.key_store` is absent or names this kind.
   * Optional: without it, such a config is refused and must name another key store.
   */
  createKeyStore?(options: Options, context: StorageContext): TE.TaskEither<PalisadeError, KeyStore>;
}

/** A plugin of any options type, as the runtime holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStoragePlugin = StoragePlugin<any>;

export interface StorageContext {
  /** Directory relative paths in config are resolved against. */
  readonly baseDir: string;
}

/** Where the append is going; given to every stage of the append pipeline. */
export interface AppendContext {
  readonly tenant: TenantId;
  readonly stream: StreamId;
  /**
   * The append's events as the caller gave them (decoded, ids assigned), before any stage rewrote them: a later
   * stage that needs an original value (encryption's subject id, which redaction may have masked) reads it here,
   * at the same index. Never stored.
   */
  readonly received?: readonly NewEvent[];
}

/**
 * A stage that every append passes through before storage: redaction lives here.
 * It may rewrite events or refuse the whole append; it must fail closed.
 */
export interface AppendPipeline {
  process(context: AppendContext, events: readonly NewEvent[]): TE.TaskEither<AppendError, readonly NewEvent[]>;
  close?(): Promise<void>;
}

/** The pipeline that changes nothing. */
export const passThroughPipeline: AppendPipeline = {
  process: (_context, events) => () => Promise.resolve({ _tag: 'Right', right: events }),
};

/** What became of one append, as an `AppendObserver` sees it. */
export type AppendOutcome =
  | {
      readonly _tag: 'Appended';
      readonly tenant: TenantId;
      readonly stream: StreamId;
      /**
       * The events as they left the pipeline (redacted, encrypted), ids assigned:
       * what was stored. On an idempotent replay, what this attempt would have stored.
       */
      readonly events: readonly PreparedEvent[];
      readonly result: AppendResult;
    }
  | {
      readonly _tag: 'Refused';
      readonly tenant: TenantId;
      /** Null when the stream id itself was invalid. */
      readonly stream: StreamId | null;
      /** What the caller passed, undecoded and unredacted: read ids and metadata from it, never copy content. */
      readonly inputs: readonly NewEventInput[];
      readonly error: AppendError;
    };

/**
 * Sees the outcome of every append, including appends to system streams: an
 * observer that appends itself (the audit log) must ignore its own stream, or
 * it would observe its own writes forever. Awaited before the append resolves;
 * a throw or rejection is reported to `onObserverError` and never changes the result.
 */
export interface AppendObserver {
  observe(outcome: AppendOutcome, scope: TenantEventStore): Promise<void>;
}

/**
 * Rewrites events on their way out of storage (decryption, erased markers).
 * Must keep ids, order and count; may fail the read with a storage error.
 */
export interface ReadTransform {
  read(tenant: TenantId, events: readonly RecordedEvent[]): TE.TaskEither<StorageError, readonly RecordedEvent[]>;
}

/** Runs pipelines in order (redaction, then encryption): each gets what the one before produced. */
export const composePipelines = (...stages: readonly AppendPipeline[]): AppendPipeline => ({
  process: (context, events) => async () => {
    let current: readonly NewEvent[] = events;
    for (const stage of stages) {
      const result = await stage.process(context, current)();
      if (result._tag === 'Left') return result;
      current = result.right;
    }
    return { _tag: 'Right', right: current };
  },
  close: async () => {
    for (const stage of stages) await stage.close?.();
  },
});
