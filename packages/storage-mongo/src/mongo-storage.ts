import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { MongoClient, type ChangeStream, type Collection, type Document, type FindCursor } from 'mongodb';
import {
  AppendNotifier,
  ReadableStreamId,
  TenantId,
  closed,
  decideAppend,
  storageUnavailable,
  type AppendResult,
  type ExistingEvent,
  type ExpectedVersion,
  type InvalidInput,
  type PreparedEvent,
  type RecordedEvent,
  type StorageAdapter,
  type StorageAppendError,
  type StorageError,
  type StreamId,
  type StreamInfo,
  type TenantStorage,
} from '@palisade/core';
import { classifyDeployment, hasChangeStreams, type Deployment } from './deployment.js';
import {
  EXISTING_PROJECTION,
  MAX_COMMIT_BYTES,
  commitEvents,
  commitSizeBound,
  decodeCheckpoint,
  decodeCommit,
  decodeHead,
  decodeLogHead,
  existingIn,
  malformed,
  planCommit,
} from './documents.js';
import { ADAPTER, duplicateKeyIndex, isDuplicateKey, mapDriverError } from './errors.js';
import { backoffMs, decideRetry, resolveOptions, type MongoStorageOptions, type ResolvedOptions } from './options.js';
import { INDEXES, collectionNames } from './schema.js';

/**
 * Connects to MongoDB, creates the indexes it needs (idempotent), and returns a
 * storage adapter. Works on standalone servers, replica sets and sharded
 * clusters; several processes may share the database.
 */
export const createMongoStorage =
  (options: MongoStorageOptions): TE.TaskEither<StorageError | InvalidInput, StorageAdapter> =>
  async () => {
    const resolved = resolveOptions(options);
    if (E.isLeft(resolved)) return resolved;
    const o = resolved.right;
    const owned = o.client === null;
    let client: MongoClient;
    try {
      client =
        o.client ??
        (await new MongoClient(o.url, {
          serverSelectionTimeoutMS: o.serverSelectionTimeoutMs,
          appName: 'palisade',
        }).connect());
    } catch (e) {
      return E.left(mapDriverError('connect', e));
    }
    const fail = async (error: StorageError) => {
      if (owned) await client.close().catch(() => undefined);
      return E.left(error);
    };
    try {
      const deployment = classifyDeployment(await client.db('admin').command({ hello: 1 }));
      if (E.isLeft(deployment)) return await fail(deployment.left);
      const db = client.db(o.database);
      const names = collectionNames(o.collectionPrefix);
      await Promise.all(
        INDEXES.map((spec) =>
          db.collection(names[spec.collection]).createIndex(spec.key, { name: spec.name, unique: spec.unique }),
        ),
      );
      const storage = new MongoStorage(
        client,
        owned,
        db.collection(names.commits),
        db.collection(names.checkpoints),
        o,
        deployment.right,
      );
      return E.right(storage);
    } catch (e) {
      return fail(mapDriverError('prepare the database', e));
    }
  };

/** Why an attempt at an append did not finish, when another attempt may. */
type AttemptOutcome =
  | { readonly kind: 'done'; readonly result: E.Either<StorageAppendError, AppendResult> }
  | { readonly kind: 'duplicate'; readonly index: string | null };

class MongoStorage implements StorageAdapter {
  readonly name = ADAPTER;
  private readonly notifier = new AppendNotifier();
  private changeStream: ChangeStream | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private isClosed = false;
  /** Acknowledged once a majority has the write (survives a failover); a standalone server has no majority to wait for. */
  private readonly durable: { writeConcern?: { w: 'majority' } };

  constructor(
    private readonly client: MongoClient,
    private readonly ownsClient: boolean,
    private readonly commits: Collection,
    private readonly checkpoints: Collection,
    private readonly options: ResolvedOptions,
    readonly deployment: Deployment,
  ) {
    this.durable = deployment === 'standalone' ? {} : { writeConcern: { w: 'majority' } };
  }

