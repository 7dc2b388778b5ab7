import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  ANY,
  binaryEvent,
  jsonEvent,
  type ResolvedEvent,
  type StreamSubscription,
} from '@eventstore/db-client';
import {
  AppendNotifier,
  closed,
  decideAppend,
  invalidAt,
  storageUnavailable,
  type AppendResult,
  type ExistingEvent,
  type ExpectedVersion,
  type InvalidInput,
  type PreparedEvent,
  type StorageAdapter,
  type StorageAppendError,
  type StorageError,
  type StreamId,
  type StreamInfo,
  type TenantId,
  type TenantStorage,
} from '@palisade/core';
import {
  ADAPTER,
  decodeCheckpoint,
  decodeCursor,
  decodeExisting,
  decodeLogEntry,
  decodeLogEvent,
  decodeStreamsEntry,
  linkTo,
  malformed,
  planLogEvents,
  positionsAfterAppend,
  type LogEntry,
} from './envelope.js';
import { classifyError, mapDriverError } from './errors.js';
import { planMirror, selectStreams } from './mirror.js';
import { backoffMs, resolveOptions, type EventStoreStorageOptions, type ResolvedOptions } from './options.js';
import { streamNames, type StreamNames } from './stream-names.js';

/**
 * Connects to EventStoreDB or KurrentDB and returns a storage adapter. Nothing
 * is created up front: streams come into being on first append. Several
 * processes may share the server.
 */
export const createEventStoreStorage =
  (options: EventStoreStorageOptions): TE.TaskEither<StorageError | InvalidInput, StorageAdapter> =>
  async () => {
    const resolved = resolveOptions(options);
    if (E.isLeft(resolved)) return resolved;
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(resolved.right.connectionString);
    } catch {
      // The parser's message quotes the string, which may hold a password.
      return E.left(invalidAt('connection_string', 'is not a valid esdb:// connection string'));
    }
    const storage = new EventStoreStorage(client, resolved.right);
    // One read proves the server answers (a stream that does not exist is an answer).
    const probe = await storage.lastRevision('~probe', 'connect');
    if (E.isLeft(probe)) {
      await storage.close();
      return probe;
    }
    return E.right(storage);
  };

class Conflict {
  readonly _tag = 'Conflict';
}

