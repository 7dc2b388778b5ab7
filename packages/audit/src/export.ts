import * as E from 'fp-ts/lib/Either.js';
import type { JsonObject, JsonValue, ReadError, TenantEventStore } from '@palisade/core';
import { canonicalJson } from './canonical-json.js';
import { csvRow } from './csv.js';
import { AUDIT_STREAM, FORMAT, checkpointStatement, entryHash, genesisHash, type AuditRecord } from './entry.js';
import type { AuditSigner } from './signing.js';

export const EXPORT_FORMAT = `${FORMAT}/export`;

/** The lines of an export, in order: one header, every entry, one seal. */
export type ExportLine =
  | {
      readonly kind: 'header';
      readonly format: string;
      readonly tenant: string;
      readonly exportedAt: string;
    }
  | ({ readonly kind: 'entry' } & AuditRecord)
  | {
      readonly kind: 'seal';
      readonly tenant: string;
      /** The last entry's sequence number, -1 for an empty log. */
      readonly seq: number;
      readonly head: string;
      /** Equal to the header's `exportedAt`. */
      readonly at: string;
      readonly keyId: string;
      readonly signature: string;
    };

export const CSV_COLUMNS = ['kind', 'seq', 'at', 'actor', 'action', 'outcome', 'id', 'type', 'record'] as const;

/** Reads the tenant's audit log in order, a page at a time. */
export async function* readAuditLog(
  scope: TenantEventStore,
  pageSize = 1000,
): AsyncGenerator<E.Either<ReadError, AuditRecord>> {
  let from = 0;
  for (;;) {
    const page = await scope.readStream(AUDIT_STREAM, { fromVersion: from, limit: pageSize })();
    if (E.isLeft(page)) {
      yield page;
      return;
    }
    for (const e of page.right) {
      yield E.right({ seq: e.version, id: e.id, type: e.type, data: e.data, metadata: e.metadata });
    }
    if (page.right.length < pageSize) return;
    // Versions may have gaps where retention purged entries: continue after the last one read.
    from = page.right[page.right.length - 1]!.version + 1;
  }
}

/**
 * Writes the tenant's audit log as export lines: a header, every entry, and a
 * seal: a signature over the last entry's hash, so that cutting lines off the
 * end of the file is detected. Without a signer, there is no seal and a
 * verifier can only check the chain and the stored checkpoints.
 */
export const exportAuditLog = async (
  scope: TenantEventStore,
  options: { readonly signer?: AuditSigner; readonly now?: () => Date },
  write: (line: ExportLine) => void | Promise<void>,
): Promise<E.Either<ReadError, { readonly entries: number; readonly sealed: boolean }>> => {
  const exportedAt = (options.now?.() ?? new Date()).toISOString();
  await write({ kind: 'header', format: EXPORT_FORMAT, tenant: scope.tenant, exportedAt });
  let seq = -1;
  let head = genesisHash(scope.tenant);
  // Counted, not taken from `seq`: retention may have purged the oldest entries.
  let entries = 0;
  for await (const record of readAuditLog(scope)) {
    if (E.isLeft(record)) return record;
    await write({ kind: 'entry', ...record.right });
    entries++;
    seq = record.right.seq;
    head = entryHash(scope.tenant, record.right);
  }
  const signer = options.signer;
  if (signer !== undefined) {
    await write({
      kind: 'seal',
      tenant: scope.tenant,
      seq,
      head,
      at: exportedAt,
      keyId: signer.keyId,
      signature: signer.sign(checkpointStatement(scope.tenant, seq, head, exportedAt)),
    });
  }
  return E.right({ entries, sealed: signer !== undefined });
};

/** One JSON Lines line (canonical JSON, so byte-for-byte reproducible). */
export const jsonlLine = (line: ExportLine): string => `${canonicalJson(line as unknown as JsonValue)}\n`;

/**
 * One CSV row: the columns a spreadsheet filters on, and `record`, the line's
 * full JSON, which is what a verifier checks (the columns must agree with it).
 */
export const csvLine = (line: ExportLine): string => csvRow(csvFields(line));

export const csvHeader = (): string => csvRow([...CSV_COLUMNS]);

/** The flat columns of a line, derived from the record. */
export const csvFields = (line: ExportLine): string[] => {
  const record = canonicalJson(line as unknown as JsonValue);
  if (line.kind !== 'entry') {
    return [
      line.kind,
      line.kind === 'seal' ? String(line.seq) : '',
      line.kind === 'seal' ? line.at : line.exportedAt,
      '',
      '',
      '',
      '',
      '',
      record,
    ];
  }
  const data = isObject(line.data) ? line.data : {};
  const str = (k: string): string => (typeof data[k] === 'string' ? data[k] : '');
  return [
    'entry',
    String(line.seq),
    str('at'),
    str('actor'),
    str('action'),
    str('outcome'),
    line.id,
    line.type,
    record,
  ];
};

const isObject = (v: JsonValue): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
