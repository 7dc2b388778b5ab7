import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  EventId,
  EventType,
  Json,
  JsonObjectCodec,
  ReadableStreamId,
  storageUnavailable,
  type ExistingEvent,
  type PreparedEvent,
  type RecordedEvent,
  type StorageError,
  type StreamId,
  type TenantId,
} from '@palisade/core';

/*
 * What one Palisade event looks like in the tenant's log stream, and how a
 * record read back is checked. The server event keeps Palisade's id, type and
 * data (as JSON, so the server's projections and UI can read them); the
 * metadata is an envelope holding the stream, version, content hash and the
 * user's metadata. Records read back are a boundary: decoded, never trusted.
 */

export const ADAPTER = 'eventstore';

const NonNegative = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');

const Envelope = t.intersection([
  t.type({
    palisade: t.literal(1),
    stream: ReadableStreamId,
    version: NonNegative,
    hash: t.string,
    recordedAt: t.string,
    metadata: JsonObjectCodec,
  }),
  t.partial({ generatedId: t.boolean }),
]);
type Envelope = t.TypeOf<typeof Envelope>;

/** The fields of a server event record this adapter reads (structurally the client's RecordedEvent). */
export interface ServerRecord {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** What the adapter hands the client to append: a JSON event with its own id. */
export interface JsonEventData {
  readonly id: string;
  readonly contentType: 'application/json';
  readonly type: string;
  readonly data: never;
  readonly metadata: Record<string, unknown>;
}

export const malformed = (what: string): StorageError =>
  storageUnavailable(ADAPTER, `a stored event in ${what} is malformed`, false);

/**
 * The log record of an event. The client serialises `data` with JSON.stringify,
 * which gives back core's `dataJson` exactly (it is JSON.stringify of the same
 * value). `$correlationId` and `$causationId` are copied where given, so the
 * server's `$by_correlation_id` projection works.
 */
export const toLogEvent = (
  event: PreparedEvent,
  stream: StreamId,
  version: number,
  recordedAt: string,
): JsonEventData => {
  const envelope: Record<string, unknown> = {
    palisade: 1,
    stream,
    version,
    hash: event.contentHash,
    recordedAt,
    metadata: event.metadata,
  };
  if (event.idGenerated === true) envelope.generatedId = true;
  const { correlationId, causationId } = event.metadata;
  if (typeof correlationId === 'string') envelope.$correlationId = correlationId;
  if (typeof causationId === 'string') envelope.$causationId = causationId;
  return {
    id: event.id,
    contentType: 'application/json',
    type: event.type,
    data: event.data as never,
    metadata: envelope,
  };
};

/** The log records of one append: versions continue the stream. */
export const planLogEvents = (
  events: readonly PreparedEvent[],
  stream: StreamId,
  current: number | null,
  recordedAt: string,
): JsonEventData[] => events.map((e, i) => toLogEvent(e, stream, (current ?? -1) + 1 + i, recordedAt));

/**
 * Positions of an appended batch, from the log's revision after it: the log
 * holds every event of the tenant, so position = revision + 1 (gap-free, from 1).
 */
export const positionsAfterAppend = (nextExpectedRevision: bigint, count: number): number[] => {
  const last = Number(nextExpectedRevision) + 1;
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
};

interface DecodedLogRecord {
  readonly event: RecordedEvent;
  readonly envelope: Envelope;
}

const decodeLogRecord = (
  record: unknown,
  tenant: TenantId,
  logStream: string,
): E.Either<StorageError, DecodedLogRecord> => {
  const bad = E.left(malformed(`the log of tenant ${tenant}`));
  if (typeof record !== 'object' || record === null) return bad;
  const r = record as Partial<ServerRecord>;
  if (r.streamId !== logStream || typeof r.revision !== 'bigint' || r.isJson !== true) return bad;
  if (!EventId.is(r.id) || !EventType.is(r.type) || !Json.is(r.data)) return bad;
  const envelope = Envelope.decode(r.metadata);
  if (E.isLeft(envelope)) return bad;
  const position = Number(r.revision) + 1;
  if (!Number.isSafeInteger(position)) return bad;
  const env = envelope.right;
  return E.right({
    envelope: env,
    event: {
      id: r.id,
      tenant,
      stream: env.stream,
      version: env.version,
      position,
      type: r.type,
      data: r.data,
      metadata: env.metadata,
      recordedAt: env.recordedAt,
    },
  });
};

/** A log record of `tenant` as a Palisade event; anything else (another tenant's log included) is refused. */
export const decodeLogEvent = (
  record: unknown,
  tenant: TenantId,
  logStream: string,
): E.Either<StorageError, RecordedEvent> =>
  E.map((d: DecodedLogRecord) => d.event)(decodeLogRecord(record, tenant, logStream));

/** What the idempotency rules need of a stored event. */
export const decodeExisting = (
  record: unknown,
  tenant: TenantId,
  logStream: string,
): E.Either<StorageError, ExistingEvent> =>
  E.map((d: DecodedLogRecord) => ({
    id: d.event.id,
    stream: d.event.stream,
    version: d.event.version,
    position: d.event.position,
    contentHash: d.envelope.hash,
  }))(decodeLogRecord(record, tenant, logStream));

/** The part of a log record that mirroring needs: where the event belongs. */
export interface LogEntry {
  readonly revision: number;
  readonly stream: StreamId;
  readonly version: number;
  readonly id: EventId;
  readonly generatedId: boolean;
}

export const decodeLogEntry = (
  record: unknown,
  tenant: TenantId,
  logStream: string,
): E.Either<StorageError, LogEntry> =>
  E.map((d: DecodedLogRecord) => ({
    revision: d.event.position - 1,
    stream: d.event.stream,
    version: d.event.version,
    id: d.event.id,
    generatedId: d.envelope.generatedId === true,
  }))(decodeLogRecord(record, tenant, logStream));

/** A link event (`$>`) pointing at a log revision: how the server indexes one event in another stream. */
export const linkTo = (logStream: string, revision: number) => ({
  type: '$>',
  data: new TextEncoder().encode(`${revision}@${logStream}`),
});

const CheckpointRecord = t.type({ position: NonNegative });
const CursorRecord = t.type({
  revision: t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= -1, 'Revision'),
});
const StreamsRecord = t.type({ stream: ReadableStreamId });

const decodeData =
  <A>(codec: t.Decoder<unknown, A>, what: string) =>
  (record: unknown): E.Either<StorageError, A> => {
    const data = typeof record === 'object' && record !== null ? (record as { data?: unknown }).data : undefined;
    const decoded = codec.decode(data);
    return E.isLeft(decoded) ? E.left(malformed(what)) : E.right(decoded.right);
  };

export const decodeCheckpoint = (record: unknown): E.Either<StorageError, number> =>
  E.map((c: { position: number }) => c.position)(decodeData(CheckpointRecord, 'a checkpoint stream')(record));
export const decodeCursor = (record: unknown): E.Either<StorageError, number> =>
  E.map((c: { revision: number }) => c.revision)(decodeData(CursorRecord, 'a mirror cursor stream')(record));
export const decodeStreamsEntry = (record: unknown): E.Either<StorageError, StreamId> =>
  E.map((c: { stream: StreamId }) => c.stream)(decodeData(StreamsRecord, 'a stream list')(record));
