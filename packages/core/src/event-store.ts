import { createHash, randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { decodeWith } from './decode.js';
import {
  AppendOptions,
  DEFAULT_READ_LIMIT,
  ListStreamsOptions,
  MAX_READ_LIMIT,
  NewEvent,
  ReadLogOptions,
  ReadStreamOptions,
  type AppendResult,
  type LogPage,
  type NewEventInput,
  type PreparedEvent,
  type RecordedEvent,
  type StreamPage,
} from './event.js';
import {
  batchTooLarge,
  closed,
  eventTooLarge,
  invalidAt,
  type AppendError,
  type InvalidInput,
  type ReadError,
} from './errors.js';
import type { EventId } from './ids.js';
import { ReadableStreamId, StreamId, SystemStreamId, type TenantId } from './ids.js';
import type {
  AppendObserver,
  AppendPipeline,
  ExpirySummary,
  PurgeBatch,
  ReadTransform,
  StorageAdapter,
  TenantStorage,
} from './ports.js';
import { stateStorageOf, TenantStateStore } from './projections/state-store.js';
import { startSubscription, type Subscription, type SubscriptionOptions } from './subscription.js';

export interface EventStoreLimits {
  /** Largest event, in UTF-8 bytes of its JSON data plus metadata. Default 1 MiB. */
  readonly maxEventBytes: number;
  /** Most events in one append. Default 1,000. */
  readonly maxBatchEvents: number;
}

export const DEFAULT_LIMITS: EventStoreLimits = { maxEventBytes: 1024 * 1024, maxBatchEvents: 1000 };

export interface EventStoreOptions {
  readonly limits?: Partial<EventStoreLimits>;
  /** Runs before every append; redaction plugs in here. */
  readonly pipeline?: AppendPipeline;
  /** How often live subscriptions look for events another process wrote. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Told the outcome of every append once it is known (written, replayed or
   * refused), before the append resolves; the audit log plugs in here. Its
   * failures never change the append's result (the events are already stored):
   * they go to `onObserverError`.
   */
  readonly observer?: AppendObserver;
  /** Where an observer's failure is reported. Default: ignored. */
  readonly onObserverError?: (error: unknown) => void;
  /**
   * Applied to every event read (streams, the log, subscriptions) before the
   * caller sees it; decryption and crypto-shredding plug in here.
   */
  readonly reader?: ReadTransform;
}

const decodeStream = decodeWith(StreamId, 'stream');
const decodeReadableStream = decodeWith(ReadableStreamId, 'stream');
const decodeEvents = decodeWith(t.readonlyArray(NewEvent), 'events');
const decodeAppendOptions = decodeWith(AppendOptions, 'options');
const decodeReadStream = decodeWith(ReadStreamOptions, 'options');
const decodeReadLog = decodeWith(ReadLogOptions, 'options');
const decodeListStreams = decodeWith(ListStreamsOptions, 'options');

/**
 * The event store. Holds no tenant state itself: `forTenant` returns a scope
 * bound to one tenant, and that scope is the only way to read or write.
 */
export class EventStore {
  private readonly limits: EventStoreLimits;
  private readonly pipeline: AppendPipeline | undefined;
  private readonly pollIntervalMs: number;
  private readonly observer: AppendObserver | undefined;
  private readonly onObserverError: (error: unknown) => void;
  private readonly reader: ReadTransform | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private closing = false;

  constructor(
    private readonly storage: StorageAdapter,
    options: EventStoreOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.pipeline = options.pipeline;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.observer = options.observer;
    this.onObserverError = options.onObserverError ?? (() => undefined);
    this.reader = options.reader;
  }

  /** The adapter's name, for messages. */
  get adapterName(): string {
    return this.storage.name;
  }

  forTenant(tenant: TenantId): TenantEventStore {
    const raw = this.storage.forTenant(tenant);
    return new TenantEventStore(this.reader === undefined ? raw : readThrough(raw, this.reader), {
      limits: this.limits,
      pipeline: this.pipeline,
      pollIntervalMs: this.pollIntervalMs,
      observer: this.observer,
      onObserverError: this.onObserverError,
      storage: this.storage,
      track: (s) => {
        this.subscriptions.add(s);
        void s.done.then(() => this.subscriptions.delete(s));
      },
      isClosing: () => this.closing,
    });
  }

  /** Stops subscriptions, then closes the pipeline and the adapter. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.pipeline?.close?.();
    await this.storage.close();
  }
}

interface ScopeDeps {
  readonly limits: EventStoreLimits;
  readonly pipeline: AppendPipeline | undefined;
  readonly pollIntervalMs: number;
  readonly observer: AppendObserver | undefined;
  readonly onObserverError: (error: unknown) => void;
  readonly storage: StorageAdapter;
  readonly track: (s: Subscription) => void;
  readonly isClosing: () => boolean;
}

/** Everything one tenant can do. There is no parameter through which another tenant could be named. */
export class TenantEventStore {
  constructor(
    private readonly scope: TenantStorage,
    private readonly deps: ScopeDeps,
  ) {}

  get tenant(): TenantId {
    return this.scope.tenant;
  }

  /** Appends events atomically. Inputs are decoded here; nothing is written when any of them is wrong. */
  appendToStream(
    stream: string,
    events: readonly NewEventInput[],
    options: AppendOptions = {},
  ): TE.TaskEither<AppendError, AppendResult> {
    return this.append(decodeStream(stream), events, options);
  }

  /**
   * Appends to one of the tenant's system streams (see `systemStream`). For
   * Palisade's own modules (audit, retention); events pass the same pipeline.
   */
  appendToSystemStream(
    stream: StreamId,
    events: readonly NewEventInput[],
    options: AppendOptions = {},
  ): TE.TaskEither<AppendError, AppendResult> {
    return this.append(decodeWith(SystemStreamId, 'stream')(stream), events, options);
  }

  private append(
    decodedStream: E.Either<AppendError, StreamId>,
    events: readonly NewEventInput[],
    options: AppendOptions,
  ): TE.TaskEither<AppendError, AppendResult> {
    const observer = this.deps.observer;
    if (observer === undefined) return this.appendUnobserved(decodedStream, events, options, () => undefined);
    let stored: readonly PreparedEvent[] = [];
    return async () => {
      const result = await this.appendUnobserved(decodedStream, events, options, (p) => (stored = p))();
      const stream = E.isRight(decodedStream) ? decodedStream.right : null;
      try {
        await observer.observe(
          E.isRight(result)
            ? { _tag: 'Appended', tenant: this.tenant, stream: stream!, events: stored, result: result.right }
            : { _tag: 'Refused', tenant: this.tenant, stream, inputs: events, error: result.left },
          this,
        );
      } catch (e) {
        this.deps.onObserverError(e);
      }
      return result;
    };
  }

  private appendUnobserved(
    decodedStream: E.Either<AppendError, StreamId>,
    events: readonly NewEventInput[],
    options: AppendOptions,
    onPrepared: (prepared: readonly PreparedEvent[]) => void,
  ): TE.TaskEither<AppendError, AppendResult> {
    return pipe(
      this.guardOpen<AppendError>(),
      TE.chainEitherKW(() =>
        pipe(
          E.Do,
          E.apS('stream', decodedStream),
          E.apSW('events', decodeEvents(events)),
          E.apSW('options', decodeAppendOptions(options)),
        ),
      ),
      TE.chainFirstEitherKW(({ events }) => this.checkBatch(events)),
      TE.chainW(({ stream, events, options }) => {
        // Ids are assigned before the pipeline, so that a stage can bind to them (encryption does), and the
        // adapter still knows which ones are fresh and need no retry lookup.
        const generated = new Set<string>();
        const withIds =
          this.deps.pipeline === undefined
            ? events
            : events.map((e) => {
                if (e.id !== undefined) return e;
                const id = newEventId();
                generated.add(id);
                return { ...e, id };
              });
        return pipe(
          this.deps.pipeline === undefined
            ? TE.right(withIds)
            : pipe(
                // Refuse oversize events before they cost the pipeline anything.
                TE.fromEither(this.checkSizes(withIds)),
                TE.chainW(() =>
                  this.deps.pipeline!.process({ tenant: this.tenant, stream, received: withIds }, withIds),
                ),
              ),
          TE.chainEitherKW((processed) => this.prepare(stream, processed, generated)),
          TE.chainFirstW((prepared) => TE.fromIO(() => onPrepared(prepared))),
          TE.chainW((prepared) => this.scope.append(stream, prepared, options.expected ?? 'any')),
        );
      }),
    );
  }

  /** Reads a stream in version order. */
  readStream(stream: string, options: ReadStreamOptions = {}): TE.TaskEither<ReadError, readonly RecordedEvent[]> {
    return pipe(
      this.guardOpen<ReadError>(),
      TE.chainEitherKW(() =>
        pipe(E.Do, E.apS('stream', decodeReadableStream(stream)), E.apSW('options', decodeReadStream(options))),
      ),
      TE.chainEitherKW((input) => E.map(() => input)(checkLimit(input.options.limit))),
      TE.chainW(({ stream, options }) =>
        this.scope.readStream(stream, {
          direction: options.direction ?? 'forwards',
          fromVersion: options.fromVersion ?? null,
          limit: options.limit ?? DEFAULT_READ_LIMIT,
        }),
      ),
    );
  }

  /** Reads the tenant's log, all streams, in position order, a page at a time. */
  readLog(options: ReadLogOptions = {}): TE.TaskEither<ReadError, LogPage> {
    return pipe(
      this.guardOpen<ReadError>(),
      TE.chainEitherKW(() => decodeReadLog(options)),
      TE.chainFirstEitherKW((o) => checkLimit(o.limit)),
      TE.chainW((o) => {
        const after = o.after ?? 0;
        const limit = o.limit ?? DEFAULT_READ_LIMIT;
        return pipe(
          this.scope.readLog({ after, limit }),
          TE.map((events) => ({
            events,
            next: events.length === 0 ? after : events[events.length - 1]!.position,
            more: events.length === limit,
          })),
        );
      }),
    );
  }

  /** The stream's current version, or null when it does not exist. */
  streamVersion(stream: string): TE.TaskEither<ReadError, number | null> {
    return pipe(
      this.guardOpen<ReadError>(),
      TE.chainEitherKW(() => decodeReadableStream(stream)),
      TE.chainW((s) => this.scope.streamVersion(s)),
    );
  }

  streamExists(stream: string): TE.TaskEither<ReadError, boolean> {
    return TE.map((v: number | null) => v !== null)(this.streamVersion(stream));
  }

  /** Lists streams in id order, optionally those starting with a prefix (a category). */
  listStreams(options: ListStreamsOptions = {}): TE.TaskEither<ReadError, StreamPage> {
    return pipe(
      this.guardOpen<ReadError>(),
      TE.chainEitherKW(() => decodeListStreams(options)),
      TE.chainFirstEitherKW((o) => checkLimit(o.limit)),
      TE.chainW((o) => {
        const limit = o.limit ?? DEFAULT_READ_LIMIT;
        return pipe(
          this.scope.listStreams({ prefix: o.prefix ?? '', after: o.after ?? null, limit }),
          TE.map((streams) => ({
            streams,
            next: streams.length === limit ? streams[streams.length - 1]!.stream : null,
          })),
        );
      }),
    );
  }

  /**
   * Starts a catch-up subscription: history from the subscriber's checkpoint (or
   * `from`), then live events, delivered at least once. With a `subscriber` id
   * the checkpoint is stored durably after each handled batch.
   */
  subscribe(options: SubscriptionOptions): E.Either<InvalidInput, Subscription> {
    return pipe(
      startSubscription(this.scope, this.deps.storage, options, this.deps.pollIntervalMs),
      E.map((s) => {
        this.deps.track(s);
        return s;
      }),
    );
  }

  /** The tenant's projection state and snapshots (see `docs/projections.md`). */
  get states(): TenantStateStore {
    return new TenantStateStore(this.scope, this.deps.storage.name, this.deps.isClosing);
  }

  /**
   * Deletes up to `limit` of the tenant's events recorded before `before`, oldest
   * first, outside the `keep` streams, and marks the projections and snapshots
   * that reflected them. For the retention purge (`docs/retention.md`), which
   * also records each batch in `$purges`.
   */
  purgeExpired(options: {
    readonly before: Date;
    readonly limit: number;
    readonly keep: readonly StreamId[];
  }): TE.TaskEither<ReadError, PurgeBatch> {
    return pipe(
      this.retentionStorage(options),
      TE.chainW((storage) =>
        storage.purgeExpired({
          before: options.before.toISOString(),
          limit: options.limit,
          keep: options.keep,
          purgedAt: new Date().toISOString(),
        }),
      ),
    );
  }

  /** What `purgeExpired` would delete: totals and the first `limit` streams. Deletes nothing. */
  summarizeExpired(options: {
    readonly before: Date;
    readonly keep: readonly StreamId[];
    readonly limit: number;
  }): TE.TaskEither<ReadError, ExpirySummary> {
    return pipe(
      this.retentionStorage(options),
      TE.chainW((storage) =>
        storage.summarizeExpired({
          before: options.before.toISOString(),
          keep: options.keep,
          limit: options.limit,
        }),
      ),
    );
  }

  /** The checks both retention calls share: open, a valid limit and date, an adapter with a state store. */
  private retentionStorage(options: { readonly before: Date; readonly limit: number }) {
    return pipe(
      this.guardOpen<ReadError>(),
      TE.chainEitherKW(() => decodePurgeLimit(options.limit)),
      TE.chainEitherKW(() => checkDate(options.before)),
      TE.chainEitherKW(() => stateStorageOf(this.scope, this.deps.storage.name)),
    );
  }

  private guardOpen<Err>(): TE.TaskEither<Err | ReturnType<typeof closed>, void> {
    return this.deps.isClosing() ? TE.left(closed('event store')) : TE.right(undefined);
  }

  private checkBatch(events: readonly NewEvent[]): E.Either<AppendError, void> {
    if (events.length === 0) return E.left(invalidAt('events', 'must hold at least one event'));
    if (events.length > this.deps.limits.maxBatchEvents) {
      return E.left(batchTooLarge(events.length, this.deps.limits.maxBatchEvents));
    }
    const ids = new Set<string>();
    for (let i = 0; i < events.length; i++) {
      const id = events[i]!.id;
      if (id === undefined) continue;
      if (ids.has(id)) return E.left(invalidAt(`events.${i}.id`, 'repeats an id used earlier in the same append'));
      ids.add(id);
    }
    return E.right(undefined);
  }

  private checkSizes(events: readonly NewEvent[]): E.Either<AppendError, void> {
    const limit = this.deps.limits.maxEventBytes;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const bytes =
        Buffer.byteLength(JSON.stringify(event.data), 'utf8') +
        Buffer.byteLength(JSON.stringify(event.metadata ?? {}), 'utf8');
      if (bytes > limit) return E.left(eventTooLarge(i, bytes, limit));
    }
    return E.right(undefined);
  }

  private prepare(
    stream: StreamId,
    events: readonly NewEvent[],
    generated: ReadonlySet<string>,
  ): E.Either<AppendError, readonly PreparedEvent[]> {
    const prepared: PreparedEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const metadata = event.metadata ?? {};
      const dataJson = JSON.stringify(event.data);
      const metadataJson = JSON.stringify(metadata);
      const bytes = Buffer.byteLength(dataJson, 'utf8') + Buffer.byteLength(metadataJson, 'utf8');
      if (bytes > this.deps.limits.maxEventBytes)
        return E.left(eventTooLarge(i, bytes, this.deps.limits.maxEventBytes));
      prepared.push({
        id: event.id ?? newEventId(),
        idGenerated: event.id === undefined || generated.has(event.id),
        type: event.type,
        data: event.data,
        metadata,
        dataJson,
        metadataJson,
        contentHash: contentHash(stream, event.type, dataJson, metadataJson),
      });
    }
    return E.right(prepared);
  }
}

