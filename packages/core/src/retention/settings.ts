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

const DaysByTenantRecord = t.record(t.string, Days);
/**
 * Days per tenant id. Every key must be a tenant id: a misspelt one is an error
 * naming it (io-ts' own record with a branded key would drop it silently).
 */
const DaysByTenant = new t.Type<Record<TenantId, number | null>, unknown, unknown>(
  'DaysByTenant',
  (u): u is Record<TenantId, number | null> => DaysByTenantRecord.is(u) && Object.keys(u).every(TenantId.is),
  (u, c) => {
    if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
      const bad = Object.keys(u).find((k) => !TenantId.is(k));
      if (bad !== undefined) {
        return t.failure(
          u,
          t.appendContext(c, bad, t.unknown, undefined),
          "is not a tenant id (1 to 64 lower-case letters, digits, '-' or '_')",
        );
      }
    }
    return DaysByTenantRecord.validate(u, c);
  },
  t.identity,
);

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
    tenants: DaysByTenant,
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

/**
 * The parts of the config retention reads: its own section, and `retention_days`
 * from the data policy sections (`data_policy`, `tenants.<id>.data_policy`),
 * which core holds undecoded and @palisade/redaction decodes strictly.
 */
export interface RetentionConfig {
  readonly retention?: RetentionSection;
  readonly data_policy?: Readonly<Record<string, unknown>>;
  readonly tenants?: Readonly<Record<string, unknown>>;
}

/** A policy's `retention_days` when it is a positive integer; anything else is left to the policy's own decoder. */
const policyDays = (policy: unknown): number | undefined => {
  if (typeof policy !== 'object' || policy === null) return undefined;
  const days = (policy as { retention_days?: unknown }).retention_days;
  return typeof days === 'number' && Number.isSafeInteger(days) && days > 0 ? days : undefined;
};

const tenantPolicyDays = (tenants: RetentionConfig['tenants'], tenant: string): number | undefined => {
  if (tenants === undefined || !Object.prototype.hasOwnProperty.call(tenants, tenant)) return undefined;
  const section = tenants[tenant];
  return typeof section === 'object' && section !== null
    ? policyDays((section as { data_policy?: unknown }).data_policy)
    : undefined;
};

/**
 * Reads retention from the (already decoded) config. A tenant's days are, first
 * found: its data policy's `retention_days` (`tenants.<id>.data_policy`), its
 * entry in `retention.tenants` (null: keep forever), the default data policy's
 * `retention_days`, `retention.default_days`. None of them: keep forever.
 */
export const retentionSettings = (config: RetentionConfig): RetentionSettings => {
  const section = config.retention;
  const listed = section?.tenants ?? {};
  const defaultDays = policyDays(config.data_policy) ?? section?.default_days ?? null;
  const named = [...Object.keys(listed), ...Object.keys(config.tenants ?? {})];
  return {
    retentionFor: (tenant) => {
      const fromPolicy = tenantPolicyDays(config.tenants, tenant);
      if (fromPolicy !== undefined) return fromPolicy;
      if (Object.prototype.hasOwnProperty.call(listed, tenant)) return listed[tenant]!;
      return defaultDays;
    },
    tenants: [...new Set(named)].flatMap((k) => {
      const id = TenantId.decode(k);
      return E.isRight(id) ? [id.right] : [];
    }),
    intervalMs: section?.interval_ms ?? DEFAULT_PURGE_INTERVAL_MS,
    batchSize: section?.batch_size ?? DEFAULT_PURGE_BATCH_SIZE,
  };
};
