import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { ExistingEvent } from './append-rules.js';
import type { RecordedEvent, StreamInfo } from './event.js';
import { storageUnavailable } from './errors.js';
import { EventId, ReadableStreamId, type EventType, type StreamId, type TenantId } from './ids.js';
import type { JsonObject, JsonValue } from './json.js';
import type { PurgedStream, StorageError, StoredState } from './ports.js';

/*
 * Decoders for the rows SQL adapters read back. Stored rows are a boundary:
 * a row edited by hand, written by another version or by a tool that bypassed
 * the adapter must not reach a reader as an event. Adapters keep only what
 * differs between drivers (column order, how times come back).
 */

export const StoredInt = t.refinement(t.number, Number.isSafeInteger, 'Integer');

const ExistingRow = t.type({
  event_id: EventId,
  stream_id: ReadableStreamId,
  version: StoredInt,
  position: StoredInt,
  content_hash: t.string,
});
const StreamRow = t.type({ stream_id: ReadableStreamId, version: StoredInt });
const ExpiredRow = t.type({ stream_id: ReadableStreamId, events: StoredInt, through_version: StoredInt });

export interface StoredRowDecoders {
  /** The error for a row that does not decode: names the table, never the row. */
  readonly malformed: (table: string) => StorageError;
  /** An event's data and metadata from their JSON text; metadata must be an object. */
  readonly payload: (
    dataJson: string,
    metadataJson: string,
  ) => E.Either<StorageError, { readonly data: JsonValue; readonly metadata: JsonObject }>;
  /** An event from columns the adapter has type-checked; parses its payload. */
  readonly event: (columns: {
    readonly id: EventId;
    readonly tenant: TenantId;
    readonly stream: StreamId;
    readonly version: number;
    readonly position: number;
    readonly type: EventType;
    readonly dataJson: string;
    readonly metadataJson: string;
    readonly recordedAt: string;
  }) => E.Either<StorageError, RecordedEvent>;
  /** `{ event_id, stream_id, version, position, content_hash }`: what idempotency checks compare. */
  readonly existing: (row: unknown) => E.Either<StorageError, ExistingEvent>;
  /** `{ stream_id, version }`. */
  readonly stream: (row: unknown) => E.Either<StorageError, StreamInfo>;
  /** `{ stream_id, events, through_version }`: what a purge would take from a stream. */
  readonly expired: (row: unknown) => E.Either<StorageError, PurgedStream>;
  /** A state row whose columns the adapter has read (times as ISO text). */
  readonly state: (row: {
    readonly state: string;
    readonly position: number;
    readonly purgedAt: string | null;
    readonly revision: number;
    readonly updatedAt: string;
  }) => E.Either<StorageError, StoredState>;
  /** Every row decoded, or the first failure. */
  readonly all: <A>(
    rows: readonly unknown[],
    decode: (row: unknown) => E.Either<StorageError, A>,
  ) => E.Either<StorageError, A[]>;
}

/** The stored-row decoders of one adapter; `adapter` names it in errors. */
export const storedRowDecoders = (adapter: string): StoredRowDecoders => {
  const malformed = (table: string): StorageError =>
    storageUnavailable(adapter, `a stored row in '${table}' is malformed`, false);
  const parse = (text: string): E.Either<null, unknown> => {
    try {
      return E.right(JSON.parse(text) as unknown);
    } catch {
      return E.left(null);
    }
  };
  const payload: StoredRowDecoders['payload'] = (dataJson, metadataJson) => {
    const data = parse(dataJson);
    const metadata = parse(metadataJson);
    if (E.isLeft(data) || E.isLeft(metadata)) return E.left(malformed('events'));
    const m = metadata.right;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return E.left(malformed('events'));
    return E.right({ data: data.right as JsonValue, metadata: m as JsonObject });
  };
  return {
    malformed,
    payload,
    event: (c) =>
      E.map(
        // Field order as every adapter returns events (JSON output keeps it).
        ({ data, metadata }: { data: JsonValue; metadata: JsonObject }): RecordedEvent => ({
          id: c.id,
          tenant: c.tenant,
          stream: c.stream,
          version: c.version,
          position: c.position,
          type: c.type,
          data,
          metadata,
          recordedAt: c.recordedAt,
        }),
      )(payload(c.dataJson, c.metadataJson)),
    existing: (row) => {
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
    },
    stream: (row) => {
      const decoded = StreamRow.decode(row);
      return E.isLeft(decoded)
        ? E.left(malformed('streams'))
        : E.right({ stream: decoded.right.stream_id, version: decoded.right.version });
    },
    expired: (row) => {
      const decoded = ExpiredRow.decode(row);
      return E.isLeft(decoded)
        ? E.left(malformed('events'))
        : E.right({
            stream: decoded.right.stream_id,
            events: decoded.right.events,
            throughVersion: decoded.right.through_version,
          });
    },
    state: (row) => {
      const state = parse(row.state);
      if (E.isLeft(state) || !StoredInt.is(row.position) || !StoredInt.is(row.revision)) {
        return E.left(malformed('states'));
      }
      return E.right({
        state: state.right as JsonValue,
        position: row.position,
        purgedAt: row.purgedAt,
        revision: row.revision,
        updatedAt: row.updatedAt,
      });
    },
    all: (rows, decode) => {
      const out = [];
      for (const row of rows) {
        const decoded = decode(row);
        if (E.isLeft(decoded)) return decoded;
        out.push(decoded.right);
      }
      return E.right(out);
    },
  };
};
