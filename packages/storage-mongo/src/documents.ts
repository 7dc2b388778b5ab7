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
  type StreamInfo,
} from '@palisade/core';

/*
 * The documents this adapter stores, and their codecs. A document read back is
 * a boundary like any input: a collection edited by hand, or written by another
 * version, must not hand a reader something that is not an event.
 *
 * Payloads are kept as the JSON text core serialised (`dataJson`), not as BSON:
 * BSON keys cannot hold NUL, BSON strings cannot hold lone surrogates, and BSON
 * would turn `-0` and `1e21` into other numbers. JSON text round-trips exactly.
 */

const Int = t.refinement(t.number, Number.isSafeInteger, 'Integer');
const NonNegative = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
const Positive = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');

/** One event: one document. */
const EventDocumentCodec = t.type(
  {
    tenant: TenantId,
    stream: ReadableStreamId,
    version: NonNegative,
    position: Positive,
    eventId: EventId,
    type: EventType,
    data: t.string,
    metadata: t.string,
    contentHash: t.string,
    recordedAt: t.string,
  },
  'EventDocument',
);
/** The stored shape of one event (what `EventDocumentCodec` accepts). */
export interface EventDocument {
  readonly tenant: TenantId;
  readonly stream: ReadableStreamId;
  readonly version: number;
  readonly position: number;
  readonly eventId: EventId;
  readonly type: EventType;
  readonly data: string;
  readonly metadata: string;
  readonly contentHash: string;
  readonly recordedAt: string;
}

/** The fields an idempotency check needs, read by event id. */
const ExistingDocumentCodec = t.type({
  eventId: EventId,
  stream: ReadableStreamId,
  version: NonNegative,
  position: Positive,
  contentHash: t.string,
});
export const EXISTING_PROJECTION = { _id: 0, eventId: 1, stream: 1, version: 1, position: 1, contentHash: 1 } as const;

/** A stream's head: its current version, kept beside the events for `streamVersion` and `listStreams`. */
const StreamDocumentCodec = t.type({ tenant: TenantId, stream: ReadableStreamId, version: NonNegative });
export const STREAM_PROJECTION = { _id: 0, tenant: 1, stream: 1, version: 1 } as const;

/** The per-tenant position counter: the last position handed out. */
const CounterDocumentCodec = t.type({ tenant: TenantId, lastPosition: Int });

const CheckpointDocumentCodec = t.type({
  tenant: TenantId,
  subscriber: SubscriberId,
  position: NonNegative,
  updatedAt: t.string,
});

export const malformed = (collection: string): StorageError =>
  storageUnavailable('mongo', `a stored document in '${collection}' is malformed`, false);

/** Decodes an event document read for `expectedTenant`; one of any other tenant is refused (a second wall). */
export const decodeEventDocument = (doc: unknown, expectedTenant: TenantId): E.Either<StorageError, RecordedEvent> => {
  const decoded = EventDocumentCodec.decode(doc);
  if (E.isLeft(decoded) || decoded.right.tenant !== expectedTenant) return E.left(malformed('events'));
  const d = decoded.right;
  let data: JsonValue;
  let metadata: JsonObject;
  try {
    data = JSON.parse(d.data) as JsonValue;
    const parsed = JSON.parse(d.metadata) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return E.left(malformed('events'));
    metadata = parsed as JsonObject;
  } catch {
    return E.left(malformed('events'));
  }
  return E.right({
    id: d.eventId,
    tenant: d.tenant,
    stream: d.stream,
    version: d.version,
    position: d.position,
    type: d.type,
    data,
    metadata,
    recordedAt: d.recordedAt,
  });
};

export const decodeExistingDocument = (doc: unknown): E.Either<StorageError, ExistingEvent> => {
  const decoded = ExistingDocumentCodec.decode(doc);
  if (E.isLeft(decoded)) return E.left(malformed('events'));
  const d = decoded.right;
  return E.right({
    id: d.eventId,
    stream: d.stream,
    version: d.version,
    position: d.position,
    contentHash: d.contentHash,
  });
};

export const decodeStreamDocument = (doc: unknown, expectedTenant: TenantId): E.Either<StorageError, StreamInfo> => {
  const decoded = StreamDocumentCodec.decode(doc);
  return E.isLeft(decoded) || decoded.right.tenant !== expectedTenant
    ? E.left(malformed('streams'))
    : E.right({ stream: decoded.right.stream, version: decoded.right.version });
};

export const decodeCounterDocument = (doc: unknown): E.Either<StorageError, number> => {
  const decoded = CounterDocumentCodec.decode(doc);
  return E.isLeft(decoded) ? E.left(malformed('tenants')) : E.right(decoded.right.lastPosition);
};

export const decodeCheckpointDocument = (doc: unknown): E.Either<StorageError, number> => {
  const decoded = CheckpointDocumentCodec.decode(doc);
  return E.isLeft(decoded) ? E.left(malformed('checkpoints')) : E.right(decoded.right.position);
};

/**
 * The documents of one append: versions continue the stream, positions end at
 * `lastPosition` (the counter after it was raised by `events.length`).
 */
export const planEventDocuments = (
  tenant: TenantId,
  stream: StreamId,
  events: readonly PreparedEvent[],
  current: number | null,
  lastPosition: number,
  recordedAt: string,
): EventDocument[] => {
  const firstVersion = (current ?? -1) + 1;
  const firstPosition = lastPosition - events.length + 1;
  return events.map((event, i) => ({
    tenant,
    stream,
    version: firstVersion + i,
    position: firstPosition + i,
    eventId: event.id,
    type: event.type,
    data: event.dataJson,
    metadata: event.metadataJson,
    contentHash: event.contentHash,
    recordedAt,
  }));
};
