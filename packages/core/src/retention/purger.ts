import * as E from 'fp-ts/lib/Either.js';
import type { EventStore } from '../event-store.js';
import type { TenantId } from '../ids.js';
import { purgeTenant, type PurgeError, type PurgeReport } from './purge.js';
import type { RetentionLookup } from './settings.js';

export interface RetentionPurgerOptions {
  readonly store: EventStore;
  /** The tenants to look at on each run (the config's, the host's tenant registry, or both). */
  readonly tenants: () => readonly TenantId[] | Promise<readonly TenantId[]>;
  /**
   * A tenant's retention in days, null to keep forever: the data policy's `retention_days`. May answer with a
   * promise (a policy service); a lookup that throws or rejects skips that tenant (see `onLookupError`).
   */
  readonly retentionFor: RetentionLookup | ((tenant: TenantId) => Promise<number | null>);
  readonly intervalMs: number;
  readonly batchSize: number;
  /** The clock; default the system's. */
  readonly now?: () => Date;
  /** Called after each tenant's purge that deleted something. */
  readonly onReport?: (report: PurgeReport) => void;
  /** Called when a tenant's purge fails; the purger carries on with the next tenant and the next run. */
  readonly onError?: (tenant: TenantId, error: PurgeError) => void;
  /**
   * Called when the host's `tenants()` or `retentionFor()` throws (or rejects): the timer's pass ends, or that
   * tenant is skipped, and the purger carries on at the next run instead of crashing the process.
   */
  readonly onLookupError?: (error: unknown) => void;
}

export interface RetentionPurger {
  /** Runs one pass over every tenant now (also what the timer does). */
  runOnce(): Promise<readonly PurgeReport[]>;
  /** Stops the timer and waits for a running pass to end. */
  stop(): Promise<void>;
}

/**
 * The background purge: every `intervalMs`, each tenant with a retention gets
 * its expired events deleted in batches. Several instances may run it at once:
 * each batch is an idempotent delete whose counts cover only what that
 * instance removed, so they share the work and nothing is counted twice.
 */
export const startRetentionPurger = (options: RetentionPurgerOptions): RetentionPurger => {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<readonly PurgeReport[]> | undefined;

  const pass = async (): Promise<readonly PurgeReport[]> => {
    const reports: PurgeReport[] = [];
    for (const tenant of await options.tenants()) {
      if (stopped) break;
      let days: number | null;
      try {
        days = await options.retentionFor(tenant);
      } catch (e) {
        options.onLookupError?.(e);
        continue;
      }
      if (days === null) continue;
      const result = await purgeTenant(options.store.forTenant(tenant), {
        days,
        batchSize: options.batchSize,
        now: options.now?.() ?? new Date(),
      })();
      if (E.isLeft(result)) {
        options.onError?.(tenant, result.left);
        continue;
      }
      reports.push(result.right);
      if (result.right.events > 0) options.onReport?.(result.right);
    }
    return reports;
  };

  const runOnce = (): Promise<readonly PurgeReport[]> => {
    // One pass at a time in this process; other processes are safe by the port's contract.
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce()
        .catch((e: unknown) => options.onLookupError?.(e))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
};
