/*
 * Shared helpers for the built-in detectors. Every pattern used here must be
 * linear: no nested unbounded quantifiers and only bounded repetition (`{3,6}`),
 * so a failed attempt at one position costs a constant; and a look-behind at its
 * start that refuses to begin inside a run of the characters it consumes, so a
 * run of a million digits is one failed attempt per digit, not a scan of up to
 * 19 digits from each (measured: 4 instead of 76 ms per MB of digits for the
 * card pattern, and no slower on ordinary text).
 */
import type { DetectorSpan } from '@palisade/core';

/** Hints for detectors whose every match holds a decimal digit. */
export const DIGIT_HINTS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const span = (start: number, end: number, type: string, confidence: number): DetectorSpan => ({
  start,
  end,
  type,
  confidence,
});

/**
 * Runs a global regex over `text` and keeps the matches `accept` returns a span
 * for. A fresh lastIndex per call keeps the shared regex re-entrant.
 */
export const scanRegex = (
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => DetectorSpan | null,
): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const found = accept(m);
    if (found !== null) spans.push(found);
    if (m[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
  return spans;
};

/**
 * One span per place: sorted by start, the longest first, and a span that
 * starts inside the one kept before it dropped. Sorts `spans` in place.
 */
export const keepFirstOfOverlapping = (spans: DetectorSpan[]): DetectorSpan[] => {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: DetectorSpan[] = [];
  for (const s of spans) {
    const last = kept[kept.length - 1];
    if (last !== undefined && s.start < last.end) continue;
    kept.push(s);
  }
  return kept;
};

/**
 * The code unit at `i`, or -1 outside the text. `charCodeAt` past the end gives
 * NaN, and a function that reads past the end once is recompiled by V8 into
 * slower code for all its reads (an `out of bounds` deoptimisation): the
 * generic pairs of `api_secret` took 86 ns per `=` of `key=key=...` that way.
 * Use it wherever an index can reach the end; every test below is false for -1.
 */
export const codeAt = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1);

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isAsciiAlnum = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
export const isWordChar = (c: number): boolean => isAsciiAlnum(c) || c === 95;

/** How many ASCII digits `s` holds (before `end`), counted without a copy. */
export const digitCount = (s: string, end = s.length): number => {
  let n = 0;
  for (let i = 0; i < end; i++) if (isDigit(s.charCodeAt(i))) n++;
  return n;
};

/** The Luhn (mod 10) check used by payment card numbers. */
export const luhnValid = (digits: string): boolean => {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
};

const asciiCounts = new Int32Array(128);

/** Shannon entropy in bits per UTF-16 code unit. */
export const shannonEntropy = (s: string): number => {
  const n = s.length;
  if (n === 0) return 0;
  let other: Map<number, number> | undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) asciiCounts[c] = (asciiCounts[c] ?? 0) + 1;
    else (other ??= new Map()).set(c, (other.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) continue;
    const count = asciiCounts[c] ?? 0;
    if (count === 0) continue; // already counted
    const p = count / n;
    bits -= p * Math.log2(p);
    asciiCounts[c] = 0;
  }
  if (other !== undefined) {
    for (const count of other.values()) {
      const p = count / n;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
};