class EventStoreStorage implements StorageAdapter {
  readonly name = ADAPTER;
  private readonly notifier = new AppendNotifier();
  private readonly live = new Map<TenantId, { subscription: StreamSubscription | null; listeners: number }>();
  /** The mirroring pass running per tenant in this process, and the one queued behind it. */
  private readonly mirrorRunning = new Map<TenantId, Promise<E.Either<StorageError, void>>>();
  private readonly mirrorQueued = new Map<TenantId, Promise<E.Either<StorageError, void>>>();
  private readonly names: StreamNames;
  private isClosed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: ResolvedOptions,
  ) {
    this.names = streamNames(options.namespace);
  }

  forTenant(tenant: TenantId): TenantStorage {
    return {
      tenant,
      append: (stream, events, expected) => this.guard('append', () => this.append(tenant, stream, events, expected)),
      readStream: (stream, { direction, fromVersion, limit }) =>
        this.guard('read a stream', async () => {
          const mirrored = await this.mirror(tenant);
          if (E.isLeft(mirrored)) return mirrored;
          const forwards = direction === 'forwards';
          const records = await this.read(this.names.stream(tenant, stream), {
            direction: forwards ? FORWARDS : BACKWARDS,
            fromRevision: fromVersion === null ? (forwards ? START : END) : BigInt(fromVersion),
            maxCount: limit,
            resolveLinkTos: true,
          });
          const out = [];
          for (const r of records) {
            // A link whose event the server no longer has (retention) resolves to nothing: skip it.
            if (r.event === undefined || r.link === undefined) continue;
            const decoded = decodeLogEvent(r.event, tenant, this.names.log(tenant));
            if (E.isLeft(decoded)) return decoded;
            // The link at revision v must lead to version v of this very stream.
            if (decoded.right.stream !== stream || BigInt(decoded.right.version) !== r.link.revision) {
              return E.left(malformed('the index of a stream'));
            }
            out.push(decoded.right);
          }
          return E.right(out);
        }),
      readLog: ({ after, limit }) =>
        this.guard('read the tenant log', async () => {
          const records = await this.read(this.names.log(tenant), {
            direction: FORWARDS,
            fromRevision: BigInt(after),
            maxCount: limit,
          });
          return decodeAll(records, (r) => decodeLogEvent(r.event, tenant, this.names.log(tenant)));
        }),
      streamVersion: (stream) =>
        this.guard('read a stream version', async () => {
          const mirrored = await this.mirror(tenant);
          if (E.isLeft(mirrored)) return mirrored;
          return this.lastRevision(this.names.stream(tenant, stream), 'read a stream version');
        }),
      listStreams: ({ prefix, after, limit }) =>
        this.guard('list streams', async () => {
          const mirrored = await this.mirror(tenant);
          if (E.isLeft(mirrored)) return mirrored;
          const entries = decodeAll(await this.read(this.names.streams(tenant), { direction: FORWARDS }), (r) =>
            decodeStreamsEntry(r.event),
          );
          if (E.isLeft(entries)) return entries;
          const page = selectStreams(entries.right, prefix, after, limit);
          const versions = await Promise.all(
            page.map((s) => this.lastRevision(this.names.stream(tenant, s), 'list streams')),
          );
          const out: StreamInfo[] = [];
          for (const [i, v] of versions.entries()) {
            if (E.isLeft(v)) return v;
            if (v.right !== null) out.push({ stream: page[i]!, version: v.right });
          }
          return E.right(out);
        }),
      loadCheckpoint: (subscriber) =>
        this.guard('load a checkpoint', async () => {
          const [last] = await this.read(this.names.checkpoint(tenant, subscriber), {
            direction: BACKWARDS,
            fromRevision: END,
            maxCount: 1,
          });
          return last === undefined ? E.right(null) : decodeCheckpoint(last.event);
        }),
      saveCheckpoint: (subscriber, position) =>
        this.guard('save a checkpoint', async () => {
          const name = this.names.checkpoint(tenant, subscriber);
          const written = await this.client.appendToStream(
            name,
            jsonEvent({ type: 'PalisadeCheckpoint', data: { position } }),
            { expectedRevision: ANY },
          );
          // Only the newest checkpoint is read: let the server scavenge the rest.
          if (written.nextExpectedRevision === 0n) await this.trimTo(name, 5);
          return E.right(undefined);
        }),
    };
  }

  onAppend(tenant: TenantId, listener: () => void): () => void {
    const off = this.notifier.on(tenant, listener);
    const entry = this.live.get(tenant) ?? { subscription: null, listeners: 0 };
    entry.listeners++;
    this.live.set(tenant, entry);
    if (this.options.liveSubscriptions && entry.subscription === null) this.subscribe(tenant);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      off();
      entry.listeners--;
      if (entry.listeners === 0) {
        this.live.delete(tenant);
        void entry.subscription?.unsubscribe().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.notifier.clear();
    const subscriptions = [...this.live.values()].flatMap((e) => (e.subscription === null ? [] : [e.subscription]));
    this.live.clear();
    await Promise.all(subscriptions.map((s) => s.unsubscribe().catch(() => undefined)));
    await Promise.all([...this.mirrorRunning.values(), ...this.mirrorQueued.values()]);
    await this.client.dispose().catch(() => undefined);
  }

  /** The last revision of a stream, or null when it has none. */
  async lastRevision(name: string, what: string): Promise<E.Either<StorageError, number | null>> {
    try {
      const [last] = await this.read(name, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      return E.right(last?.event === undefined && last?.link === undefined ? null : Number(revisionOf(last)));
    } catch (e) {
      return E.left(mapDriverError(what, e));
    }
  }

  /**
   * One append: mirror the log so the indexes are current, read the stream's
   * version and the stored events of supplied ids, decide with core's rules,
   * then write the batch to the tenant's log expecting the revision read first.
   * If any other append reached the tenant's log in between, the write fails as
   * a whole and the attempt starts over: decisions are made on a state that is
   * still the log's state when the write lands.
   */
  private async append(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
    const log = this.names.log(tenant);
    for (let attempt = 1; attempt <= this.options.maxAppendAttempts; attempt++) {
      const logRevision = await this.lastRevision(log, 'append');
      if (E.isLeft(logRevision)) return logRevision;
      const mirrored = await this.mirror(tenant);
      if (E.isLeft(mirrored)) return mirrored;
      const current = await this.lastRevision(this.names.stream(tenant, stream), 'append');
      if (E.isLeft(current)) return current;
      const existing = await this.existing(tenant, events);
      if (E.isLeft(existing)) return existing;
      const decision = decideAppend(stream, events, expected, current.right, existing.right);
      if (E.isLeft(decision)) return decision;
      if (decision.right.kind === 'replay') return E.right(decision.right.result);

      const records = planLogEvents(events, stream, current.right, new Date().toISOString());
      const written = await this.client
        .appendToStream(log, records, {
          expectedRevision: logRevision.right === null ? NO_STREAM : BigInt(logRevision.right),
        })
        .catch((e: unknown) => {
          if (classifyError(e) === 'conflict') return new Conflict();
          throw e;
        });
      if (written instanceof Conflict) {
        await sleep(backoffMs(attempt));
        continue;
      }
      const positions = positionsAfterAppend(written.nextExpectedRevision, events.length);
      // Index now, so this process's next read is quick; a failure here is repaired by the next reader.
      await this.mirror(tenant);
      setImmediate(() => this.notifier.notify(tenant));
      const firstVersion = (current.right ?? -1) + 1;
      return E.right({
        nextExpectedVersion: firstVersion + events.length - 1,
        lastPosition: positions[positions.length - 1]!,
        events: events.map((e, i) => ({ id: e.id, version: firstVersion + i, position: positions[i]! })),
        idempotentReplay: false,
      });
    }
    return E.left(
      storageUnavailable(ADAPTER, `the tenant's log moved on ${this.options.maxAppendAttempts} times in a row`, true),
    );
  }

  /** The stored events of the batch's client-supplied ids, through the id index (links into the log). */
  private async existing(
    tenant: TenantId,
    events: readonly PreparedEvent[],
  ): Promise<E.Either<StorageError, ExistingEvent[]>> {
    const supplied = events.filter((e) => e.idGenerated !== true);
    const found = await Promise.all(
      supplied.map((e) =>
        this.read(this.names.eventId(tenant, e.id), { direction: FORWARDS, maxCount: 1, resolveLinkTos: true }),
      ),
    );
    const out: ExistingEvent[] = [];
    for (const [first] of found) {
      if (first?.event === undefined || first.link === undefined) continue;
      const decoded = decodeExisting(first.event, tenant, this.names.log(tenant));
      if (E.isLeft(decoded)) return decoded;
      out.push(decoded.right);
    }
    return E.right(out);
  }

  /**
   * Brings the tenant's indexes up to its log (see mirror.ts). A caller must get
   * a pass that starts after it called (an earlier pass may have read the log
   * too soon), so callers arriving while a pass runs share one queued pass.
   */
  private mirror(tenant: TenantId): Promise<E.Either<StorageError, void>> {
    const queued = this.mirrorQueued.get(tenant);
    if (queued !== undefined) return queued;
    const start = (): Promise<E.Either<StorageError, void>> => {
      this.mirrorQueued.delete(tenant);
      const pass = this.mirrorPass(tenant).finally(() => {
        if (this.mirrorRunning.get(tenant) === pass) this.mirrorRunning.delete(tenant);
      });
      this.mirrorRunning.set(tenant, pass);
      return pass;
    };
    const running = this.mirrorRunning.get(tenant);
    if (running === undefined) return start();
    const next = running.then(start, start);
    this.mirrorQueued.set(tenant, next);
    return next;
  }

  /** Asks the server to keep only the newest `count` events of a bookkeeping stream; best effort (needs meta-write). */
  private async trimTo(name: string, count: number): Promise<void> {
    await this.client.setStreamMetadata(name, { maxCount: count }).catch(() => undefined);
  }

  private async mirrorPass(tenant: TenantId): Promise<E.Either<StorageError, void>> {
    try {
      for (let round = 0; round < 1000; round++) {
        const [last] = await this.read(this.names.mirrored(tenant), {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
        });
        const cursor = last === undefined ? E.right(-1) : decodeCursor(last.event);
        if (E.isLeft(cursor)) return cursor;
        const records = await this.read(this.names.log(tenant), {
          direction: FORWARDS,
          fromRevision: BigInt(cursor.right + 1),
          maxCount: this.options.readBatchSize,
        });
        if (records.length === 0) return E.right(undefined);
        const entries = decodeAll(records, (r) => decodeLogEntry(r.event, tenant, this.names.log(tenant)));
        if (E.isLeft(entries)) return entries;
        const written = await this.writeMirror(tenant, entries.right, cursor.right);
        if (E.isLeft(written)) return written;
      }
      return E.left(mapDriverError('index the tenant log', { type: 'unavailable' }));
    } catch (e) {
      return E.left(mapDriverError('index the tenant log', e));
    }
  }

  private async writeMirror(
    tenant: TenantId,
    entries: readonly LogEntry[],
    cursor: number,
  ): Promise<E.Either<StorageError, void>> {
    const streams = [...new Set(entries.map((e) => e.stream))];
    const heads = new Map<StreamId, number | null>();
    for (const s of streams) {
      const head = await this.lastRevision(this.names.stream(tenant, s), 'index the tenant log');
      if (E.isLeft(head)) return head;
      heads.set(s, head.right);
    }
    const plan = planMirror(entries, heads, cursor);
    if (E.isLeft(plan)) return plan;
    const ignoreConflict = (e: unknown): undefined => {
      if (classifyError(e) === 'conflict') return undefined;
      throw e;
    };
    const links = (revisions: readonly number[]) =>
      revisions.map((r) => binaryEvent(linkTo(this.names.log(tenant), r)));
    let raced = false;
    await Promise.all([
      ...plan.right.streams.map((s) =>
        this.client
          .appendToStream(this.names.stream(tenant, s.stream), links(s.logRevisions), {
            expectedRevision: s.expectedRevision === null ? NO_STREAM : BigInt(s.expectedRevision),
          })
          .catch((e: unknown) => {
            // Another process linked these first: the next round re-reads the heads.
            raced = true;
            return ignoreConflict(e);
          }),
      ),
      ...plan.right.ids.map((i) =>
        this.client
          .appendToStream(this.names.eventId(tenant, i.id), links([i.logRevision]), { expectedRevision: NO_STREAM })
          .catch(ignoreConflict),
      ),
      ...(plan.right.newStreams.length === 0
        ? []
        : [
            this.client.appendToStream(
              this.names.streams(tenant),
              plan.right.newStreams.map((stream) => jsonEvent({ type: 'PalisadeStreamCreated', data: { stream } })),
              { expectedRevision: ANY },
            ),
          ]),
    ]);
    if (raced) return E.right(undefined);
    const moved = await this.client.appendToStream(
      this.names.mirrored(tenant),
      jsonEvent({ type: 'PalisadeMirrored', data: { revision: plan.right.cursor } }),
      { expectedRevision: ANY },
    );
    if (moved.nextExpectedRevision === 0n) await this.trimTo(this.names.mirrored(tenant), 5);
    return E.right(undefined);
  }

  /** A live server subscription to the tenant's log: wakes this process's subscribers on any process's append. */
  private subscribe(tenant: TenantId): void {
    const entry = this.live.get(tenant);
    if (entry === undefined || this.isClosed) return;
    try {
      const subscription = this.client.subscribeToStream(this.names.log(tenant), { fromRevision: END });
      subscription.on('data', () => this.notifier.notify(tenant));
      subscription.on('error', () => {
        void subscription.unsubscribe().catch(() => undefined);
        entry.subscription = null;
        // Subscribers poll as well: a lost subscription costs latency until it is back.
        setTimeout(() => {
          if (this.live.get(tenant) === entry && entry.subscription === null) this.subscribe(tenant);
        }, 1000).unref();
      });
      entry.subscription = subscription;
    } catch {
      entry.subscription = null;
    }
  }

  /** All records of a read; a stream that does not exist reads as empty. */
  private async read(name: string, options: Parameters<EventStoreDBClient['readStream']>[1]): Promise<ResolvedEvent[]> {
    const out: ResolvedEvent[] = [];
    try {
      for await (const r of this.client.readStream(name, options)) out.push(r);
    } catch (e) {
      if (classifyError(e) === 'not-found') return [];
      throw e;
    }
    return out;
  }

  private guard<A, L extends StorageAppendError>(
    what: string,
    body: () => Promise<E.Either<L, A>>,
  ): TE.TaskEither<L | StorageError, A> {
    return async () => {
      if (this.isClosed) return E.left(closed('eventstore storage'));
      try {
        return await body();
      } catch (e) {
        return E.left(mapDriverError(what, e));
      }
    };
  }
}

const revisionOf = (r: ResolvedEvent | undefined): bigint => r?.link?.revision ?? r?.event?.revision ?? -1n;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const decodeAll = <A>(
  records: readonly ResolvedEvent[],
  decode: (record: ResolvedEvent) => E.Either<StorageError, A>,
): E.Either<StorageError, A[]> => {
  const out: A[] = [];
  for (const r of records) {
    const decoded = decode(r);
    if (E.isLeft(decoded)) return decoded;
    out.push(decoded.right);
  }
  return E.right(out);
};
