import * as E from 'fp-ts/lib/Either.js';
import { decodeWith, invalidAt, type InvalidInput, type ReadError, type TenantEventStore } from '@palisade/core';
import * as t from 'io-ts';
import { AuditEntryData, type AuditRecord } from './entry.js';
import { readAuditLog } from './export.js';

const Time = t.refinement(t.string, (s) => !Number.isNaN(Date.parse(s)), 'IsoTime');

export const AuditQuery = t.partial(
  {
    /** An action (`event.append`) or a prefix ending in `*` (`policy.*`). */
    action: t.string,
    actor: t.string,
    outcome: t.string,
    /** From this time, inclusive (ISO-8601). */
    from: Time,
    /** Until this time, exclusive. */
    to: Time,
    /** At most this many results (default 1,000). */
    limit: t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0 && n <= 100_000, 'Limit'),
  },
  'AuditQuery',
);
export type AuditQuery = t.TypeOf<typeof AuditQuery>;

export interface AuditQueryResult {
  readonly entries: readonly (AuditRecord & { readonly entry: AuditEntryData })[];
  /** True when more entries matched than `limit`. */
  readonly truncated: boolean;
}

/** Builds the predicate of a decoded query. */
export const auditFilter = (q: AuditQuery): ((e: AuditEntryData) => boolean) => {
  const from = q.from === undefined ? -Infinity : Date.parse(q.from);
  const to = q.to === undefined ? Infinity : Date.parse(q.to);
  const action = q.action;
  const matchAction =
    action === undefined
      ? () => true
      : action.endsWith('*')
        ? (a: string) => a.startsWith(action.slice(0, -1))
        : (a: string) => a === action;
  return (e) => {
    const at = Date.parse(e.at);
    return (
      matchAction(e.action) &&
      (q.actor === undefined || e.actor === q.actor) &&
      (q.outcome === undefined || e.outcome === q.outcome) &&
      at >= from &&
      at < to
    );
  };
};

/**
 * Finds entries of the tenant's audit log by action, actor, outcome and time
 * range, oldest first. Scans the log (it is read in pages); entries carry
 * their own time, written by the auditor, not the storage's.
 */
export const queryAuditLog = async (
  scope: TenantEventStore,
  query: unknown,
): Promise<E.Either<InvalidInput | ReadError, AuditQueryResult>> => {
  const decoded = decodeWith(AuditQuery, 'query')(query);
  if (E.isLeft(decoded)) return decoded;
  const q = decoded.right;
  if (q.from !== undefined && q.to !== undefined && Date.parse(q.from) >= Date.parse(q.to)) {
    return E.left(invalidAt('query.to', 'must be later than query.from'));
  }
  const limit = q.limit ?? 1000;
  const matches = auditFilter(q);
  const entries: (AuditRecord & { entry: AuditEntryData })[] = [];
  for await (const record of readAuditLog(scope)) {
    if (E.isLeft(record)) return record;
    const entry = AuditEntryData.decode(record.right.data);
    if (E.isLeft(entry) || !matches(entry.right)) continue;
    if (entries.length === limit) return E.right({ entries, truncated: true });
    entries.push({ ...record.right, entry: entry.right });
  }
  return E.right({ entries, truncated: false });
};