const decodePurgeLimit = (limit: number): E.Either<InvalidInput, void> =>
  Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_READ_LIMIT
    ? E.right(undefined)
    : E.left(invalidAt('options.limit', `must be an integer from 1 to ${MAX_READ_LIMIT}`));

const checkDate = (date: Date): E.Either<InvalidInput, void> =>
  date instanceof Date && !Number.isNaN(date.getTime())
    ? E.right(undefined)
    : E.left(invalidAt('options.before', 'must be a valid date'));

/** The same tenant storage with every read passed through `reader`. */
const readThrough = (scope: TenantStorage, reader: ReadTransform): TenantStorage => ({
  ...scope,
  tenant: scope.tenant,
  readStream: (stream, options) =>
    TE.chainW((events: readonly RecordedEvent[]) => reader.read(scope.tenant, events))(
      scope.readStream(stream, options),
    ),
  readLog: (options) =>
    TE.chainW((events: readonly RecordedEvent[]) => reader.read(scope.tenant, events))(scope.readLog(options)),
});

const checkLimit = (limit: number | undefined): E.Either<InvalidInput, void> =>
  limit !== undefined && limit > MAX_READ_LIMIT
    ? E.left(invalidAt('options.limit', `must be at most ${MAX_READ_LIMIT}`))
    : E.right(undefined);

const newEventId = (): EventId => randomUUID() as EventId;

/** Equal stream, type, data and metadata give equal hashes; the NUL separators keep fields apart. */
export const contentHash = (stream: string, type: string, dataJson: string, metadataJson: string): string =>
  createHash('sha256').update(`${stream}\0${type}\0${dataJson}\0${metadataJson}`).digest('base64url');
