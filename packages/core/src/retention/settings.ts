import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PositiveInt, strict } from '../codecs.js';
import { TenantId } from '../ids.js';

export const DEFAULT_PURGE_INTERVAL_MS = 60 * 60 * 1000;
export const DEFAULT_PURGE_BATCH_SIZE = 1000;
export const MAX_PURGE_BATCH_SIZE = 10_000;

const BatchSize = t.refinement(PositiveInt, (n) => n <= MAX_PURGE_BATCH_SIZE, 'PurgeBatchSize');
/** Days, or null: keep forever. */
const Days = t.union([PositiveInt, t.null]);

/**
 * The `retention:` config section. `tenants` maps a tenant id to its
 * `retention_days` (null: keep forever); tenants not listed get `default_days`
 * (absent or null: keep forever). A tenant's data policy can feed the same
 * numbers through `RetentionLookup` instead.
 */
export const RetentionSection = strict(
  {},
  {
    interval_ms: PositiveInt,
    batch_size: BatchSize,
    default_days: Days,
    tenants: t.record(TenantId, Days),
  },
  'Retention',
);
export type RetentionSection = t.TypeOf<typeof RetentionSection>;

/** A tenant's retention in days, or null to keep its events forever. */
export type RetentionLookup = (tenant: TenantId) => number | null;

export interface RetentionSettings {
  readonly retentionFor: RetentionLookup;
  /** The tenants the config names; the purger also takes tenants from the host. */
  readonly tenants: readonly TenantId[];
  readonly intervalMs: number;
  readonly batchSize: number;
}

/** Reads the section (already decoded with the rest of the config); absent means keep everything. */
export const retentionSettings = (section: RetentionSection | undefined): RetentionSettings => {
  const tenants = section?.tenants ?? {};
  const defaultDays = section?.default_days ?? null;
  return {
    retentionFor: (tenant) => (Object.prototype.hasOwnProperty.call(tenants, tenant) ? tenants[tenant]! : defaultDays),
    tenants: Object.keys(tenants).flatMap((k) => {
      const id = TenantId.decode(k);
      return E.isRight(id) ? [id.right] : [];
    }),
    intervalMs: section?.interval_ms ?? DEFAULT_PURGE_INTERVAL_MS,
    batchSize: section?.batch_size ?? DEFAULT_PURGE_BATCH_SIZE,
  };
};
