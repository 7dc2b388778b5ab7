import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';

/*
 * Employee ids look like `EMP-482919`: the literal `EMP-`, five digits, and a
 * check digit (Luhn over the five). The check digit keeps `EMP-123456` typed in
 * a ticket as an example from being redacted as a real id, and lets us reject
 * typos.
 *
 * The pattern starts with a literal and has fixed-length parts only, so it runs
 * in linear time. The character before a match is checked in code (a word
 * character there means `XEMP-...`, not an id); a leading look-behind
 * `(?<!\w)` would do the same. `primeRegex` has V8 compile it on ordinary text
 * first, so its search is tuned for text where ids are rare, whatever event
 * the first one is.
 */
const EMPLOYEE_ID = primeRegex(/EMP-(\d{6})(?!\w)/g);

/** The Luhn check digit for a string of digits. */
export const employeeIdCheckDigit = (digits: string): number => {
  let sum = 0;
  let double = true;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
};

/** Whether `EMP-dddddd` carries a correct check digit. */
export const isValidEmployeeId = (candidate: string): boolean => {
  const m = /^EMP-(\d{5})(\d)$/.exec(candidate);
  return m !== null && employeeIdCheckDigit(m[1] ?? '') === Number(m[2]);
};

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

export const employeeId = defineDetector({
  id: 'employee_id',
  // The engine skips `find` for text that does not contain `emp-` (case-insensitively).
  hints: ['emp-'],
  find(text: string): DetectorSpan[] {
    const spans: DetectorSpan[] = [];
    EMPLOYEE_ID.lastIndex = 0;
    for (let m = EMPLOYEE_ID.exec(text); m !== null; m = EMPLOYEE_ID.exec(text)) {
      if (m.index > 0 && isWordChar(text.charCodeAt(m.index - 1))) continue;
      if (!isValidEmployeeId(m[0])) continue;
      spans.push({ start: m.index, end: m.index + m[0].length, type: 'employee_id', confidence: 0.9 });
    }
    EMPLOYEE_ID.lastIndex = 0;
    return spans;
  },
  // Also offered to the engine, which drops any span whose text fails it.
  validate: isValidEmployeeId,
});
