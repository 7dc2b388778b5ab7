import * as t from 'io-ts';

/*
 * Identifiers are branded: the only way to get a TenantId, StreamId or EventType
 * is to decode a string through these codecs, so a raw string can never be
 * passed where a validated id is required.
 */

const pattern = (re: RegExp, max: number) => (s: string) => s.length <= max && re.test(s);

export interface TenantIdBrand {
  readonly TenantId: unique symbol;
}
/**
 * Lower-case letters, digits, `-` and `_`, 1 to 64 characters, starting with a
 * letter or digit. Lower case only, so that no two tenants differ only by case
 * in a store that compares case-insensitively.
 */
export const TenantId = t.brand(
  t.string,
  (s): s is t.Branded<string, TenantIdBrand> => pattern(/^[a-z0-9][a-z0-9_-]*$/, 64)(s),
  'TenantId',
);
export type TenantId = t.TypeOf<typeof TenantId>;

export interface StreamIdBrand {
  readonly StreamId: unique symbol;
}
/**
 * Letters, digits and `. _ : @ + = / -`, 1 to 200 characters, starting with a
 * letter or digit. The category of `order-42` is `order` (the text before the
 * first `-`). Names starting with `$` are reserved for system streams.
 */
export const StreamId = t.brand(
  t.string,
  (s): s is t.Branded<string, StreamIdBrand> => pattern(/^[A-Za-z0-9][A-Za-z0-9._:@+=/-]*$/, 200)(s),
  'StreamId',
);
export type StreamId = t.TypeOf<typeof StreamId>;

const SYSTEM_STREAM = /^\$[a-z][a-z0-9-]{0,62}$/;

/**
 * A system stream of a tenant (`$audit`, `$purges`): written only by Palisade
 * itself through `appendToSystemStream`, readable by the tenant like any other.
 * Adapters store it like any stream; the `$` keeps it out of reach of user appends.
 */
export const SystemStreamId: t.Type<StreamId, string, unknown> = new t.Type<StreamId, string, unknown>(
  'SystemStreamId',
  (u): u is StreamId => typeof u === 'string' && SYSTEM_STREAM.test(u),
  (u, c) => (typeof u === 'string' && SYSTEM_STREAM.test(u) ? t.success(u as StreamId) : t.failure(u, c)),
  (a) => a,
);

/** The system stream `$<name>`; `name` is lower-case letters, digits and `-`. Throws on a bad name (a bug). */
export const systemStream = (name: string): StreamId => {
  const id = `$${name}`;
  if (!SYSTEM_STREAM.test(id)) throw new TypeError(`bad system stream name ${JSON.stringify(name)}`);
  return id as StreamId;
};

export const isSystemStream = (stream: string): boolean => stream.startsWith('$');

/** A stream a tenant may read: its own streams and its system streams. */
export const ReadableStreamId = t.union([StreamId, SystemStreamId], 'StreamId');
export type ReadableStreamId = t.TypeOf<typeof ReadableStreamId>;

export interface EventTypeBrand {
  readonly EventType: unique symbol;
}
/** A letter, then letters, digits and `. _ : -`, at most 128 characters. */
export const EventType = t.brand(
  t.string,
  (s): s is t.Branded<string, EventTypeBrand> => pattern(/^[A-Za-z][A-Za-z0-9._:-]*$/, 128)(s),
  'EventType',
);
export type EventType = t.TypeOf<typeof EventType>;

export interface EventIdBrand {
  readonly EventId: unique symbol;
}
/** A UUID in canonical lower-case form. */
export const EventId = t.brand(
  t.string,
  (s): s is t.Branded<string, EventIdBrand> => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s),
  'EventId',
);
export type EventId = t.TypeOf<typeof EventId>;

export interface SubscriberIdBrand {
  readonly SubscriberId: unique symbol;
}
/** Same rules as a tenant id, up to 128 characters. */
export const SubscriberId = t.brand(
  t.string,
  (s): s is t.Branded<string, SubscriberIdBrand> => pattern(/^[a-z0-9][a-z0-9._:-]*$/i, 128)(s),
  'SubscriberId',
);
export type SubscriberId = t.TypeOf<typeof SubscriberId>;

/** The category of a stream: the text before its first `-`, or the whole id. */
export const categoryOf = (stream: StreamId): string => {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
};
