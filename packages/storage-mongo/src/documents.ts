import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  EventId,
  EventType,
  ReadableStreamId,
  SubscriberId,
  TenantId,
  storageUnavailable,
  type ExistingEvent,
  type JsonObject,
  type JsonValue,
  type PreparedEvent,
  type RecordedEvent,
  type StorageError,
  type StreamId,
} from '@palisade/core';

/*
 * One document per append (a "commit"): the batch's events, in order, with the
 * stream versions and tenant-log positions they occupy. A single-document
 * insert is atomic on every MongoDB deployment, so a batch is wholly present or
 * wholly absent without a multi-document transaction; a document is bounded by
 * the batch (16 MiB), not by the stream.
 *
 * Payloads are kept as the JSON text core serialised (`dataJson`), not as BSON:
 * BSON keys cannot hold NUL, BSON strings cannot hold lone surrogates, and BSON
 * would not keep `-0` or `1e21` as written. JSON text round-trips exactly.
 *
 * A document read back is a boundary like any input: decoded, never trusted.
 */

const NonNegative = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
const Positive = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');

const StoredEventCodec = t.type({ type: EventType, data: t.string, metadata: t.string, hash: t.string });

const CommitCodec = t.type({
  tenant: TenantId,
  stream: ReadableStreamId,
  firstVersion: NonNegative,
  lastVersion: NonNegative,
  firstPosition: Positive,
  lastPosition: Positive,
  eventIds: t.array(EventId),
  events: t.array(StoredEventCodec),
  recordedAt: t.string,
});

/** The stored shape of one append (what the commit codec accepts). */
export interface CommitDocument {
  readonly tenant: TenantId;
  readonly stream: StreamId;
  readonly firstVersion: number;
  readonly lastVersion: number;
  readonly firstPosition: number;
  readonly lastPosition: number;
  readonly eventIds: readonly EventId[];
  readonly events: readonly { type: EventType; data: string; metadata: string; hash: string }[];
  readonly recordedAt: string;
}

/** The fields the idempotency check reads. */
export const EXISTING_PROJECTION = {
  _id: 0,
  tenant: 1,
  stream: 1,
  firstVersion: 1,
  firstPosition: 1,
  eventIds: 1,
  'events.hash': 1,
} as const;

const ExistingCodec = t.type({
  tenant: TenantId,
  stream: ReadableStreamId,
  firstVersion: NonNegative,
  firstPosition: Positive,
  eventIds: t.array(EventId),
  events: t.array(t.type({ hash: t.string })),
});

const HeadCodec = t.type({ lastVersion: NonNegative });
const LogHeadCodec = t.type({ lastPosition: Positive });
const CheckpointCodec = t.type({
  tenant: TenantId,
  subscriber: SubscriberId,
  position: NonNegative,
  updatedAt: t.string,
});

export const malformed = (collection: string): StorageError =>
  storageUnavailable('mongo', `a stored document in '${collection}' is malformed`, false);

/** Decodes a commit of `tenant`: every count must agree, and another tenant's document is refused (a second wall). */
export const decodeCommit = (doc: unknown, tenant: TenantId): E.Either<StorageError, CommitDocument> => {
  const decoded = CommitCodec.decode(doc);
  if (E.isLeft(decoded)) return E.left(malformed('commits'));
  const c = decoded.right;
  const n = c.events.length;
  const consistent =
    c.tenant === tenant &&
    n > 0 &&
    c.eventIds.length === n &&
    c.lastVersion - c.firstVersion + 1 === n &&
    c.lastPosition - c.firstPosition + 1 === n;
  return consistent ? E.right(c) : E.left(malformed('commits'));
};

/** The events of a commit, with their versions and positions. */
export const commitEvents = (commit: CommitDocument): E.Either<StorageError, RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (const [i, stored] of commit.events.entries()) {
    let data: JsonValue;
    let metadata: unknown;
    try {
      data = JSON.parse(stored.data) as JsonValue;
      metadata = JSON.parse(stored.metadata);
    } catch {
      return E.left(malformed('commits'));
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      return E.left(malformed('commits'));
    }
    out.push({
      id: commit.eventIds[i]!,
      tenant: commit.tenant,
      stream: commit.stream,
      version: commit.firstVersion + i,
      position: commit.firstPosition + i,
      type: stored.type,
      data,
      metadata: metadata as JsonObject,
      recordedAt: commit.recordedAt,
    });
  }
  return E.right(out);
};

/** The stored events of `ids` found in a commit read with EXISTING_PROJECTION. */
export const existingIn = (
  doc: unknown,
  tenant: TenantId,
  ids: ReadonlySet<string>,
): E.Either<StorageError, ExistingEvent[]> => {
  const decoded = ExistingCodec.decode(doc);
  if (E.isLeft(decoded) || decoded.right.tenant !== tenant) return E.left(malformed('commits'));
  const c = decoded.right;
  if (c.events.length !== c.eventIds.length) return E.left(malformed('commits'));
  const out: ExistingEvent[] = [];
  for (const [i, id] of c.eventIds.entries()) {
    if (!ids.has(id)) continue;
    out.push({
      id,
      stream: c.stream,
      version: c.firstVersion + i,
      position: c.firstPosition + i,
      contentHash: c.events[i]!.hash,
    });
  }
  return E.right(out);
};

/** The version of a stream from its last commit; null when it has none. */
export const decodeHead = (doc: unknown): E.Either<StorageError, number | null> => {
  if (doc === null) return E.right(null);
  const decoded = HeadCodec.decode(doc);
  return E.isLeft(decoded) ? E.left(malformed('commits')) : E.right(decoded.right.lastVersion);
};

/** The last position of the tenant's log from its last commit; 0 when it has none. */
export const decodeLogHead = (doc: unknown): E.Either<StorageError, number> => {
  if (doc === null) return E.right(0);
  const decoded = LogHeadCodec.decode(doc);
  return E.isLeft(decoded) ? E.left(malformed('commits')) : E.right(decoded.right.lastPosition);
};

export const decodeCheckpoint = (doc: unknown): E.Either<StorageError, number> => {
  const decoded = CheckpointCodec.decode(doc);
  return E.isLeft(decoded) ? E.left(malformed('checkpoints')) : E.right(decoded.right.position);
};

/** The commit of one append, after the stream's version `current` and the log's last position `logHead`. */
export const planCommit = (
  tenant: TenantId,
  stream: StreamId,
  events: readonly PreparedEvent[],
  current: number | null,
  logHead: number,
  recordedAt: string,
): CommitDocument => {
  const firstVersion = (current ?? -1) + 1;
  return {
    tenant,
    stream,
    firstVersion,
    lastVersion: firstVersion + events.length - 1,
    firstPosition: logHead + 1,
    lastPosition: logHead + events.length,
    eventIds: events.map((e) => e.id),
    events: events.map((e) => ({ type: e.type, data: e.dataJson, metadata: e.metadataJson, hash: e.contentHash })),
    recordedAt,
  };
};

/** MongoDB's document limit, less room for field names and ids. */
export const MAX_COMMIT_BYTES = 16 * 1024 * 1024 - 256 * 1024;

/** An upper bound of a commit's BSON size: its payload text plus a generous per-event allowance. */
export const commitSizeBound = (events: readonly PreparedEvent[]): number =>
  events.reduce(
    (sum, e) => sum + Buffer.byteLength(e.dataJson) + Buffer.byteLength(e.metadataJson) + e.type.length + 200,
    1024,
  );