  forTenant(tenant: TenantId): TenantStorage {
    return {
      tenant,
      append: (stream, events, expected) => this.guard('append', () => this.append(tenant, stream, events, expected)),
      readStream: (stream, { direction, fromVersion, limit }) =>
        this.guard('read a stream', () => {
          if (direction === 'forwards') {
            const from = fromVersion ?? 0;
            const cursor = this.commits
              .find({ tenant, stream, lastVersion: { $gte: from } }, { projection: { _id: 0 } })
              .sort({ lastVersion: 1 });
            return collectEvents(cursor, tenant, limit, (e) => e.version >= from);
          }
          const from = fromVersion ?? Number.MAX_SAFE_INTEGER;
          const cursor = this.commits
            .find({ tenant, stream, firstVersion: { $lte: from } }, { projection: { _id: 0 } })
            .sort({ firstVersion: -1 });
          return collectEvents(cursor, tenant, limit, (e) => e.version <= from, true);
        }),
      readLog: ({ after, limit }) =>
        this.guard('read the tenant log', () => {
          const cursor = this.commits
            .find({ tenant, lastPosition: { $gt: after } }, { projection: { _id: 0 } })
            .sort({ lastPosition: 1 });
          return collectEvents(cursor, tenant, limit, (e) => e.position > after);
        }),
      streamVersion: (stream) => this.guard('read a stream version', () => this.streamHead(tenant, stream)),
      listStreams: ({ prefix, after, limit }) =>
        this.guard('list streams', async () => {
          // Range bounds rather than a regex: a prefix is data, never a pattern.
          const range: Document = { $gte: prefix, $lt: `${prefix}\u{10FFFF}` };
          if (after !== null) range.$gt = after;
          const firsts = await this.commits
            .find({ tenant, firstVersion: 0, stream: range }, { projection: { _id: 0, stream: 1 } })
            .sort({ stream: 1 })
            .limit(limit)
            .toArray();
          const streams: StreamId[] = [];
          for (const doc of firsts) {
            const stream = (doc as { stream?: unknown }).stream;
            if (!ReadableStreamId.is(stream)) return E.left(malformed('commits'));
            streams.push(stream);
          }
          const heads = await Promise.all(streams.map((s) => this.streamHead(tenant, s)));
          const out: StreamInfo[] = [];
          for (const [i, head] of heads.entries()) {
            if (E.isLeft(head)) return head;
            if (head.right !== null) out.push({ stream: streams[i]!, version: head.right });
          }
          return E.right(out);
        }),
      loadCheckpoint: (subscriber) =>
        this.guard('load a checkpoint', async () => {
          const doc = await this.checkpoints.findOne({ tenant, subscriber }, { projection: { _id: 0 } });
          return doc === null ? E.right(null) : decodeCheckpoint(doc);
        }),
      saveCheckpoint: (subscriber, position) =>
        this.guard('save a checkpoint', async () => {
          await this.checkpoints.updateOne(
            { tenant, subscriber },
            { $set: { position, updatedAt: new Date().toISOString() } },
            { upsert: true, ...this.durable },
          );
          return E.right(undefined);
        }),
    };
  }

  onAppend(tenant: TenantId, listener: () => void): () => void {
    const off = this.notifier.on(tenant, listener);
    if (this.options.changeStreams && hasChangeStreams(this.deployment)) this.startChangeStream();
    return off;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.notifier.clear();
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    await this.changeStream?.close().catch(() => undefined);
    if (this.ownsClient) await this.client.close();
  }

  private async streamHead(tenant: TenantId, stream: StreamId): Promise<E.Either<StorageError, number | null>> {
    const doc = await this.commits.findOne(
      { tenant, stream },
      { projection: { _id: 0, lastVersion: 1 }, sort: { firstVersion: -1 } },
    );
    return decodeHead(doc);
  }

