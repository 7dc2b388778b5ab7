import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventStore, createMemoryStorage, type JsonObject, type JsonValue, type TenantId } from '@palisade/core';
import { createAuditor } from './auditor.js';
import { canonicalJson } from './canonical-json.js';
import { csvRow, parseCsv } from './csv.js';
import { dataPolicyFrom } from './data-policy.js';
import { csvFields, csvHeader, csvLine, exportAuditLog, jsonlLine, type ExportLine } from './export.js';
import { testSigner } from './test-support.js';
import { verifyCsv, verifyJsonl, type VerifyOptions } from './verify.js';

const keys = testSigner('k-2026');
const lines: ExportLine[] = [];
let options: VerifyOptions;

beforeAll(async () => {
  const policy = dataPolicyFrom({});
  if (E.isLeft(policy)) throw new Error('policy');
  const auditor = createAuditor({ signer: keys.signer, dataPolicy: policy.right, checkpointEvery: 4 });
  const store = new EventStore(createMemoryStorage(), { observer: auditor });
  const acme = store.forTenant('acme' as TenantId);
  for (let i = 0; i < 14; i++) {
    await acme.appendToStream(`order-${i % 3}`, [
      { type: 'Placed', data: { n: i, items: [{ sku: `s${i}`, qty: i + 1 }] }, metadata: { actor: `user:${i % 2}` } },
    ])();
  }
  await auditor.record(acme, { actor: 'ops', action: 'operator.note', outcome: 'success', details: { why: 'test' } })();
  const done = await exportAuditLog(acme, { signer: keys.signer }, (l) => void lines.push(l));
  if (E.isLeft(done)) throw new Error('export');
  options = { keys: [keys.trusted] };
  await store.close();
});

const toJsonl = (ls: readonly unknown[]): string => ls.map((l) => `${JSON.stringify(l)}\n`).join('');

/** Every place in a JSON value: [path, value]. */
const places = (value: JsonValue, path: (string | number)[] = []): [(string | number)[], JsonValue][] => {
  const here: [(string | number)[], JsonValue][] = [[path, value]];
  if (value === null || typeof value !== 'object') return here;
  const children = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return here.concat(children.flatMap(([k, v]) => places(v, [...path, k])));
};

const setAt = (root: JsonValue, path: (string | number)[], value: JsonValue | undefined): JsonValue => {
  if (path.length === 0) return value ?? null;
  const [head, ...rest] = path;
  const copy = (Array.isArray(root) ? [...root] : { ...(root as JsonObject) }) as Record<string | number, JsonValue>;
  if (rest.length === 0 && value === undefined) {
    if (Array.isArray(copy)) (copy as unknown as JsonValue[]).splice(head as number, 1);
    else delete copy[head!];
  } else copy[head!] = setAt(copy[head!]!, rest, value);
  return copy;
};

type Mutation =
  | { kind: 'delete'; i: number }
  | { kind: 'swap'; i: number; j: number }
  | { kind: 'duplicate'; i: number; j: number }
  | { kind: 'truncate'; k: number }
  | { kind: 'change'; i: number; place: number; value: JsonValue }
  | { kind: 'addKey'; i: number; place: number; key: string; value: JsonValue }
  | { kind: 'removeKey'; i: number; place: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), i: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), k: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('change' as const),
    i: fc.nat(),
    place: fc.nat(),
    value: fc.jsonValue() as fc.Arbitrary<JsonValue>,
  }),
  fc.record({
    kind: fc.constant('addKey' as const),
    i: fc.nat(),
    place: fc.nat(),
    key: fc.string({ minLength: 1, maxLength: 6 }),
    value: fc.jsonValue() as fc.Arbitrary<JsonValue>,
  }),
  fc.record({ kind: fc.constant('removeKey' as const), i: fc.nat(), place: fc.nat() }),
);

/** Applies a mutation; null when it would change nothing (then there is nothing to catch). */
const mutate = (input: readonly JsonValue[], m: Mutation): JsonValue[] | null => {
  const out = [...input];
  const n = out.length;
  if (n === 0) return null; // everything already removed: an empty file is checked on its own below
  switch (m.kind) {
    case 'delete':
      out.splice(m.i % n, 1);
      return out;
    case 'swap': {
      const i = m.i % n;
      const j = m.j % n;
      if (i === j) return null;
      [out[i], out[j]] = [out[j]!, out[i]!];
      return out;
    }
    case 'duplicate':
      out.splice(m.j % (n + 1), 0, out[m.i % n]!);
      return out;
    case 'truncate':
      return out.slice(0, Math.max(0, n - (m.k % n || 1)));
    case 'change': {
      const i = m.i % n;
      const all = places(out[i]!).filter(([p]) => p.length > 0);
      const [path, old] = all[m.place % all.length]!;
      if (canonicalJson(old) === canonicalJson(m.value)) return null;
      out[i] = setAt(out[i]!, path, m.value);
      return out;
    }
    case 'addKey': {
      const i = m.i % n;
      const objects = places(out[i]!).filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
      const [path, obj] = objects[m.place % objects.length]!;
      if (Object.hasOwn(obj as JsonObject, m.key)) return null;
      out[i] = setAt(out[i]!, path, { ...(obj as JsonObject), [m.key]: m.value });
      return out;
    }
    case 'removeKey': {
      const i = m.i % n;
      const keyed = places(out[i]!).filter(([p]) => p.length > 0 && typeof p[p.length - 1] === 'string');
      if (keyed.length === 0) return null;
      out[i] = setAt(out[i]!, keyed[m.place % keyed.length]![0], undefined);
      return out;
    }
  }
};

