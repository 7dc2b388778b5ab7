import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  EventId,
  EventType,
  ReadableStreamId,
  TenantId,
  storageUnavailable,
  type ExistingEvent,
  type JsonObject,
  type JsonValue,
  type PurgedStream,
  type StoredState,
  type RecordedEvent,
  type StorageError,
  type StreamInfo,
} from '@palisade/core';

/*
 * Stored rows are a boundary too: a file edited by hand or written by another
 * version must not hand a reader something that is not an event.
 */

const Int = t.refinement(t.number, Number.isSafeInteger, 'Integer');

/** An events row in raw (array) form, in the order of EVENT_COLUMNS, checked column by column by its codec. */
type EventRow = [TenantId, number, ReadableStreamId, number, EventId, EventType, string, string, string];
const EVENT_ROW_COLUMNS: readonly t.Is<unknown>[] = [
  TenantId.is,
  Int.is,
  ReadableStreamId.is,
  Int.is,
  EventId.is,
  EventType.is,
  t.string.is,
  t.string.is,
  t.string.is,
];
const isEventRow = (row: unknown): row is EventRow =>
  Array.isArray(row) && row.length === EVENT_ROW_COLUMNS.length && EVENT_ROW_COLUMNS.every((is, i) => is(row[i]));

const ExistingRow = t.type({
  event_id: EventId,
  stream_id: ReadableStreamId,
  version: Int,
  position: Int,
  content_hash: t.string,
});

const StreamRow = t.type({ stream_id: ReadableStreamId, version: Int });

const malformed = (table: string): StorageError =>
  storageUnavailable('sqlite', `a stored row in '${table}' is malformed`, false);

/** Decodes a row read for `expectedTenant`; a row of any other tenant is refused as malformed (a second wall). */
export const decodeEventRow = (row: unknown, expectedTenant: TenantId): E.Either<StorageError, RecordedEvent> => {
  if (!isEventRow(row) || row[0] !== expectedTenant) return E.left(malformed('events'));
  const [tenant, position, stream, version, id, type, dataJson, metadataJson, recordedAt] = row;
  let data: JsonValue;
  let metadata: JsonObject;
  try {
    data = JSON.parse(dataJson) as JsonValue;
    metadata = JSON.parse(metadataJson) as JsonObject;
  } catch {
    return E.left(malformed('events'));
  }
  return E.right({ id, tenant, stream, version, position, type, data, metadata, recordedAt });
};

export const decodeExistingRow = (row: unknown): E.Either<StorageError, ExistingEvent> => {
  const decoded = ExistingRow.decode(row);
  if (E.isLeft(decoded)) return E.left(malformed('events'));
  const r = decoded.right;
  return E.right({
    id: r.event_id,
    stream: r.stream_id,
    version: r.version,
    position: r.position,
    contentHash: r.content_hash,
  });
};

export const decodeStreamRow = (row: unknown): E.Either<StorageError, StreamInfo> => {
  const decoded = StreamRow.decode(row);
  return E.isLeft(decoded)
    ? E.left(malformed('streams'))
    : E.right({ stream: decoded.right.stream_id, version: decoded.right.version });
};

const NullableString = t.union([t.string, t.null]);
const StateRow = t.type({
  state: t.string,
  position: Int,
  purged_at: NullableString,
  revision: Int,
  updated_at: t.string,
});

export const decodeStateRow = (row: unknown): E.Either<StorageError, StoredState> => {
  const decoded = StateRow.decode(row);
  if (E.isLeft(decoded)) return E.left(malformed('states'));
  const r = decoded.right;
  let state: JsonValue;
  try {
    state = JSON.parse(r.state) as JsonValue;
  } catch {
    return E.left(malformed('states'));
  }
  return E.right({
    state,
    position: r.position,
    purgedAt: r.purged_at,
    revision: r.revision,
    updatedAt: r.updated_at,
  });
};

const ExpiredRow = t.type({ stream_id: ReadableStreamId, events: Int, through_version: Int });

export const decodeExpiredRow = (row: unknown): E.Either<StorageError, PurgedStream> => {
  const decoded = ExpiredRow.decode(row);
  return E.isLeft(decoded)
    ? E.left(malformed('events'))
    : E.right({
        stream: decoded.right.stream_id,
        events: decoded.right.events,
        throughVersion: decoded.right.through_version,
      });
};
