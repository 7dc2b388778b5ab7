import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { DIGIT_HINTS, digitCount, scanRegex, span } from './scan.js';

/*
 * Two shapes, tried at the same place:
 * - North American: an optional `+1`/`1` prefix, the area code bare or in
 *   parentheses, then exchange and line number, with separators (`555.123.4567`,
 *   `(555) 123-4567`, `+1 555 123 4567`). Unseparated ten-digit runs are left
 *   alone: they are usually ids or Unix timestamps.
 * - International: `+` country code, then groups separated by one space, dot or
 *   dash (`+44 20 7946 0958`, `+49 30 123456`), or `+` and 8 to 15 digits.
 * Each group has a bounded length and a mandatory separator, so there is only one
 * way to split a run and the match is linear.
 */
const PHONE = primeRegex(
  new RegExp(
    [
      '(?<![\\w+])',
      '(?:',
      // NANP
      '(?:\\+?1[ .-]?)?(?:\\((\\d{3})\\) ?|(\\d{3})([ .-]))\\d{3}[ .-]\\d{4}',
      '|',
      // international, grouped
      '\\+\\d{1,3}(?:[ .-]\\(\\d{1,4}\\))?(?:[ .-]\\d{1,8}){1,6}',
      '|',
      // international, compact
      '\\+\\d{8,15}',
      ')',
      '(?![\\w]|[.-]\\d)',
    ].join(''),
    'g',
  ),
);

export const findPhones = (text: string): DetectorSpan[] =>
  scanRegex(PHONE, text, (m) => {
    const value = m[0];
    const digits = digitCount(value);
    if (value.startsWith('+')) {
      if (digits < 8 || digits > 15) return null;
    } else {
      // North American: the area code cannot start with 0 or 1.
      const area = m[1] ?? m[2] ?? '';
      if (area.startsWith('0') || area.startsWith('1')) return null;
      if (digits !== 10 && digits !== 11) return null;
    }
    return span(m.index, m.index + value.length, 'phone', 0.8);
  });

export const phone = defineDetector({
  id: 'phone',
  hints: DIGIT_HINTS,
  find: findPhones,
});
