import { defineDetector, type DetectorSpan } from '@palisade/core';
import { span } from './scan.js';

/*
 * Found from each `@` outwards with plain loops rather than a regex: a regex
 * anchored on the local part would be retried at every letter of ordinary
 * prose. Each character is looked at a bounded number of times (the left scan
 * stops at the previous `@` or the previous match).
 */

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/*
 * Internationalised addresses (RFC 6531: `zoë@example.de`, `用户@例子.广告`) use
 * non-ASCII letters in both parts. Any non-ASCII code unit counts as a letter
 * except spaces and punctuation blocks and surrogates (emoji are not addresses).
 */
const isIntlChar = (c: number): boolean =>
  c >= 0x80 &&
  c !== 0xa0 &&
  !(c >= 0x2000 && c <= 0x206f) && // general punctuation, spaces, quotes
  !(c >= 0x3000 && c <= 0x303f) && // CJK punctuation
  !(c >= 0xd800 && c <= 0xdfff) && // surrogates
  c !== 0xfeff &&
  !(c >= 0xff01 && c <= 0xff20); // full-width punctuation

const isLocalChar = (c: number): boolean =>
  isIntlChar(c) ||
  (c >= 97 && c <= 122) || // a-z
  (c >= 65 && c <= 90) || // A-Z
  (c >= 48 && c <= 57) || // 0-9
  c === 46 || // .
  c === 95 || // _
  c === 37 || // %
  c === 43 || // +
  c === 45; // -

const isDomainChar = (c: number): boolean =>
  isIntlChar(c) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

const validDomain = (domain: string): boolean => {
  if (domain.length < 4 || domain.length > MAX_DOMAIN) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
  }
  const tld = labels[labels.length - 1] ?? '';
  if (tld.length < 2) return false;
  for (let i = 0; i < tld.length; i++) if (!isLetter(tld.charCodeAt(i)) && !isIntlChar(tld.charCodeAt(i))) return false;
  return true;
};

const MIN_DOMAIN = 4;

/** Whether the `count` characters from `from` are all domain characters. */
const domainCharsFollow = (text: string, from: number, count: number): boolean => {
  if (from + count > text.length) return false;
  for (let i = from; i < from + count; i++) if (!isDomainChar(text.charCodeAt(i))) return false;
  return true;
};

export const findEmails = (text: string): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  let floor = 0; // nothing before this index can start a new match
  let at = text.indexOf('@');
  while (at !== -1) {
    // A domain has at least four characters (`a.io`): without them (`@@`, `a@a@`), nothing else needs a look.
    if (!domainCharsFollow(text, at + 1, MIN_DOMAIN)) {
      // An `@` right after another has an empty local part: the rest of a run of them is passed over too.
      let next = at + 1;
      while (next < text.length && text.charCodeAt(next) === 64) next++;
      floor = Math.max(floor, next);
      at = text.indexOf('@', floor);
      continue;
    }
    let start = at;
    while (start > floor && at - start < MAX_LOCAL + 1 && isLocalChar(text.charCodeAt(start - 1))) start--;
    // A local part longer than allowed, or glued to more local characters, is not an address.
    const gluedLeft = start > floor && isLocalChar(text.charCodeAt(start - 1));
    while (start < at && text.charCodeAt(start) === 46) start++; // no leading dots
    let end = at + 1 + MIN_DOMAIN; // the first MIN_DOMAIN were read above
    while (end < text.length && end - at <= MAX_DOMAIN + 1 && isDomainChar(text.charCodeAt(end))) end++;
    const gluedRight = end < text.length && isDomainChar(text.charCodeAt(end));
    // Trailing sentence punctuation is not part of the domain.
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    // The cheap tests first: in a run like `a@a@a@` most candidates fail them, and need no slices.
    const plausible = !gluedLeft && !gluedRight && start < at && end - at > 4;
    const local = plausible ? text.slice(start, at) : '';
    if (plausible && !local.endsWith('.') && !local.includes('..') && validDomain(text.slice(at + 1, end))) {
      spans.push(span(start, end, 'email', 0.95));
      floor = end;
    } else {
      floor = Math.max(floor, at + 1);
    }
    at = text.indexOf('@', Math.max(at + 1, floor));
  }
  return spans;
};

export const email = defineDetector({
  id: 'email',
  hints: ['@'],
  find: findEmails,
});
