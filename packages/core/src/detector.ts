/*
 * The PII detector plugin interface. Built-in detectors (`@palisade/pii-detectors`)
 * and custom ones implement exactly this; the redaction engine knows nothing else.
 *
 * A detector module (what the worker pool loads by module specifier) exports
 * `detectors`: an array of `Detector`, as a named export or as a property of the
 * default export.
 */
import { primeRegex } from './regex-priming.js';

/** One finding inside a string: the half-open range [start, end) in UTF-16 code units. */
export interface DetectorSpan {
  readonly start: number;
  readonly end: number;
  /** What was found, e.g. `ssn`; usually the detector's id. Used in reports and placeholders. */
  readonly type: string;
  /** 0..1: how sure the finder is. The engine may drop spans under a configured floor. */
  readonly confidence: number;
}

export interface Detector {
  /** Unique, lower-case, `[a-z][a-z0-9_]*`: what policies name in `pii_detectors` and `actions`. */
  readonly id: string;
  /**
   * Lower-case literals; a string that contains none of them (compared
   * case-insensitively) cannot hold a match, so the engine skips `find` for it.
   * An empty array means the detector always runs.
   */
  readonly hints: readonly string[];
  /** Every candidate match in `text`. Must not throw on any input and must run in linear time. */
  find(text: string): readonly DetectorSpan[];
  /** Optional check of one candidate's text (a checksum, say); a span that fails it is dropped. */
  validate?(candidate: string): boolean;
}

/** What a detector plugin module exports. */
export interface DetectorModule {
  readonly detectors: readonly Detector[];
}

const DETECTOR_ID = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Identity with a type check, and a check of the id's shape, so a plugin author
 * learns of a bad id when the module loads, not when a policy names it.
 */
export const defineDetector = (detector: Detector): Detector => {
  if (!DETECTOR_ID.test(detector.id)) {
    throw new TypeError(`detector id ${JSON.stringify(detector.id)} must match ${String(DETECTOR_ID)}`);
  }
  if (detector.hints.some((hint) => hint.length === 0 || hint !== hint.toLowerCase())) {
    throw new TypeError(`detector ${detector.id}: hints must be non-empty lower-case literals`);
  }
  return detector;
};

export const isDetectorId = (s: string): boolean => DETECTOR_ID.test(s);

/** Whether a string may hold a match of a detector, judged by its hints alone. */
export type HintTest = (text: string) => boolean;

const ALWAYS: HintTest = () => true;
/** Escapes a literal for a `u`-mode pattern (where `\-` outside a class is an error, so `-` is left alone). */
const escapeRegex = (literal: string): string => literal.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/*
 * Compiled once per hint list and shared: detectors that use the same list
 * (the four digit detectors) get the same function, so the engine can test a
 * string once for all of them. Lower-casing each string to compare, as the
 * contract reads, cost more than some detectors' own search (1.5 ms per MB of
 * log text). Single characters that have no case (digits, `@`, `-`) are
 * found with `includes`, a native search far faster than any regex; the rest
 * with one case-insensitive regex over the original text, which gives the
 * same answer without the copy.
 */
const hintTests = new WeakMap<readonly string[], HintTest>();

/**
 * The test the redaction engine (and the detector testkit) uses to skip
 * `find`: true when `text` contains one of the detector's hints, compared
 * case-insensitively (as `text.toLowerCase()` would contain it), or when it
 * has none. A detector's hint list is read once, when first tested.
 */
export const hintTestOf = (detector: Pick<Detector, 'hints'>): HintTest => {
  const hints = detector.hints;
  if (hints.length === 0) return ALWAYS;
  let test = hintTests.get(hints);
  if (test === undefined) {
    const caseless = hints.filter((h) => h.length === 1 && h.toUpperCase() === h);
    const words = hints.filter((h) => !caseless.includes(h));
    const pattern = words.length > 0 ? primeRegex(new RegExp(words.map(escapeRegex).join('|'), 'iu')) : undefined;
    const lowerCased = (text: string): boolean => {
      const lower = text.toLowerCase();
      return hints.some((h) => lower.includes(h));
    };
    /*
     * `İ` lower-cases to two code units (`i` and a combining dot) and case folding has no
     * single-unit equivalent, so only the contract's own reading finds `vergi` in `VERGİ`. It is
     * the only character whose lower case adds one: a list of other caseless characters (`@`,
     * digits) skips that pass over the text.
     */
    const turkishI = pattern !== undefined || caseless.includes('\u0307');
    test = (text) =>
      caseless.some((c) => text.includes(c)) ||
      (pattern !== undefined && pattern.test(text)) ||
      (turkishI && text.includes('\u0130') && lowerCased(text));
    hintTests.set(hints, test);
  }
  return test;
};
