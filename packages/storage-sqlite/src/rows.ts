import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  EventId,
  EventType,
  StreamId,
  TenantId,
  storageUnavailable,
  type ExistingEvent,
  type JsonObject,
  type JsonValue,
  type RecordedEvent,
  type StorageError,
  type StreamInfo,
} from '@palisade/core';

/*
 * Stored rows are a boundary too: a file edited by hand or written by another
 * version must not hand a reader something that is not an event.
 */

const Int = t.refinement(t.number, Number.isSafeInteger, 'Integer');

const EventRow = t.type({
  tenant_id: TenantId,
  position: Int,
  stream_id: StreamId,
  version: Int,
  event_id: EventId,
  type: EventType,
  data: t.string,
  metadata: t.string,
  recorded_at: t.string,
});

const ExistingRow = t.type({
  event_id: EventId,
  stream_id: StreamId,
  version: Int,
  position: Int,
  content_hash: t.string,
});

const StreamRow = t.type({ stream_id: StreamId, version: Int });

const malformed = (table: string): StorageError =>
  storageUnavailable('sqlite', `a stored row in '${table}' is malformed`, false);

export const decodeEventRow = (row: unknown): E.Either<StorageError, RecordedEvent> => {
  const decoded = EventRow.decode(row);
  if (E.isLeft(decoded)) return E.left(malformed('events'));
  const r = decoded.right;
  let data: JsonValue;
  let metadata: JsonObject;
  try {
    data = JSON.parse(r.data) as JsonValue;
    metadata = JSON.parse(r.metadata) as JsonObject;
  } catch {
    return E.left(malformed('events'));
  }
  return E.right({
    id: r.event_id,
    tenant: r.tenant_id,
    stream: r.stream_id,
    version: r.version,
    position: r.position,
    type: r.type,
    data,
    metadata,
    recordedAt: r.recorded_at,
  });
};

export const decodeExistingRow = (row: unknown): E.Either<StorageError, ExistingEvent> => {
  const decoded = ExistingRow.decode(row);
  if (E.isLeft(decoded)) return E.left(malformed('events'));
  const r = decoded.right;
  return E.right({ id: r.event_id, stream: r.stream_id, version: r.version, position: r.position, contentHash: r.content_hash });
};

export const decodeStreamRow = (row: unknown): E.Either<StorageError, StreamInfo> => {
  const decoded = StreamRow.decode(row);
  return E.isLeft(decoded) ? E.left(malformed('streams')) : E.right({ stream: decoded.right.stream_id, version: decoded.right.version });
};