describe('verifying an export', () => {
  it('accepts the export as written, with its checkpoints and seal, in JSON Lines and CSV', () => {
    const jsonl = lines.map(jsonlLine).join('');
    const report = verifyJsonl(jsonl, options);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, entries: 18, checkpoints: 3, sealed: true, uncheckpointed: 3 });
    const csv = csvHeader() + lines.map(csvLine).join('');
    expect(verifyCsv(csv, options).problems).toEqual([]);
  });

  it('accepts a re-serialised export: key order and spacing are not content', () => {
    const reordered = lines.map(
      (l) =>
        JSON.parse(JSON.stringify(l), (_k, v: unknown) =>
          v !== null && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        ) as unknown,
    );
    expect(verifyJsonl(reordered.map((l) => `${JSON.stringify(l, null, 0)}\n`).join(''), options).ok).toBe(true);
  });

  it('refuses a key it does not trust, and a seal or checkpoint of another key', () => {
    const jsonl = lines.map(jsonlLine).join('');
    const stranger = testSigner('k-2026').trusted;
    const report = verifyJsonl(jsonl, { keys: [stranger] });
    expect(report.ok).toBe(false);
    expect(new Set(report.problems.map((p) => p.kind))).toEqual(new Set(['signature']));
    expect(verifyJsonl(jsonl, { keys: [] }).problems.every((p) => p.kind === 'unknown_key')).toBe(true);
  });

  it('catches every random mutation of a JSON Lines export (property)', () => {
    const base = lines as unknown as JsonValue[];
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        let current: JsonValue[] | null = base;
        for (const m of ms) current = current === null ? null : mutate(current, m);
        fc.pre(current !== null && canonicalJson(current) !== canonicalJson(base));
        const report = verifyJsonl(toJsonl(current), options);
        expect(report.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('catches every random mutation of a CSV export, in the record or in a column (property)', () => {
    const csv = csvHeader() + lines.map(csvLine).join('');
    const parsed = parseCsv(csv);
    if (E.isLeft(parsed)) throw new Error(parsed.left);
    const [header, ...rows] = parsed.right;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant('record' as const), m: mutation }),
          fc.record({
            kind: fc.constant('cell' as const),
            row: fc.nat(),
            col: fc.nat({ max: 7 }),
            text: fc.string({ maxLength: 8 }),
          }),
        ),
        (choice) => {
          let mutated: string[][];
          if (choice.kind === 'record') {
            const records = rows.map((r) => JSON.parse(r[8]!) as JsonValue);
            const changed = mutate(records, choice.m);
            fc.pre(changed !== null && canonicalJson(changed) !== canonicalJson(records));
            // Rebuild every row from its (mutated) record, so the columns agree and only the record check can fail.
            mutated = changed.map((r) => {
              try {
                const fields: unknown[] = csvFields(r as unknown as ExportLine);
                return fields.map((f) => (typeof f === 'string' ? f : (JSON.stringify(f) ?? '')));
              } catch {
                return ['entry', '', '', '', '', '', '', '', canonicalJson(r)];
              }
            });
          } else {
            const r = choice.row % rows.length;
            fc.pre(rows[r]![choice.col] !== choice.text);
            mutated = rows.map((row, i) => (i === r ? row.map((c, j) => (j === choice.col ? choice.text : c)) : row));
          }
          const text = [header!, ...mutated].map(csvRow).join('');
          expect(verifyCsv(text, options).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses an empty file', () => {
    expect(verifyJsonl('', options).problems.map((p) => p.kind)).toEqual(['header', 'unsealed']);
  });

  it('reports what it found, by line and sequence number, without content', () => {
    const broken = [...lines];
    broken.splice(5, 1);
    const report = verifyJsonl(broken.map(jsonlLine).join(''), options);
    expect(report.problems[0]).toMatchObject({ kind: 'sequence', line: 6, seq: 5 });
    expect(JSON.stringify(report.problems)).not.toContain('user:');
  });

  it('detects truncation in storage only against an anchor: what the last checkpoint cannot tell', () => {
    // A log read from storage (no header, no seal) cut after its last checkpoint still chains...
    const entriesOnly = lines.filter((l) => l.kind === 'entry');
    const cut = entriesOnly.slice(0, 12);
    const fromStorage = { ...options, export: false, tenant: 'acme' };
    expect(verifyJsonl(toJsonl(cut), fromStorage).ok).toBe(true);
    // ...but not against an anchor taken from an earlier, longer verification.
    const full = verifyJsonl(toJsonl(entriesOnly), fromStorage);
    const anchor = { seq: full.head!.seq, head: full.head!.hash };
    expect(verifyJsonl(toJsonl(cut), { ...fromStorage, anchor }).problems.map((p) => p.kind)).toEqual(['anchor']);
    expect(verifyJsonl(toJsonl(entriesOnly), { ...fromStorage, anchor }).ok).toBe(true);
  });
});
