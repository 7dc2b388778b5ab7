import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Json, JsonObjectCodec } from '@palisade/core';
import { canonicalJson } from './canonical-json.js';
import { parseCsv } from './csv.js';
import {
  AUDIT_STREAM,
  AuditEntryData,
  CHECKPOINT_TYPE,
  CheckpointDetails,
  ENTRY_TYPE,
  checkpointStatement,
  entryHash,
  genesisHash,
} from './entry.js';
import { CSV_COLUMNS, EXPORT_FORMAT, csvFields, type ExportLine } from './export.js';
import { verifySignature, type TrustedKey } from './signing.js';

export type ProblemKind =
  | 'malformed'
  | 'header'
  | 'sequence'
  | 'chain'
  | 'checkpoint'
  | 'signature'
  | 'unknown_key'
  | 'seal'
  | 'unsealed'
  | 'anchor';

/** One thing wrong, by line and sequence number; never quotes content. */
export interface Problem {
  readonly line: number;
  readonly seq?: number;
  readonly kind: ProblemKind;
  readonly message: string;
}

export interface VerifyOptions {
  /** Public keys trusted for checkpoints and seals, by key id. */
  readonly keys: readonly TrustedKey[];
  /** Trust any of `keys` whatever key id a signature names (one key given without an id). */
  readonly anyKeyId?: boolean;
  /** The tenant the log must belong to; default: whatever the header says. */
  readonly tenant?: string;
  /** The input is a full export (header first, seal last). False for a log read from storage. Default true. */
  readonly export?: boolean;
  /**
   * A checkpoint the verifier already trusts (from an earlier export or
   * verification): the log must reach it with the same hash. This is what
   * catches truncation after the last checkpoint in storage.
   */
  readonly anchor?: { readonly seq: number; readonly head: string };
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly tenant: string | null;
  readonly entries: number;
  readonly checkpoints: number;
  /** The last entry's sequence number and hash: keep them as the anchor for the next verification. */
  readonly head: { readonly seq: number; readonly hash: string } | null;
  readonly lastCheckpoint: { readonly seq: number; readonly covers: number; readonly at: string } | null;
  /** Entries after the last checkpoint: covered only by the seal (in an export) or by nothing (in storage). */
  readonly uncheckpointed: number;
  readonly sealed: boolean;
  readonly problems: readonly Problem[];
}

const Seq = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= -1, 'Sequence');
const exact = <P extends t.Props>(props: P, name: string) => t.exact(t.type(props), name);
const HeaderLine = exact(
  { kind: t.literal('header'), format: t.string, tenant: t.string, exportedAt: t.string },
  'HeaderLine',
);
const EntryLine = exact(
  { kind: t.literal('entry'), seq: Seq, id: t.string, type: t.string, data: Json, metadata: JsonObjectCodec },
  'EntryLine',
);
const SealLine = exact(
  {
    kind: t.literal('seal'),
    tenant: t.string,
    seq: Seq,
    head: t.string,
    at: t.string,
    keyId: t.string,
    signature: t.string,
  },
  'SealLine',
);

/** Decodes a line, refusing any key it does not know (an added key is a change, too). */
const decodeLine = (u: unknown): E.Either<string, ExportLine> => {
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return E.left('is not a JSON object');
  const kind = (u as { kind?: unknown }).kind;
  const codec = kind === 'header' ? HeaderLine : kind === 'entry' ? EntryLine : kind === 'seal' ? SealLine : null;
  if (codec === null) return E.left('has an unknown kind');
  const decoded = (codec as t.Type<ExportLine, unknown, unknown>).decode(u);
  if (E.isLeft(decoded)) return E.left(`is not a well-formed ${String(kind)} line`);
  const known = Object.keys(decoded.right);
  if (Object.keys(u).length !== known.length) return E.left(`has keys a ${String(kind)} line does not have`);
  return E.right(decoded.right);
};

/**
 * Checks an audit log, line by line, in one pass and constant memory:
 * - every entry's `seq` follows the one before (from 0) and matches its data,
 * - every entry's `prev` is the hash of the entry before (the genesis hash for 0),
 * - every checkpoint's signature verifies with a trusted key and names the hash it follows,
 * - for an export: the header comes first, and a valid seal last that signs the final hash.
 * Any changed, deleted, inserted, reordered or cut-off line makes at least one of these fail.
 */