  private async append(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
    if (commitSizeBound(events) > MAX_COMMIT_BYTES) {
      return E.left(
        storageUnavailable(
          ADAPTER,
          "the batch is larger than MongoDB's 16 MiB document limit; append it in smaller batches",
          false,
        ),
      );
    }
    let lookUpGeneratedIds = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attemptAppend(tenant, stream, events, expected, lookUpGeneratedIds);
      if (outcome.kind === 'done') {
        if (E.isRight(outcome.result) && !outcome.result.right.idempotentReplay) {
          setImmediate(() => this.notifier.notify(tenant));
        }
        return outcome.result;
      }
      const next = decideRetry(outcome.index, attempt, this.options.maxAppendAttempts);
      if (E.isLeft(next)) return next;
      lookUpGeneratedIds ||= next.right.lookUpGeneratedIds;
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    }
  }

  /**
   * One attempt: read the stored events of retried ids, the stream's version and
   * the log's last position; decide with core's rules; insert one commit that
   * continues both. If another writer landed in between, the commit collides
   * with it on a unique index (commits tile each stream's versions and the
   * tenant's positions), nothing is written, and the attempt is made again on
   * fresh reads. A commit is inserted only by a writer that has seen every
   * earlier position, so positions become visible in order.
   */
  private async attemptAppend(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
    lookUpGeneratedIds: boolean,
  ): Promise<AttemptOutcome> {
    const ids = events.filter((e) => lookUpGeneratedIds || e.idGenerated !== true).map((e) => e.id);
    const existing: ExistingEvent[] = [];
    if (ids.length > 0) {
      const wanted = new Set<string>(ids);
      const docs = await this.commits
        .find({ tenant, eventIds: { $in: ids } }, { projection: EXISTING_PROJECTION })
        .toArray();
      for (const doc of docs) {
        const found = existingIn(doc, tenant, wanted);
        if (E.isLeft(found)) return { kind: 'done', result: found };
        existing.push(...found.right);
      }
    }
    const current = await this.streamHead(tenant, stream);
    if (E.isLeft(current)) return { kind: 'done', result: current };
    const decision = decideAppend(stream, events, expected, current.right, existing);
    if (E.isLeft(decision)) return { kind: 'done', result: decision };
    if (decision.right.kind === 'replay') return { kind: 'done', result: E.right(decision.right.result) };

    const logHead = decodeLogHead(
      await this.commits.findOne({ tenant }, { projection: { _id: 0, lastPosition: 1 }, sort: { lastPosition: -1 } }),
    );
    if (E.isLeft(logHead)) return { kind: 'done', result: logHead };
    const commit = planCommit(tenant, stream, events, current.right, logHead.right, new Date().toISOString());
    try {
      await this.commits.insertOne({ ...commit }, this.durable);
    } catch (e) {
      if (isDuplicateKey(e)) return { kind: 'duplicate', index: duplicateKeyIndex(e) };
      throw e;
    }
    return {
      kind: 'done',
      result: E.right({
        nextExpectedVersion: commit.lastVersion,
        lastPosition: commit.lastPosition,
        events: commit.eventIds.map((id, i) => ({
          id,
          version: commit.firstVersion + i,
          position: commit.firstPosition + i,
        })),
        idempotentReplay: false,
      }),
    };
  }

  /**
   * Wakes this process's subscribers when any process appends: one change
   * stream per adapter, carrying only the tenant of each insert. Live
   * subscriptions poll too, so a change stream that cannot start (or dies)
   * costs latency, never events; it is restarted after a pause.
   */
  private startChangeStream(): void {
    if (this.changeStream !== null || this.restartTimer !== null || this.isClosed) return;
    try {
      const stream = this.commits.watch([
        { $match: { operationType: 'insert' } },
        { $project: { 'fullDocument.tenant': 1 } },
      ]);
      stream.on('change', (change: Document) => {
        const tenant = (change.fullDocument as { tenant?: unknown } | undefined)?.tenant;
        if (TenantId.is(tenant)) this.notifier.notify(tenant);
      });
      stream.on('error', () => this.restartChangeStream(stream));
      this.changeStream = stream;
    } catch {
      this.restartChangeStream(null);
    }
  }

  private restartChangeStream(failed: ChangeStream | null): void {
    if (failed !== null) void failed.close().catch(() => undefined);
    this.changeStream = null;
    if (this.isClosed) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.startChangeStream();
    }, 1000);
    this.restartTimer.unref();
  }

  private guard<A, L extends StorageAppendError>(
    what: string,
    body: () => Promise<E.Either<L, A>>,
  ): TE.TaskEither<L | StorageError, A> {
    return async () => {
      if (this.isClosed) return E.left(closed('mongo storage'));
      try {
        return await body();
      } catch (e) {
        return E.left(mapDriverError(what, e));
      }
    };
  }
}

/**
 * Up to `limit` events from commits in cursor order, keeping those `wanted`
 * (the first and last commit may hold events outside the range). Each commit
 * holds at least one event, so at most `limit` commits are read.
 */
const collectEvents = async (
  cursor: FindCursor<Document>,
  tenant: TenantId,
  limit: number,
  wanted: (e: RecordedEvent) => boolean,
  reverse = false,
): Promise<E.Either<StorageError, RecordedEvent[]>> => {
  const out: RecordedEvent[] = [];
  try {
    for await (const doc of cursor.limit(limit).batchSize(Math.min(limit, 100))) {
      const commit = decodeCommit(doc, tenant);
      if (E.isLeft(commit)) return commit;
      const events = commitEvents(commit.right);
      if (E.isLeft(events)) return events;
      for (const e of reverse ? events.right.reverse() : events.right) {
        if (!wanted(e)) continue;
        out.push(e);
        if (out.length === limit) return E.right(out);
      }
    }
  } finally {
    await cursor.close();
  }
  return E.right(out);
};
