/*
 * Collections and indexes. Every unique index starts with `tenant`: no query
 * can reach a document without naming its tenant, and in a sharded cluster
 * every unique index is prefixed by the shard key `{ tenant: 1 }`, which
 * MongoDB requires of unique indexes on sharded collections.
 */

export interface CollectionNames {
  readonly events: string;
  readonly streams: string;
  readonly tenants: string;
  readonly checkpoints: string;
}

export const collectionNames = (prefix: string): CollectionNames => ({
  events: `${prefix}events`,
  streams: `${prefix}streams`,
  tenants: `${prefix}tenants`,
  checkpoints: `${prefix}checkpoints`,
});

export interface IndexSpec {
  readonly collection: keyof CollectionNames;
  readonly name: string;
  readonly key: Readonly<Record<string, 1>>;
}

export const INDEXES: readonly IndexSpec[] = [
  // A stream's versions: the optimistic-concurrency wall and the readStream index.
  { collection: 'events', name: 'tenant_stream_version', key: { tenant: 1, stream: 1, version: 1 } },
  // Event ids are unique per tenant: the idempotency lookup and the wall behind it.
  { collection: 'events', name: 'tenant_event_id', key: { tenant: 1, eventId: 1 } },
  // The tenant log: readLog's index, and a wall against two events at one position.
  { collection: 'events', name: 'tenant_position', key: { tenant: 1, position: 1 } },
  { collection: 'streams', name: 'tenant_stream', key: { tenant: 1, stream: 1 } },
  { collection: 'tenants', name: 'tenant', key: { tenant: 1 } },
  { collection: 'checkpoints', name: 'tenant_subscriber', key: { tenant: 1, subscriber: 1 } },
];

/** Which unique index a duplicate-key error names, if it is one of ours. */
export type UniqueIndexName = (typeof INDEXES)[number]['name'];