export const createVerifier = (options: VerifyOptions) => {
  const isExport = options.export ?? true;
  const problems: Problem[] = [];
  let tenant: string | null = options.tenant ?? null;
  let line = 0;
  let headerSeen = false;
  let exportedAt: string | null = null;
  let expectedSeq = 0;
  let prevHash: string | null = tenant === null ? null : genesisHash(tenant);
  let entries = 0;
  let checkpoints = 0;
  let lastCheckpoint: VerifyReport['lastCheckpoint'] = null;
  let sinceCheckpoint = 0;
  let seal: Extract<ExportLine, { kind: 'seal' }> | null = null;
  let anchorMet = options.anchor === undefined;
  // Retention may have purged the oldest entries: the log then starts later, and an entry of its own must say so.
  let firstSeq: number | null = null;
  let purgedThrough = -1;

  const problem = (kind: ProblemKind, message: string, seq?: number): void => {
    if (problems.length < 1000) problems.push({ line, kind, message, ...(seq !== undefined ? { seq } : {}) });
  };

  const keyFor = (keyId: string): TrustedKey | undefined =>
    options.keys.find((k) => k.keyId === keyId) ?? (options.anyKeyId === true ? options.keys[0] : undefined);

  const checkSignature = (keyId: string, statement: string, signature: string, what: string, seq?: number) => {
    const key = keyFor(keyId);
    if (key === undefined)
      problem('unknown_key', `${what} is signed by key '${keyId.slice(0, 64)}', which is not trusted`, seq);
    else if (!verifySignature(key, statement, signature)) problem('signature', `${what} has an invalid signature`, seq);
  };

  const push = (u: unknown): void => {
    line++;
    const decoded = decodeLine(u);
    if (E.isLeft(decoded)) return problem('malformed', `line ${decoded.left}`);
    const l = decoded.right;
    if (seal !== null) return problem('seal', 'a line follows the seal');
    if (l.kind === 'header') {
      if (!isExport || headerSeen || line !== 1) return problem('header', 'a header where none belongs');
      headerSeen = true;
      if (l.format !== EXPORT_FORMAT) problem('header', `the format is not ${EXPORT_FORMAT}`);
      if (tenant !== null && l.tenant !== tenant) problem('header', 'the export is of another tenant');
      tenant ??= l.tenant;
      prevHash ??= genesisHash(tenant);
      exportedAt = l.exportedAt;
      return;
    }
    if (isExport && !headerSeen) {
      problem('header', 'the export does not start with its header');
      headerSeen = true;
    }
    if (tenant === null) {
      problem('header', 'the tenant is unknown: no header and none given');
      tenant = '';
      prevHash = genesisHash('');
    }
    if (l.kind === 'seal') {
      seal = l;
      return;
    }
    // An entry.
    const seq = l.seq;
    const data = AuditEntryData.decode(l.data);
    if (firstSeq === null) {
      firstSeq = seq;
      // The first entry left after a purge: its `prev` is the hash of a purged entry, taken as given;
      // `finish` checks that a purge recorded in the log covers every entry before it.
      if (seq > 0 && E.isRight(data)) {
        expectedSeq = seq;
        prevHash = data.right.prev;
      }
    }
    if (seq !== expectedSeq) {
      problem('sequence', `expected entry ${expectedSeq}, found ${seq}`, seq);
    }
    if (E.isLeft(data)) problem('malformed', 'the entry data is not a well-formed audit entry', seq);
    else {
      if (data.right.seq !== seq) problem('sequence', `the entry data says seq ${data.right.seq}`, seq);
      if (data.right.prev !== prevHash) problem('chain', 'prev is not the hash of the entry before', seq);
      if (data.right.action === 'retention.purge')
        purgedThrough = Math.max(purgedThrough, auditPurgedThrough(data.right));
    }
    if (l.type !== ENTRY_TYPE && l.type !== CHECKPOINT_TYPE) problem('malformed', 'the entry type is unknown', seq);
    if (l.type === CHECKPOINT_TYPE) {
      checkpoints++;
      const details = E.isRight(data) ? CheckpointDetails.decode(data.right.details) : null;
      if (details === null || E.isLeft(details)) problem('checkpoint', 'the checkpoint details are malformed', seq);
      else if (E.isRight(data)) {
        const d = details.right;
        if (d.covers !== seq - 1 || d.head !== data.right.prev)
          problem('checkpoint', 'the checkpoint names another entry', seq);
        checkSignature(
          d.keyId,
          checkpointStatement(tenant, d.covers, d.head, data.right.at),
          d.signature,
          'the checkpoint',
          seq,
        );
        lastCheckpoint = { seq, covers: d.covers, at: data.right.at };
        sinceCheckpoint = 0;
      }
    } else sinceCheckpoint++;
    prevHash = entryHash(tenant, l);
    if (options.anchor !== undefined && seq === options.anchor.seq) {
      if (prevHash !== options.anchor.head) problem('anchor', 'the entry at the anchor has another hash', seq);
      anchorMet = true;
    }
    entries++;
    expectedSeq = seq + 1;
  };

  const finish = (): VerifyReport => {
    const head = entries === 0 ? null : { seq: expectedSeq - 1, hash: prevHash ?? '' };
    if (isExport) {
      if (!headerSeen) problem('header', 'the export is empty');
      const s = seal;
      if (s === null) problem('unsealed', 'the export has no seal: it may have been cut short');
      else {
        if (s.tenant !== tenant) problem('seal', 'the seal is of another tenant');
        if (s.at !== exportedAt) problem('seal', 'the seal time is not the export time');
        if (s.seq !== expectedSeq - 1 || s.head !== (prevHash ?? '')) {
          problem('seal', `the seal covers entry ${s.seq}, but the export ends at entry ${expectedSeq - 1}`);
        }
        checkSignature(s.keyId, checkpointStatement(s.tenant, s.seq, s.head, s.at), s.signature, 'the seal');
      }
    }
    if (firstSeq !== null && firstSeq > 0 && purgedThrough < firstSeq - 1) {
      problems.unshift({
        line: isExport ? 2 : 1,
        seq: firstSeq,
        kind: 'sequence',
        message: `the log starts at entry ${firstSeq}, and no retention purge recorded in it accounts for the entries before`,
      });
    }
    if (!anchorMet)
      problem('anchor', `the log ends before the anchor at entry ${options.anchor!.seq}: it was cut short`);
    return {
      ok: problems.length === 0,
      tenant,
      entries,
      checkpoints,
      head,
      lastCheckpoint,
      uncheckpointed: sinceCheckpoint,
      sealed: seal !== null,
      problems,
    };
  };

  return { push, finish };
};

