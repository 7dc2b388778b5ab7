/*
 * Collections and indexes. Every index starts with `tenant`: no query can reach
 * a document without naming its tenant, and in a sharded cluster every unique
 * index is prefixed by the shard key `{ tenant: 1 }`, which MongoDB requires of
 * unique indexes on sharded collections.
 */

export interface CollectionNames {
  readonly commits: string;
  readonly checkpoints: string;
}

export const collectionNames = (prefix: string): CollectionNames => ({
  commits: `${prefix}commits`,
  checkpoints: `${prefix}checkpoints`,
});

export interface IndexSpec {
  readonly collection: keyof CollectionNames;
  readonly name: string;
  readonly key: Readonly<Record<string, 1>>;
  readonly unique: boolean;
}

export const INDEXES: readonly IndexSpec[] = [
  // A stream's commits tile its versions: two appends at one version cannot both land (optimistic concurrency).
  {
    collection: 'commits',
    name: 'tenant_stream_version',
    key: { tenant: 1, stream: 1, firstVersion: 1 },
    unique: true,
  },
  // The tenant log's commits tile its positions: two appends at one position cannot both land.
  { collection: 'commits', name: 'tenant_position', key: { tenant: 1, firstPosition: 1 }, unique: true },
  // Event ids are unique per tenant (a multikey index: unique across documents).
  { collection: 'commits', name: 'tenant_event_id', key: { tenant: 1, eventIds: 1 }, unique: true },
  // readLog: commits by their last position.
  { collection: 'commits', name: 'tenant_last_position', key: { tenant: 1, lastPosition: 1 }, unique: true },
  // readStream forwards: commits of a stream by their last version.
  {
    collection: 'commits',
    name: 'tenant_stream_last_version',
    key: { tenant: 1, stream: 1, lastVersion: 1 },
    unique: true,
  },
  // listStreams: a stream exists from its first commit (version 0).
  {
    collection: 'commits',
    name: 'tenant_first_version_stream',
    key: { tenant: 1, firstVersion: 1, stream: 1 },
    unique: false,
  },
  { collection: 'checkpoints', name: 'tenant_subscriber', key: { tenant: 1, subscriber: 1 }, unique: true },
];

/** Which index a duplicate-key error names, if it is one of ours. */
export type IndexName = (typeof INDEXES)[number]['name'];
