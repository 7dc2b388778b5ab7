import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { invalidAt, type AppendError, type ReadError } from '../errors.js';
import type { TenantEventStore } from '../event-store.js';
import { systemStream, type TenantId } from '../ids.js';
import type { PurgedStream } from '../ports.js';
import { MAX_PURGE_BATCH_SIZE } from './settings.js';

/** The tenant's system stream where every purge batch is recorded. */
export const PURGES_STREAM = systemStream('purges');
/** The event type of a purge record. */
export const EVENTS_PURGED = 'EventsPurged';
/** Most streams named in one record or report; the counts always cover all of them. */
export const MAX_LISTED_STREAMS = 100;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface PurgeOptions {
  /** Events older than this many days go. */
  readonly days: number;
  /** Events per delete batch (and per record in `$purges`). */
  readonly batchSize: number;
  /** Show what would go, delete nothing, record nothing. */
  readonly dryRun?: boolean;
  /** The clock; default now. */
  readonly now?: Date;
}

export interface PurgeReport {
  readonly tenant: TenantId;
  readonly dryRun: boolean;
  readonly retentionDays: number;
  /** ISO-8601: events recorded before this went (or would go). */
  readonly cutoff: string;
  /** Events deleted (dry run: that would be deleted). */
  readonly events: number;
  /** Distinct streams that lost events. */
  readonly streamCount: number;
  /** Up to `MAX_LISTED_STREAMS` of them, by id. */
  readonly streams: readonly PurgedStream[];
  /** Delete batches run (0 for a dry run). */
  readonly batches: number;
  /** Projections and snapshots marked as reflecting purged events. */
  readonly marked: number;
}

export type PurgeError = ReadError | AppendError;

/**
 * Purges one tenant: deletes its events older than `days`, batch by batch,
 * until none are left, recording each batch in the tenant's `$purges` stream
 * (counts and stream ids, never content). Safe beside other purgers of the
 * same tenant: each batch deletes and counts only what it removed.
 */
export const purgeTenant = (scope: TenantEventStore, options: PurgeOptions): TE.TaskEither<PurgeError, PurgeReport> => {
  return async () => {
    if (!Number.isSafeInteger(options.days) || options.days < 1) {
      return E.left(invalidAt('days', 'must be a positive integer'));
    }
    if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > MAX_PURGE_BATCH_SIZE) {
      return E.left(invalidAt('batchSize', `must be an integer from 1 to ${MAX_PURGE_BATCH_SIZE}`));
    }
    const now = options.now ?? new Date();
    const before = new Date(now.getTime() - options.days * DAY_MS);
    const base = { tenant: scope.tenant, retentionDays: options.days, cutoff: before.toISOString() };
    const keep = [PURGES_STREAM];

    if (options.dryRun === true) {
      const summary = await scope.summarizeExpired({ before, keep, limit: MAX_LISTED_STREAMS })();
      return E.map((s: { events: number; streamCount: number; streams: readonly PurgedStream[] }) => ({
        ...base,
        dryRun: true,
        events: s.events,
        streamCount: s.streamCount,
        streams: s.streams,
        batches: 0,
        marked: 0,
      }))(summary);
    }

    const perStream = new Map<string, PurgedStream>();
    let events = 0;
    let batches = 0;
    let marked = 0;
    for (;;) {
      const batch = await scope.purgeExpired({ before, limit: options.batchSize, keep })();
      if (E.isLeft(batch)) return batch;
      if (batch.right.deleted === 0) break;
      batches++;
      events += batch.right.deleted;
      marked += batch.right.marked;
      for (const s of batch.right.streams) {
        const seen = perStream.get(s.stream);
        perStream.set(s.stream, {
          stream: s.stream,
          events: (seen?.events ?? 0) + s.events,
          throughVersion: Math.max(seen?.throughVersion ?? -1, s.throughVersion),
        });
      }
      const recorded = await scope.appendToSystemStream(PURGES_STREAM, [
        {
          type: EVENTS_PURGED,
          data: {
            cutoff: base.cutoff,
            retentionDays: options.days,
            events: batch.right.deleted,
            streamCount: batch.right.streams.length,
            streams: batch.right.streams
              .slice(0, MAX_LISTED_STREAMS)
              .map((s) => ({ stream: s.stream, events: s.events, throughVersion: s.throughVersion })),
            marked: batch.right.marked,
          },
          metadata: { actor: 'palisade:retention' },
        },
      ])();
      if (E.isLeft(recorded)) return recorded;
      if (batch.right.deleted < options.batchSize) break;
    }
    const streams = [...perStream.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    return E.right({
      ...base,
      dryRun: false,
      events,
      streamCount: streams.length,
      streams: streams.slice(0, MAX_LISTED_STREAMS),
      batches,
      marked,
    });
  };
};