/** The highest `$audit` version a `retention.purge` entry says was purged, or -1. */
const auditPurgedThrough = (entry: AuditEntryData): number => {
  const purge = entry.details['purge'];
  const data = purge !== null && typeof purge === 'object' && !Array.isArray(purge) ? purge['data'] : undefined;
  const streams = data !== null && typeof data === 'object' && !Array.isArray(data) ? data?.['streams'] : undefined;
  if (!Array.isArray(streams)) return -1;
  let through = -1;
  for (const s of streams) {
    if (s === null || typeof s !== 'object' || Array.isArray(s) || s['stream'] !== AUDIT_STREAM) continue;
    const v = s['throughVersion'];
    if (typeof v === 'number' && Number.isSafeInteger(v)) through = Math.max(through, v);
  }
  return through;
};

/** Verifies a JSON Lines export. */
export const verifyJsonl = (text: string, options: VerifyOptions): VerifyReport => {
  const verifier = createVerifier(options);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(l);
    } catch {
      parsed = null;
    }
    verifier.push(parsed);
  }
  return verifier.finish();
};

/** Verifies a CSV export: each row's `record` is checked, and its other columns must agree with it. */
export const verifyCsv = (text: string, options: VerifyOptions): VerifyReport => {
  const rows = parseCsv(text);
  const verifier = createVerifier(options);
  if (E.isLeft(rows)) {
    verifier.push(null);
    return withProblem(verifier.finish(), {
      line: 0,
      kind: 'malformed',
      message: `the CSV does not parse (${rows.left})`,
    });
  }
  const [header, ...body] = rows.right;
  const extra: Problem[] = [];
  if (header === undefined || canonicalJson(header) !== canonicalJson([...CSV_COLUMNS])) {
    extra.push({ line: 1, kind: 'malformed', message: `the CSV header is not ${CSV_COLUMNS.join(',')}` });
  }
  body.forEach((row, i) => {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(row[CSV_COLUMNS.length - 1] ?? '');
    } catch {
      parsed = null;
    }
    verifier.push(parsed);
    const decoded = decodeLine(parsed);
    if (E.isRight(decoded) && canonicalJson(csvFields(decoded.right)) !== canonicalJson(row)) {
      extra.push({ line: i + 2, kind: 'malformed', message: 'the columns do not agree with the record' });
    }
  });
  const report = verifier.finish();
  return extra.reduce(withProblem, report);
};

const withProblem = (report: VerifyReport, p: Problem): VerifyReport => ({
  ...report,
  ok: false,
  problems: [...report.problems, p],
});
