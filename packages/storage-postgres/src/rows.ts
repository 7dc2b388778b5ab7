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
import { ADAPTER } from './errors.js';

/*
 * Stored rows are a boundary: a row written by hand, by another version or by a
 * tool that bypassed the adapter must not reach a reader as an event.
 */

const rows = storedRowDecoders(ADAPTER);
const Int = StoredInt;

/** The columns every event read selects, in this order (rows come back as arrays). */
export const EVENT_COLUMNS =
  'tenant_id, position, stream_id, version, event_id, type, data, metadata, (extract(epoch FROM recorded_at) * 1000)::float8';

type EventRow = [TenantId, number, ReadableStreamId, number, EventId, EventType, string, string, number];
const EVENT_ROW_COLUMNS: readonly t.Is<unknown>[] = [
  TenantId.is,
  Int.is,
  ReadableStreamId.is,
  Int.is,
  EventId.is,
  EventType.is,
  t.string.is,
  t.string.is,
  t.number.is,
];
const isEventRow = (row: unknown): row is EventRow =>
  Array.isArray(row) && row.length === EVENT_ROW_COLUMNS.length && EVENT_ROW_COLUMNS.every((is, i) => is(row[i]));

const VersionRow = t.type({ version: Int });
const PositionRow = t.type({ position: Int });

export const malformed = rows.malformed;

/** Decodes an event row read for `expectedTenant`; a row of another tenant is refused (a third wall). */
export const decodeEventRow = (row: unknown, expectedTenant: TenantId): E.Either<StorageError, RecordedEvent> => {
  if (!isEventRow(row) || row[0] !== expectedTenant) return E.left(malformed('events'));
  const [tenant, position, stream, version, id, type, dataJson, metadataJson, recordedAtMs] = row;
  const recorded = new Date(Math.round(recordedAtMs));
  if (Number.isNaN(recorded.getTime())) return E.left(malformed('events'));
  const recordedAt = recorded.toISOString();
  return rows.event({ id, tenant, stream, version, position, type, dataJson, metadataJson, recordedAt });
};

export const decodeExistingRow = rows.existing;
export const decodeStreamRow = rows.stream;

/** A `{ version }` row; -1 is the placeholder of a stream created by the running append. */
export const decodeVersion = (row: unknown, table: string): E.Either<StorageError, number> => {
  const decoded = VersionRow.decode(row);
  return E.isLeft(decoded) ? E.left(malformed(table)) : E.right(decoded.right.version);
};

export const decodePosition = (row: unknown, table: string): E.Either<StorageError, number> => {
  const decoded = PositionRow.decode(row);
  return E.isLeft(decoded) ? E.left(malformed(table)) : E.right(decoded.right.position);
};

export const decodeAll = rows.all;

/** The columns a state read selects. */
export const STATE_COLUMNS =
  'state, position, purged_at, revision, (extract(epoch FROM updated_at) * 1000)::float8 AS updated_at_ms';

const StateRow = t.type({
  state: t.string,
  position: Int,
  purged_at: t.union([t.string, t.null]),
  revision: Int,
  updated_at_ms: t.number,
});

export const decodeStateRow = (row: unknown): E.Either<StorageError, StoredState> => {
  const decoded = StateRow.decode(row);
  if (E.isLeft(decoded)) return E.left(malformed('states'));
  const r = decoded.right;
  const updated = new Date(Math.round(r.updated_at_ms));
  if (Number.isNaN(updated.getTime())) return E.left(malformed('states'));
  return rows.state({
    state: r.state,
    position: r.position,
    purgedAt: r.purged_at,
    revision: r.revision,
    updatedAt: updated.toISOString(),
  });
};

export const decodeExpiredRow = rows.expired;

const DeletedRow = t.type({ stream_id: ReadableStreamId, version: Int });

/** A row a purge deleted: its stream and version. */
export const decodeDeletedRow = (
  row: unknown,
): E.Either<StorageError, { readonly stream: ReadableStreamId; readonly version: number }> => {
  const decoded = DeletedRow.decode(row);
  return E.isLeft(decoded)
    ? E.left(malformed('events'))
    : E.right({ stream: decoded.right.stream_id, version: decoded.right.version });
};

const TotalsRow = t.type({ events: Int, streams: Int });

export const decodeTotalsRow = (row: unknown): E.Either<StorageError, { events: number; streams: number }> => {
  const decoded = TotalsRow.decode(row);
  return E.isLeft(decoded) ? E.left(malformed('events')) : E.right(decoded.right);
};
