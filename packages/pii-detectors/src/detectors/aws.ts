import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { scanRegex, span } from './scan.js';

/** Access key ids: a four-letter kind prefix and 16 base-32 characters. */
const ACCESS_KEY = primeRegex(/(?<![A-Za-z0-9])A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g);

/*
 * A secret access key is 40 characters of base 64 with nothing to tell it from
 * any other blob, so it is only taken next to a name that says what it is:
 * `aws_secret_access_key = ...`, `"SecretAccessKey": "..."`, `secret_key: ...`.
 * The name's optional parts are literals, the gap is bounded: linear.
 *
 * The pattern is not searched for: a case-insensitive search for `secret` was
 * a tenth of all detection time on text without secrets. Every match holds
 * `key` right after its `secret[_-]?(?:access[_-]?)?` part, and `k` is rare in
 * prose, so `k` and `K` are found with a native search and the pattern is tried
 * (sticky) only where `secret` could begin before a `key`.
 */
const SECRET_KEY_AT =
  /secret[_-]?(?:access[_-]?)?key(?:[_-]?id)?["']?[ \t]{0,4}(?::|=|=>)[ \t]{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/iy;

/**
 * What can stand right before `key` in a match, read as the comparisons read it
 * (`| 0x20`): the `t` of `secret`, the `s` of `access`, or a `_` or `-`.
 */
const BEFORE_KEY = new Uint8Array(128);
for (const c of 'ts_-') BEFORE_KEY[c.charCodeAt(0) | 0x20] = 1;

/** How far before `key` a match can start: `secret` + `_access_` at most. */
const SECRET_BEFORE_KEY: readonly number[] = [6, 7, 12, 13, 14];

const startsWithIgnoringCase = (text: string, at: number, lower: string): boolean => {
  if (at < 0 || at + lower.length > text.length) return false;
  for (let i = 0; i < lower.length; i++) if ((text.charCodeAt(at + i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
};

/**
 * Calls `at` with each position of `k` or `K` followed by `ey` (any case), in
 * order: the two native searches are merged as they go. (Collecting both lists
 * and sorting them cost 50 µs per 1,000 `key`s, most of the detector's time on
 * `key=key=...`.)
 */
const forEachKey = (text: string, at: (index: number) => void): void => {
  let lower = text.indexOf('k');
  let upper = text.indexOf('K');
  while (lower !== -1 || upper !== -1) {
    let k: number;
    if (upper === -1 || (lower !== -1 && lower < upper)) {
      k = lower;
      lower = text.indexOf('k', lower + 1);
    } else {
      k = upper;
      upper = text.indexOf('K', upper + 1);
    }
    if (startsWithIgnoringCase(text, k + 1, 'ey')) at(k);
  }
};

export const findAwsAccessKeys = (text: string): DetectorSpan[] =>
  scanRegex(ACCESS_KEY, text, (m) => span(m.index, m.index + m[0].length, 'aws_access_key', 0.95));

export const findAwsSecretKeys = (text: string): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  let floor = 0; // matches do not overlap: none starts before the previous one's end
  forEachKey(text, (key) => {
    // Whatever comes before `key` ends in `t`, `s`, `_` or `-`: one test rules out most `key`s (`key=key=...`).
    if (key === 0 || BEFORE_KEY[text.charCodeAt(key - 1) | 0x20] !== 1) return;
    for (const back of SECRET_BEFORE_KEY) {
      const start = key - back;
      if (start < floor || !startsWithIgnoringCase(text, start, 'secret')) continue;
      SECRET_KEY_AT.lastIndex = start;
      if (SECRET_KEY_AT.exec(text) === null) continue;
      const end = SECRET_KEY_AT.lastIndex;
      spans.push(span(end - 40, end, 'aws_secret_key', 0.9));
      floor = end;
      break;
    }
  });
  SECRET_KEY_AT.lastIndex = 0;
  return spans;
};

/*
 * No hints for either: each pattern begins with its own literal (`A`, `secret`),
 * so the regex search is as fast as a hint check would be (measured: the check
 * for `akia|asia|abia|acca` took 4 times as long as finding the keys), and a
 * hint would only add a second pass over text that has a match.
 */
export const awsAccessKey = defineDetector({
  id: 'aws_access_key',
  hints: [],
  find: findAwsAccessKeys,
});

export const awsSecretKey = defineDetector({
  id: 'aws_secret_key',
  hints: [],
  find: findAwsSecretKeys,
});
