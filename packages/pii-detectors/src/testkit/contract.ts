/*
 * The detector contract: the checks every detector, built-in or plugin, must
 * pass. Call it inside a vitest file:
 *
 *   detectorContract(myDetector, { positives: ['EMP-123456'], negatives: ['EMP-12345'] });
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintTestOf, type Detector, type DetectorSpan } from '@palisade/core';

/**
 * A value the detector must find exactly. Give an object when the detector only
 * finds the value next to some words (`aws_secret_access_key = ...`): `prefix` and
 * `suffix` are planted with it, and the span must still cover `value` alone.
 */
export type Positive = string | { readonly prefix?: string; readonly value: string; readonly suffix?: string };

const plant = (p: Positive): { before: string; value: string; after: string } =>
  typeof p === 'string'
    ? { before: '', value: p, after: '' }
    : { before: p.prefix ?? '', value: p.value, after: p.suffix ?? '' };

export interface DetectorContractOptions {
  /** Values the detector must find, each exactly (the whole value, nothing around it). */
  readonly positives: readonly Positive[];
  /** Values the detector must not report, wherever they are placed. */
  readonly negatives: readonly string[];
  /** Runs of each fast-check property (default 200). */
  readonly numRuns?: number;
  /** The span types the detector may report (default: its id alone). */
  readonly types?: readonly string[];
}

/** Where a value is planted, so boundaries are tested against different neighbours. */
const CONTEXTS: readonly (readonly [string, string])[] = [
  ['', ''],
  ['value: ', ''],
  ['', ' trailing words'],
  ['Please note ', '. Thanks!'],
  ['(', ')'],
  ['"', '",'],
  ['line one\n', '\nline three'],
  ['日本語 ', ' 🙂'],
];

const assertWellFormed = (
  detector: Detector,
  text: string,
  spans: readonly DetectorSpan[],
  types: readonly string[] = [detector.id],
): void => {
  for (const s of spans) {
    expect(Number.isInteger(s.start) && Number.isInteger(s.end), 'span offsets are integers').toBe(true);
    expect(s.start, 'span starts inside the text').toBeGreaterThanOrEqual(0);
    expect(s.end, 'span ends inside the text').toBeLessThanOrEqual(text.length);
    expect(s.end, 'span is not empty').toBeGreaterThan(s.start);
    expect(types, "span has the detector's type").toContain(s.type);
    expect(s.confidence, 'confidence is within 0..1').toBeGreaterThanOrEqual(0);
    expect(s.confidence, 'confidence is within 0..1').toBeLessThanOrEqual(1);
  }
};

/** What the engine does: skip `find` when no hint occurs (case-insensitively). */
const hintsAllow = (detector: Detector, text: string): boolean => hintTestOf(detector)(text);

const findValidated = (detector: Detector, text: string): DetectorSpan[] =>
  detector.find(text).filter((s) => detector.validate === undefined || detector.validate(text.slice(s.start, s.end)));

/** Text a detector must survive: random unicode, and runs of the characters PII is made of. */
const hostileText = (positives: readonly string[]): fc.Arbitrary<string> => {
  // Positives, and positives with one character dropped (near misses).
  const pieces = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('@', '.', '-', ' ', ':', '::', '+', '=', '_', '%', '"', "'", '\n', '\u0000', '\ud800', '0', '9'),
    fc.integer({ min: 0, max: 9 }).map((d) => String(d).repeat(30)),
    positives.length > 0 ? fc.constantFrom(...positives) : fc.constant(''),
    positives.length > 0
      ? fc.constantFrom(...positives).chain((p) => fc.nat(p.length).map((n) => p.slice(0, n) + p.slice(n + 1)))
      : fc.constant(''),
  );
  return fc.array(pieces, { maxLength: 20 }).map((xs) => xs.join(''));
};

export const detectorContract = (detector: Detector, options: DetectorContractOptions): void => {
  const numRuns = options.numRuns ?? 200;
  const types = options.types ?? [detector.id];
  const wellFormed = (text: string, spans: readonly DetectorSpan[]): void =>
    assertWellFormed(detector, text, spans, types);
  const planted = options.positives.map(plant);
  const whole = planted.map((p) => p.before + p.value + p.after);

  describe(`detector contract: ${detector.id}`, () => {
    it('has an id and lower-case, non-empty hints', () => {
      expect(detector.id).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
      for (const h of detector.hints) {
        expect(h.length).toBeGreaterThan(0);
        expect(h).toBe(h.toLowerCase());
      }
    });

    it('is given positives and negatives to check', () => {
      expect(options.positives.length).toBeGreaterThan(0);
      expect(options.negatives.length).toBeGreaterThan(0);
    });

    it('finds every planted positive with exact boundaries, in every context', () => {
      for (const p of planted) {
        for (const [outer, outerAfter] of CONTEXTS) {
          const before = outer + p.before;
          const value = p.value;
          const text = before + value + p.after + outerAfter;
          expect(hintsAllow(detector, text), `hints let '${value}' through`).toBe(true);
          const spans = findValidated(detector, text);
          wellFormed(text, spans);
          const exact = spans.some((s) => s.start === before.length && s.end === before.length + value.length);
          expect(exact, `found ${JSON.stringify(value)} exactly in ${JSON.stringify(text)}`).toBe(true);
        }
      }
    });

    it('finds several positives in one text, each exactly', () => {
      const text = whole.join(' and ');
      const spans = findValidated(detector, text);
      wellFormed(text, spans);
      let at = 0;
      planted.forEach((p, i) => {
        const start = text.indexOf(whole[i] ?? '', at) + p.before.length;
        expect(
          spans.some((s) => s.start === start && s.end === start + p.value.length),
          p.value,
        ).toBe(true);
        at = start + p.value.length + p.after.length;
      });
    });

    it('reports no negative, in any context', () => {
      for (const value of options.negatives) {
        for (const [before, after] of CONTEXTS) {
          const text = before + value + after;
          const spans = hintsAllow(detector, text) ? findValidated(detector, text) : [];
          expect(spans, `reported something in ${JSON.stringify(text)}`).toEqual([]);
        }
      }
    });

    it('never throws and returns well-formed spans on random and hostile input', () => {
      fc.assert(
        fc.property(hostileText(whole), (text) => {
          const spans = detector.find(text);
          wellFormed(text, spans);
          if (detector.validate !== undefined) for (const s of spans) detector.validate(text.slice(s.start, s.end));
        }),
        { numRuns },
      );
    });

    it('is deterministic: the same text gives the same spans, call after call', () => {
      fc.assert(
        fc.property(hostileText(whole), (text) => {
          expect(detector.find(text)).toEqual(detector.find(text));
        }),
        { numRuns: Math.max(20, Math.floor(numRuns / 4)) },
      );
    });

    it('is not led astray by long runs of the characters PII is made of', () => {
      const p = planted[0] ?? { before: '', value: '', after: '' };
      const value = p.value;
      for (const ch of ['1', '.', '@', '-', ':', 'a', '=', '\u00e9']) {
        const text = `${ch.repeat(20_000)} ${p.before}${value}${p.after} ${ch.repeat(20_000)}`;
        const spans = findValidated(detector, text);
        wellFormed(text, spans);
        const start = 20_000 * ch.length + 1 + p.before.length;
        expect(
          spans.some((s) => s.start === start && s.end === start + value.length),
          `found ${JSON.stringify(value)} between runs of ${JSON.stringify(ch)}`,
        ).toBe(true);
      }
    });
  });
};
