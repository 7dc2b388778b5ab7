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

/*
 * The storage port. An adapter never sees a request that is not already bound
 * to one tenant: `forTenant` is the only way in, and every adapter keys its
 * storage by tenant (composite keys), so a guessed stream id in one tenant can
 * never reach another tenant's rows.
 */

export type StorageError = StorageUnavailable | Closed;
export type StorageAppendError = StorageError | WrongExpectedVersion | DuplicateEventId;

export interface TenantStorage {
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
