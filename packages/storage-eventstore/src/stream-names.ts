import { ReadableStreamId, TenantId, type EventId, type StreamId, type SubscriberId } from '@palisade/core';

/*
 * How a tenant's stream is named in EventStoreDB / KurrentDB.
 *
 * The server's category is the text before the first `-` of a stream name, and
 * the `$by_category` projection groups streams by it. So the tenant goes
 * *after* the category: stream `order-42` of tenant `acme` is `order-acme.42`,
 * and `$ce-order` still means "orders" (of every tenant, for operators).
 *
 *   <category>-<tenant>.<rest>   when the stream id contains `-` (rest may be empty)
 *   <stream>-<tenant>            when it does not
 *
 * Injective and reversible: a category has no `-` (it ends at the first one),
 * and a tenant id (`[a-z0-9][a-z0-9_-]*`) never contains `.`, so the first `.`
 * after the category's dash ends the tenant. Tenants may contain `-`; that is
 * why the separator after the tenant is `.`, not `-`.
 *
 * Palisade's system streams (`$audit`) cannot keep their `$`: EventStoreDB
 * reserves `$` names for its own streams. They get `_` instead (`_audit-acme`);
 * a user stream id never starts with `_`, so the two cannot meet.
 *
 * The adapter's own streams start with `~`, which neither a user stream id nor
 * a system stream can start with: `~log-<tenant>` (the tenant's log),
 * `~mirrored-<tenant>`, `~streams-<tenant>`, `~id-<tenant>.<event id>`,
 * `~checkpoint-<tenant>.<subscriber>`.
 */

export interface TenantStream {
  readonly tenant: TenantId;
  readonly stream: StreamId;
}

/** The server-side name of a tenant's stream (user or system). */
export const encodeStreamName = (tenant: TenantId, stream: StreamId): string => {
  const local = stream.startsWith('$') ? `_${stream.slice(1)}` : stream;
  const dash = local.indexOf('-');
  return dash === -1 ? `${local}-${tenant}` : `${local.slice(0, dash)}-${tenant}.${local.slice(dash + 1)}`;
};

/** The tenant and stream id a server-side name stands for; null for names this encoding never produces. */
export const decodeStreamName = (name: string): TenantStream | null => {
  const dash = name.indexOf('-');
  if (dash <= 0) return null;
  const category = name.slice(0, dash);
  const rest = name.slice(dash + 1);
  const dot = rest.indexOf('.');
  const tenant = dot === -1 ? rest : rest.slice(0, dot);
  const local = dot === -1 ? category : `${category}-${rest.slice(dot + 1)}`;
  const stream = local.startsWith('_') ? `$${local.slice(1)}` : local;
  if (!TenantId.is(tenant) || !ReadableStreamId.is(stream)) return null;
  // Only names that encode back to themselves: no second spelling of a stream.
  return encodeStreamName(tenant, stream) === name ? { tenant, stream } : null;
};

/** The server's category of a name: what `$by_category` puts after `$ce-`. */
export const serverCategoryOf = (name: string): string => {
  const dash = name.indexOf('-');
  return dash === -1 ? name : name.slice(0, dash);
};

/** Namespaces keep several deployments (or test runs) apart on one server: `<namespace>#<name>`. */
export const NAMESPACE = /^[a-z0-9][a-z0-9_]{0,31}$/;

/**
 * Every server-side name one adapter uses. With a namespace, each name is
 * prefixed by `<namespace>#`; `#` appears in no tenant, stream, subscriber or
 * event id, so names of two namespaces (or of none) can never meet.
 */
export interface StreamNames {
  readonly namespace: string | null;
  stream(tenant: TenantId, stream: StreamId): string;
  decode(name: string): TenantStream | null;
  /** The tenant's log: every event of the tenant, in position order (position = revision + 1). */
  log(tenant: TenantId): string;
  /** The last log revision whose events are linked into their streams (see mirror.ts). */
  mirrored(tenant: TenantId): string;
  /** One entry per stream the tenant has created: what listStreams reads. */
  streams(tenant: TenantId): string;
  /** A link to the log event that holds this client-supplied event id: the idempotency index. */
  eventId(tenant: TenantId, id: EventId): string;
  /** A subscriber's durable checkpoint in one tenant. */
  checkpoint(tenant: TenantId, subscriber: SubscriberId): string;
}

export const streamNames = (namespace: string | null = null): StreamNames => {
  const p = namespace === null ? '' : `${namespace}#`;
  return {
    namespace,
    stream: (tenant, stream) => p + encodeStreamName(tenant, stream),
    decode: (name) => (name.startsWith(p) ? decodeStreamName(name.slice(p.length)) : null),
    log: (tenant) => `${p}~log-${tenant}`,
    mirrored: (tenant) => `${p}~mirrored-${tenant}`,
    streams: (tenant) => `${p}~streams-${tenant}`,
    eventId: (tenant, id) => `${p}~id-${tenant}.${id}`,
    checkpoint: (tenant, subscriber) => `${p}~checkpoint-${tenant}.${subscriber}`,
  };
};

/** True for a name of the adapter's own bookkeeping streams. */
export const isInternalStreamName = (name: string): boolean => name.replace(/^[a-z0-9_]*#/, '').startsWith('~');
