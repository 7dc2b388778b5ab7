import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { MongoClient, type ChangeStream, type ClientSession, type Collection, type Db, type Document } from 'mongodb';
import {
  AppendNotifier,
  TenantId,
  closed,
  decideAppend,
  type AppendResult,
  type ExistingEvent,
  type InvalidInput,
  type ExpectedVersion,
  type PreparedEvent,
  type StorageAdapter,
  type StorageAppendError,
  type StorageError,
  type StreamId,
  type TenantStorage,
} from '@palisade/core';
import { classifyDeployment, type Deployment } from './deployment.js';
import {
  EXISTING_PROJECTION,
  STREAM_PROJECTION,
  decodeCheckpointDocument,
  decodeCounterDocument,
  decodeEventDocument,
  decodeExistingDocument,
  decodeStreamDocument,
  planEventDocuments,
} from './documents.js';
import { ADAPTER, duplicateKeyIndex, isDuplicateKey, mapDriverError } from './errors.js';
import { decideRetry, resolveOptions, type MongoStorageOptions, type ResolvedOptions } from './options.js';
import { INDEXES, collectionNames, type CollectionNames } from './schema.js';

/**
 * Connects to MongoDB, checks that the deployment runs transactions (a replica
 * set or a sharded cluster), creates the indexes it needs, and returns a
 * storage adapter. Several processes may share the database.
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
      if (E.isLeft(deployment)) return fail(deployment.left);
      const db = client.db(o.database);
      const names = collectionNames(o.collectionPrefix);
      await Promise.all(
        INDEXES.map((spec) =>
          db.collection(names[spec.collection]).createIndex(spec.key, { name: spec.name, unique: true }),
        ),
      );
      return E.right(new MongoStorage(client, owned, db, names, o, deployment.right));
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
  private readonly events: Collection;
  private readonly streams: Collection;
  private readonly tenants: Collection;
  private readonly checkpoints: Collection;
  private changeStream: ChangeStream | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private isClosed = false;

  constructor(
    private readonly client: MongoClient,
    private readonly ownsClient: boolean,
    db: Db,
    names: CollectionNames,
    private readonly options: ResolvedOptions,
    readonly deployment: Deployment,
  ) {
    this.events = db.collection(names.events);
    this.streams = db.collection(names.streams);
    this.tenants = db.collection(names.tenants);
    this.checkpoints = db.collection(names.checkpoints);
  }

  forTenant(tenant: TenantId): TenantStorage {
    return {
      tenant,
      append: (stream, events, expected) => this.guard('append', () => this.append(tenant, stream, events, expected)),
      readStream: (stream, { direction, fromVersion, limit }) =>
        this.guard('read a stream', async () => {
          const forwards = direction === 'forwards';
          const version = forwards ? { $gte: fromVersion ?? 0 } : { $lte: fromVersion ?? Number.MAX_SAFE_INTEGER };
          const docs = await this.events
            .find({ tenant, stream, version }, { projection: { _id: 0 }, sort: { version: forwards ? 1 : -1 }, limit })
            .toArray();
          return decodeAll(docs, (d) => decodeEventDocument(d, tenant));
        }),
      readLog: ({ after, limit }) =>
        this.guard('read the tenant log', async () => {
          const docs = await this.events
            .find({ tenant, position: { $gt: after } }, { projection: { _id: 0 }, sort: { position: 1 }, limit })
            .toArray();
          return decodeAll(docs, (d) => decodeEventDocument(d, tenant));
        }),
      streamVersion: (stream) =>
        this.guard('read a stream version', async () => {
          const doc = await this.streams.findOne({ tenant, stream }, { projection: STREAM_PROJECTION });
          return doc === null
            ? E.right(null)
            : E.map((s: { version: number }) => s.version)(decodeStreamDocument(doc, tenant));
        }),
      listStreams: ({ prefix, after, limit }) =>
        this.guard('list streams', async () => {
          // Range bounds rather than a regex: a prefix is data, never a pattern.
          const range: Document = { $gte: prefix, $lt: `${prefix}\u{10FFFF}` };
          if (after !== null) range.$gt = after;
          const docs = await this.streams
            .find({ tenant, stream: range }, { projection: STREAM_PROJECTION, sort: { stream: 1 }, limit })
            .toArray();
          return decodeAll(docs, (d) => decodeStreamDocument(d, tenant));
        }),
      loadCheckpoint: (subscriber) =>
        this.guard('load a checkpoint', async () => {
          const doc = await this.checkpoints.findOne({ tenant, subscriber }, { projection: { _id: 0 } });
          return doc === null ? E.right(null) : decodeCheckpointDocument(doc);
        }),
      saveCheckpoint: (subscriber, position) =>
        this.guard('save a checkpoint', async () => {
          await this.checkpoints.updateOne(
            { tenant, subscriber },
            { $set: { position, updatedAt: new Date().toISOString() } },
            { upsert: true },
          );
          return E.right(undefined);
        }),
    };
  }

  onAppend(tenant: TenantId, listener: () => void): () => void {
    const off = this.notifier.on(tenant, listener);
    if (this.options.changeStreams) this.startChangeStream();
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

  private async append(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
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
    }
  }

  /**
   * One transaction: look up retried ids and the stream head, decide with core's
   * rules, raise the tenant's counter, insert the events, move the stream head.
   * Two appends to one tenant both write its counter document, so the second
   * meets a write conflict and the driver runs it again after the first commits:
   * appends of a tenant commit one at a time, in position order.
   */
  private async attemptAppend(
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
    lookUpGeneratedIds: boolean,
  ): Promise<AttemptOutcome> {
    const session = this.client.startSession();
    let result: E.Either<StorageAppendError, AppendResult> | undefined;
    try {
      await session.withTransaction(
        async (s) => {
          result = await this.appendInTransaction(s, tenant, stream, events, expected, lookUpGeneratedIds);
          if (E.isLeft(result) || result.right.idempotentReplay) await s.abortTransaction();
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' },
      );
      return { kind: 'done', result: result ?? E.left(mapDriverError('append', new Error('no outcome'))) };
    } catch (e) {
      if (isDuplicateKey(e)) return { kind: 'duplicate', index: duplicateKeyIndex(e) };
      return { kind: 'done', result: E.left(mapDriverError('append', e)) };
    } finally {
      await session.endSession().catch(() => undefined);
    }
  }

  private async appendInTransaction(
    session: ClientSession,
    tenant: TenantId,
    stream: StreamId,
    events: readonly PreparedEvent[],
    expected: ExpectedVersion,
    lookUpGeneratedIds: boolean,
  ): Promise<E.Either<StorageAppendError, AppendResult>> {
    const ids = events.filter((e) => lookUpGeneratedIds || e.idGenerated !== true).map((e) => e.id);
    const existing: ExistingEvent[] = [];
    if (ids.length > 0) {
      const docs = await this.events
        .find({ tenant, eventId: { $in: ids } }, { projection: EXISTING_PROJECTION, session })
        .toArray();
      const decoded = decodeAll(docs, decodeExistingDocument);
      if (E.isLeft(decoded)) return decoded;
      existing.push(...decoded.right);
    }
    const head = await this.streams.findOne({ tenant, stream }, { projection: STREAM_PROJECTION, session });
    let current: number | null = null;
    if (head !== null) {
      const decoded = decodeStreamDocument(head, tenant);
      if (E.isLeft(decoded)) return decoded;
      current = decoded.right.version;
    }
    const decision = decideAppend(stream, events, expected, current, existing);
    if (E.isLeft(decision)) return decision;
    if (decision.right.kind === 'replay') return E.right(decision.right.result);

    const counter = await this.tenants.findOneAndUpdate(
      { tenant },
      { $inc: { lastPosition: events.length } },
      { upsert: true, returnDocument: 'after', projection: { _id: 0 }, session },
    );
    const lastPosition = decodeCounterDocument(counter);
    if (E.isLeft(lastPosition)) return lastPosition;
    const docs = planEventDocuments(tenant, stream, events, current, lastPosition.right, new Date().toISOString());
    await this.events.insertMany(docs, { session, ordered: true });
    const nextExpectedVersion = docs[docs.length - 1]!.version;
    await this.streams.updateOne(
      { tenant, stream },
      { $set: { version: nextExpectedVersion } },
      { upsert: true, session },
    );
    return E.right({
      nextExpectedVersion,
      lastPosition: lastPosition.right,
      events: docs.map((d) => ({ id: d.eventId, version: d.version, position: d.position })),
      idempotentReplay: false,
    });
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
      const stream = this.events.watch([
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

const decodeAll = <A>(
  docs: readonly unknown[],
  decode: (doc: unknown) => E.Either<StorageError, A>,
): E.Either<StorageError, A[]> => {
  const out: A[] = [];
  for (const doc of docs) {
    const decoded = decode(doc);
    if (E.isLeft(decoded)) return decoded;
    out.push(decoded.right);
  }
  return E.right(out);
};
