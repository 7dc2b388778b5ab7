import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { DIGIT_HINTS, digitCount, scanRegex, span } from './scan.js';

/*
 * 13 to 19 digits, bare or in groups of 3 to 6 separated by single spaces or
 * dashes (4-4-4-4, Amex 4-6-5), that pass the Luhn check and start with a known
 * issuer prefix. Groups are separated by a mandatory character, so there is one
 * way to split a run, and a run is never entered after a digit or a digit and a
 * dash, so each match attempt reads at most a few dozen characters: linear.
 * After a dash that follows something else (`card-4111...`, a card sent as a
 * negative JSON number), bare and space-separated numbers start a run, but not
 * dash-separated ones: those would start inside UUIDs and other dashed hex ids.
 * Within a run that matched but is not a card, each later group may start one
 * (`123-4111-1111-1111-1111`): see `acceptCard`.
 */
const CARD = primeRegex(
  /(?<!\d)(?:(?<!\d-)(?:\d{13,19}|\d{3,6}(?: \d{3,6}){1,5})|(?<!-)\d{3,6}(?:[ -]\d{3,6}){1,5})(?!\d)/g,
);

interface Brand {
  readonly prefixes: readonly (readonly [number, number])[]; // inclusive ranges over a fixed-width prefix
  readonly width: number;
  readonly lengths: readonly number[];
}

const range = (lo: number, hi: number = lo): readonly [number, number] => [lo, hi];

const BRANDS: readonly Brand[] = [
  { width: 1, prefixes: [range(4)], lengths: [13, 16, 19] }, // Visa
  { width: 2, prefixes: [range(51, 55)], lengths: [16] }, // Mastercard
  { width: 4, prefixes: [range(2221, 2720)], lengths: [16] }, // Mastercard 2-series
  { width: 2, prefixes: [range(34), range(37)], lengths: [15] }, // American Express
  { width: 4, prefixes: [range(6011)], lengths: [16, 17, 18, 19] }, // Discover
  { width: 3, prefixes: [range(644, 649)], lengths: [16, 17, 18, 19] }, // Discover
  { width: 2, prefixes: [range(65)], lengths: [16, 17, 18, 19] }, // Discover
  { width: 3, prefixes: [range(300, 305)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { width: 2, prefixes: [range(36), range(38, 39)], lengths: [14, 15, 16, 17, 18, 19] }, // Diners Club
  { width: 4, prefixes: [range(3528, 3589)], lengths: [16, 17, 18, 19] }, // JCB
  { width: 2, prefixes: [range(62)], lengths: [16, 17, 18, 19] }, // UnionPay
  {
    width: 4,
    prefixes: [range(5018), range(5020), range(5038), range(5893), range(6304), range(6759), range(6761, 6763)],
    lengths: [12, 13, 14, 15, 16, 17, 18, 19],
  }, // Maestro
];

/** Whether a number of `length` digits whose first four digits are `first4` has a known issuer prefix and length. */
const knownBrand = (first4: number, length: number): boolean =>
  BRANDS.some((b) => {
    if (!b.lengths.includes(length)) return false;
    const p = Math.floor(first4 / 10 ** (4 - b.width));
    return b.prefixes.some(([lo, hi]) => p >= lo && p <= hi);
  });

/**
 * Brand, length, Luhn and separators in one pass over the candidate, with no
 * copy of its digits: it runs for every card-shaped number in the text,
 * decoys included (hundreds per MB of log text).
 */
export const validCardNumber = (candidate: string): boolean => {
  let digits = 0;
  let first4 = 0;
  let space = false;
  let dash = false;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits < 4) first4 = first4 * 10 + (c - 48);
      digits++;
    } else if (c === 32) space = true;
    else if (c === 45) dash = true;
    else return false;
  }
  // Grouping must be regular: one kind of separator (or none).
  if ((space && dash) || digits < 13 || digits > 19 || !knownBrand(first4, digits)) return false;
  // Luhn, from the right, skipping separators.
  let sum = 0;
  let double = false;
  for (let i = candidate.length - 1; i >= 0; i--) {
    let d = candidate.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
};

export const findCreditCards = (text: string): DetectorSpan[] => scanRegex(CARD, text, acceptCard);

const acceptCard = (m: RegExpExecArray): DetectorSpan | null => {
  const run = m[0];
  // The number may be led by groups that are not part of it (`ref 123 4111 1111 1111 1111`, `123-4111 1111 ...`)
  // and followed by some (`4111 1111 1111 1111 2024`): try each start in turn, and at each the longest first.
  for (let start = 0; start !== -1; start = groupAfter(run, start)) {
    let candidate = start === 0 ? run : run.slice(start);
    if (digitCount(candidate) < 13) break;
    for (;;) {
      if (validCardNumber(candidate)) {
        return span(m.index + start, m.index + start + candidate.length, 'credit_card', 0.95);
      }
      const cut = Math.max(candidate.lastIndexOf(' '), candidate.lastIndexOf('-'));
      if (cut < 0 || digitCount(candidate, cut) < 13) break;
      candidate = candidate.slice(0, cut);
    }
  }
  // Space-separated groups right before a dash (`order 123 4111-1111-1111-1111`): a match after a dash takes spaces
  // only, so a dash-separated number may start at the last of these groups. Go on from there.
  const lastSpace = run.lastIndexOf(' ');
  if (lastSpace > 0 && m.input.charCodeAt(m.index + run.length) === 45) CARD.lastIndex = m.index + lastSpace + 1;
  return null;
};

/** Where the group after the one starting at `from` starts, or -1 at the last group. */
const groupAfter = (run: string, from: number): number => {
  for (let i = from + 1; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c === 32 || c === 45) return i + 1;
  }
  return -1;
};

export const creditCard = defineDetector({
  id: 'credit_card',
  hints: DIGIT_HINTS,
  find: findCreditCards,
});
