import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { DIGIT_HINTS, scanRegex, span } from './scan.js';

/*
 * US Social Security numbers written with dashes or spaces (`078-05-1120`,
 * `078 05 1120`). Bare nine-digit runs are not matched: order numbers, ids and
 * timestamps make them mostly noise. The separator must be the same twice.
 */
const SSN = primeRegex(/(?<!\d)(?<!\d-)(\d{3})([- ])(\d{2})\2(\d{4})(?![\d]|-\d)/g);

/** Numbers published as examples (wallet inserts, pamphlets, advertising); never issued to a person. */
const PUBLISHED_SAMPLES: ReadonlySet<string> = new Set(['078051120', '219099999', '457555462', '123456789']);

/** Whether three groups could be an issued SSN (SSA rules since 2011 randomisation). */
export const validSsnParts = (area: string, group: string, serial: string): boolean => {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  return !PUBLISHED_SAMPLES.has(area + group + serial);
};

export const findSsns = (text: string): DetectorSpan[] =>
  scanRegex(SSN, text, (m) =>
    validSsnParts(m[1] ?? '', m[3] ?? '', m[4] ?? '') ? span(m.index, m.index + m[0].length, 'ssn', 0.9) : null,
  );

export const ssn = defineDetector({
  id: 'ssn',
  hints: DIGIT_HINTS,
  find: findSsns,
});
