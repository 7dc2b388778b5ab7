import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  EventId,
  EventType,
  ReadableStreamId,
  StoredInt,
  TenantId,
  storedRowDecoders,
  type RecordedEvent,
  type StorageError,
  type StoredState,
} from '@palisade/core';

/*
 * Stored rows are a boundary too: a file edited by hand or written by another
 * version must not hand a reader something that is not an event. The shared
 * decoders live in core; this module knows SQLite's column order and that it
 * keeps times as ISO text.
 */

const rows = storedRowDecoders('sqlite');

/** An events row in raw (array) form, in the order of EVENT_COLUMNS, checked column by column by its codec. */
type EventRow = [TenantId, number, ReadableStreamId, number, EventId, EventType, string, string, string];
const EVENT_ROW_COLUMNS: readonly t.Is<unknown>[] = [
  TenantId.is,
  StoredInt.is,
  ReadableStreamId.is,
  StoredInt.is,
  EventId.is,
  EventType.is,
  t.string.is,
  t.string.is,
  t.string.is,
];
const isEventRow = (row: unknown): row is EventRow =>
  Array.isArray(row) && row.length === EVENT_ROW_COLUMNS.length && EVENT_ROW_COLUMNS.every((is, i) => is(row[i]));

/** Decodes a row read for `expectedTenant`; a row of any other tenant is refused as malformed (a second wall). */
export const decodeEventRow = (row: unknown, expectedTenant: TenantId): E.Either<StorageError, RecordedEvent> => {
  if (!isEventRow(row) || row[0] !== expectedTenant) return E.left(rows.malformed('events'));
  const [tenant, position, stream, version, id, type, dataJson, metadataJson, recordedAt] = row;
  return rows.event({ id, tenant, stream, version, position, type, dataJson, metadataJson, recordedAt });
};

export const decodeExistingRow = rows.existing;
export const decodeStreamRow = rows.stream;
export const decodeExpiredRow = rows.expired;
export const decodeAll = rows.all;

const StateRow = t.type({
  state: t.string,
  position: t.number,
  purged_at: t.union([t.string, t.null]),
  revision: t.number,
  updated_at: t.string,
});

export const decodeStateRow = (row: unknown): E.Either<StorageError, StoredState> => {
  const decoded = StateRow.decode(row);
  if (E.isLeft(decoded)) return E.left(rows.malformed('states'));
  const r = decoded.right;
  return rows.state({
    state: r.state,
    position: r.position,
    purgedAt: r.purged_at,
    revision: r.revision,
    updatedAt: r.updated_at,
  });
};
