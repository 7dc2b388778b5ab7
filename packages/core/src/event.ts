import * as t from 'io-ts';
import type { StreamId, TenantId } from './ids.js';
import { EventId, EventType } from './ids.js';
import { Json, JsonObjectCodec, type JsonObject, type JsonValue } from './json.js';

/** What a caller appends. `id` is generated when absent; give one to make retries idempotent. */
export const NewEvent = t.intersection(
  [t.type({ type: EventType, data: Json }), t.partial({ id: EventId, metadata: JsonObjectCodec })],
  'NewEvent',
);
export type NewEvent = t.TypeOf<typeof NewEvent>;

/** What callers write before decoding: plain strings, checked at the boundary. */
export interface NewEventInput {
  readonly id?: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata?: JsonObject;
}

/**
 * Well-known metadata keys. Metadata is free for users; these are the ones
 * Palisade reads or writes itself.
 */
export interface KnownMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly actor?: string;
  readonly workflowNode?: string;
}

/** An event as stored and read back. */
export interface RecordedEvent {
  readonly id: EventId;
  readonly tenant: TenantId;
  readonly stream: StreamId;
  /** The event's version within its stream, from 0. */
  readonly version: number;
  /** The event's position in its tenant's log, from 1, strictly increasing in visibility order. */
  readonly position: number;
  readonly type: EventType;
  readonly data: JsonValue;
  readonly metadata: JsonObject;
  /** ISO-8601 UTC time at which the append was committed. */
  readonly recordedAt: string;
}

/**
 * An event ready for storage: validated, id assigned, serialised once, with the
 * content hash that makes idempotent retries checkable.
 */
export interface PreparedEvent {
  readonly id: EventId;
  readonly type: EventType;
  readonly data: JsonValue;
  readonly metadata: JsonObject;
  /** `JSON.stringify(data)`, computed once and stored as is. */
  readonly dataJson: string;
  /** `JSON.stringify(metadata)`, computed once and stored as is. */
  readonly metadataJson: string;
  /** SHA-256 of stream, type, data and metadata: equal content, equal hash. */
  readonly contentHash: string;
  /**
   * True when core generated the id. No stored event can share a fresh random
   * UUID, so an adapter may skip the retry lookup for it (its unique index on
   * (tenant, event id) still guards the impossible collision).
   */
  readonly idGenerated?: boolean;
}

const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');

export const ExpectedVersion = t.union(
  [t.literal('any'), t.literal('no_stream'), t.literal('stream_exists'), NonNegativeInt],
  'ExpectedVersion',
);
export type ExpectedVersion = t.TypeOf<typeof ExpectedVersion>;

export const AppendOptions = t.partial({ expected: ExpectedVersion }, 'AppendOptions');
export interface AppendOptions {
  readonly expected?: ExpectedVersion;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly nextExpectedVersion: number;
  /** The tenant-log position of the last event written. */
  readonly lastPosition: number;
  readonly events: readonly { readonly id: EventId; readonly version: number; readonly position: number }[];
  /** True when this was a retry of an append already written: nothing new was written. */
  readonly idempotentReplay: boolean;
}

export const ReadStreamOptions = t.partial(
  {
    direction: t.union([t.literal('forwards'), t.literal('backwards')]),
    /** First version to read (inclusive); defaults to the start (forwards) or the end (backwards). */
    fromVersion: NonNegativeInt,
    limit: PositiveInt,
  },
  'ReadStreamOptions',
);
export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  readonly fromVersion?: number;
  readonly limit?: number;
}

export const ReadLogOptions = t.partial(
  {
    /** Read events whose position is greater than this; 0 (the default) reads from the start. */
    after: NonNegativeInt,
    limit: PositiveInt,
  },
  'ReadLogOptions',
);
export interface ReadLogOptions {
  readonly after?: number;
  readonly limit?: number;
}

export interface LogPage {
  readonly events: readonly RecordedEvent[];
  /** Pass as `after` to read the next page; equals the input `after` when nothing was read. */
  readonly next: number;
  /** True when this page may not be the last: more events may follow. */
  readonly more: boolean;
}

/**
 * Text compared with stream ids (a prefix, a page's `next`): at most 200 of the characters a stream id may hold
 * (`$` included, for system streams). Anything else could match no stream, and some databases refuse it outright
 * (PostgreSQL rejects NUL in text) with an error that would look like an outage.
 */
const StreamIdText = t.refinement(t.string, (s) => /^[A-Za-z0-9._:@+=/$-]{0,200}$/.test(s), 'StreamIdText');

export const ListStreamsOptions = t.partial(
  {
    /** Only streams whose id starts with this text (a category: `order-`). */
    prefix: StreamIdText,
    /** Resume after this stream id (exclusive), from the previous page's `next`. */
    after: StreamIdText,
    limit: PositiveInt,
  },
  'ListStreamsOptions',
);
export interface ListStreamsOptions {
  readonly prefix?: string;
  readonly after?: string;
  readonly limit?: number;
}

export interface StreamInfo {
  readonly stream: StreamId;
  readonly version: number;
}

export interface StreamPage {
  readonly streams: readonly StreamInfo[];
  /** Pass as `after` for the next page; null when this page is the last. */
  readonly next: string | null;
}

export const DEFAULT_READ_LIMIT = 1000;
export const MAX_READ_LIMIT = 10_000;
