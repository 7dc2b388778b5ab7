import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rewriter } from './rewriter.js';
import { maskTail } from './transforms.js';

/** The plain definition: each redaction's output spliced in, left to right. */
type Edit = { start: number; end: number } & ({ kind: 'mask'; reveal: number } | { kind: 'replace'; text: string });

const spliced = (text: string, edits: readonly Edit[]): string => {
  let out = '';
  let last = 0;
  for (const e of edits) {
    const piece = text.slice(e.start, e.end);
    out += text.slice(last, e.start) + (e.kind === 'mask' ? maskTail(piece, e.reveal) : e.text);
    last = e.end;
  }
  return out + text.slice(last);
};

const rewritten = (text: string, edits: readonly Edit[]): string => {
  const rewriter = new Rewriter(text);
  for (const e of edits) {
    if (e.kind === 'mask') rewriter.mask('ssn', e.start, e.end, e.reveal);
    else rewriter.replace(e.start, e.end, e.text);
  }
  return rewriter.result();
};

describe('Rewriter', () => {
  it('masks ASCII in place and splices the rest', () => {
    const text = 'SSN 123-45-6789, mail bob@example.com, ünï 4111 1111 1111 1111';
    const edits: Edit[] = [
      { start: 4, end: 15, kind: 'mask', reveal: 4 },
      { start: 22, end: 37, kind: 'replace', text: '[email]' },
      { start: 43, end: 62, kind: 'mask', reveal: 4 },
    ];
    expect(rewritten(text, edits)).toBe('SSN ***-**-6789, mail [email], ünï **** **** **** 1111');
  });

  it('gives what splicing each redaction in gives, on any text (Latin-1, wider, surrogates) and any redactions', () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'Z', '7', '-', ' ', 'é', 'ß', '日', '𝐀', '🙂', '\ud800', '\udc00'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    const input = fc.string({ unit, maxLength: 60 }).chain((text) =>
      fc
        .array(
          fc.record({
            cut: fc.nat({ max: Math.max(0, text.length) }),
            kind: fc.constantFrom('mask', 'replace'),
            reveal: fc.nat({ max: 6 }),
            text: fc.string({ maxLength: 8 }),
          }),
          { maxLength: 8 },
        )
        .map((raw) => {
          // Sorted cut points, paired up into ordered ranges that do not overlap.
          const cuts = [...new Set(raw.map((r) => r.cut))].sort((a, b) => a - b);
          const edits: Edit[] = [];
          for (let i = 0; i + 1 < cuts.length; i += 2) {
            const r = raw[i]!;
            const range = { start: cuts[i]!, end: cuts[i + 1]! };
            edits.push(
              r.kind === 'mask'
                ? { ...range, kind: 'mask', reveal: r.reveal }
                : { ...range, kind: 'replace', text: r.text },
            );
          }
          return { text, edits };
        }),
    );
    fc.assert(
      fc.property(input, ({ text, edits }) => {
        expect(rewritten(text, edits)).toBe(spliced(text, edits));
      }),
      { numRuns: 3000 },
    );
  });
});
