import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { invalidAt, type InvalidInput, type StorageUnavailable, type TenantId } from '@palisade/core';
import { mapDriverError } from './errors.js';
import { streamNames, type StreamNames } from './stream-names.js';

/*
 * Stream metadata for retention, ready for the retention work: the server
 * hides events beyond `$maxAge` (seconds) or `$maxCount`, or before `$tb`
 * (truncate before), and a scavenge reclaims their space. In this adapter a
 * tenant's events live in its log stream (the per-stream streams hold links),
 * so retention is set on the log: that is what actually removes data.
 */

export interface RetentionPolicy {
  /** Hide events older than this many seconds. */
  readonly maxAgeSeconds?: number;
  /** Keep only the newest this many events. */
  readonly maxCount?: number;
  /** Hide events before this tenant-log position (1-based): the server's `$tb` is position - 1. */
  readonly truncateBeforePosition?: number;
}

/** The client's stream metadata (`maxAge`, `maxCount`, `truncateBefore`, written as `$maxAge`, `$maxCount`, `$tb`). */
export interface RetentionMetadata {
  maxAge?: number;
  maxCount?: number;
  truncateBefore?: number;
}

const positive = (n: number | undefined): boolean => n === undefined || (Number.isSafeInteger(n) && n > 0);

export const retentionMetadata = (policy: RetentionPolicy): E.Either<InvalidInput, RetentionMetadata> => {
  if (!positive(policy.maxAgeSeconds)) return E.left(invalidAt('maxAgeSeconds', 'must be a positive integer'));
  if (!positive(policy.maxCount)) return E.left(invalidAt('maxCount', 'must be a positive integer'));
  if (!positive(policy.truncateBeforePosition)) {
    return E.left(invalidAt('truncateBeforePosition', 'must be a positive integer'));
  }
  const metadata: RetentionMetadata = {};
  if (policy.maxAgeSeconds !== undefined) metadata.maxAge = policy.maxAgeSeconds;
  if (policy.maxCount !== undefined) metadata.maxCount = policy.maxCount;
  if (policy.truncateBeforePosition !== undefined) metadata.truncateBefore = policy.truncateBeforePosition - 1;
  return E.right(metadata);
};

/** Where a tenant's retention is set: its log stream, and the metadata to set on it. */
export const tenantRetention = (
  names: StreamNames,
  tenant: TenantId,
  policy: RetentionPolicy,
): E.Either<InvalidInput, { readonly stream: string; readonly metadata: RetentionMetadata }> =>
  E.map((metadata: RetentionMetadata) => ({ stream: names.log(tenant), metadata }))(retentionMetadata(policy));

/** Sets a tenant's retention on the server (the metadata of its log stream). */
export const applyTenantRetention =
  (
    client: Pick<EventStoreDBClient, 'setStreamMetadata'>,
    tenant: TenantId,
    policy: RetentionPolicy,
    namespace: string | null = null,
  ): TE.TaskEither<InvalidInput | StorageUnavailable, void> =>
  async () => {
    const target = tenantRetention(streamNames(namespace), tenant, policy);
    if (E.isLeft(target)) return target;
    try {
      const metadata: Record<string, number> = { ...target.right.metadata };
      await client.setStreamMetadata(target.right.stream, metadata);
      return E.right(undefined);
    } catch (e) {
      return E.left(mapDriverError('set retention', e));
    }
  };
