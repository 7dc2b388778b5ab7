import { defineDetector, type DetectorSpan } from '@palisade/core';
import { scanRegex, span } from './scan.js';

/** Access key ids: a four-letter kind prefix and 16 base-32 characters. */
const ACCESS_KEY = /(?<![A-Za-z0-9])A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;

/*
 * A secret access key is 40 characters of base 64 with nothing to tell it from
 * any other blob, so it is only taken next to a name that says what it is:
 * `aws_secret_access_key = ...`, `"SecretAccessKey": "..."`, `secret_key: ...`.
 * The name's optional parts are literals, the gap is bounded: linear. The
 * pattern starts at the literal `secret` (an optional `aws_` before it would add
 * nothing to the match and made the search about 1.7× slower).
 */
const SECRET_KEY =
  /secret[_-]?(?:access[_-]?)?key(?:[_-]?id)?["']?[ \t]{0,4}(?::|=|=>)[ \t]{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;

export const findAwsAccessKeys = (text: string): DetectorSpan[] =>
  scanRegex(ACCESS_KEY, text, (m) => span(m.index, m.index + m[0].length, 'aws_access_key', 0.95));

export const findAwsSecretKeys = (text: string): DetectorSpan[] =>
  scanRegex(SECRET_KEY, text, (m) => {
    const end = m.index + m[0].length;
    return span(end - 40, end, 'aws_secret_key', 0.9);
  });

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
