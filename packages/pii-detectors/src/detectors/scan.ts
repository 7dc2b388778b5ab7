/*
 * Shared helpers for the built-in detectors. Every pattern used with `scanRegex`
 * must be linear: no nested unbounded quantifiers, and a look-behind at its start
 * that refuses to begin inside a run of the characters it consumes, so a long run
 * is tried once, not once per character.
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

/** Strips everything but ASCII digits. */
export const digitsOf = (s: string): string => s.replace(/\D/g, '');

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

/** Shannon entropy in bits per character. */
export const shannonEntropy = (s: string): number => {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
};
