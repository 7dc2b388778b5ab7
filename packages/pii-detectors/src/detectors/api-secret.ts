import { defineDetector, primeRegex, type DetectorSpan } from '@palisade/core';
import { codeAt, isAsciiAlnum, keepFirstOfOverlapping, shannonEntropy, span } from './scan.js';

/*
 * Credentials with a recognisable shape (vendor prefixes, JWTs, PEM private key
 * blocks) and generic `name = value` pairs whose name ends in key, token,
 * secret, password or credential and whose value looks random enough (Shannon
 * entropy).
 *
 * Everything is found from a literal with `indexOf` (a vendor prefix, `=` or
 * `:`, `-----BEGIN `) and then checked with a sticky regex at that place: a
 * regex that has to consider every word start as a possible name was the
 * slowest part of detection.
 */

const isTokenChar = (c: number): boolean => isAsciiAlnum(c) || c === 95 || c === 45; // [A-Za-z0-9_-]

/*
 * Vendor tokens, found from a few characters every prefix contains, so the text
 * is searched four times rather than once per prefix: `_` (GitHub, Stripe), `-`
 * (Slack, GitLab), `AIza` (Google) and `eyJ` (JWT). At each hit, the prefix is
 * confirmed around it and the rest of the token checked with a sticky regex.
 */
const GITHUB_CLASSIC = /[A-Za-z0-9]{36}/y;
const GITHUB_FINE = /[A-Za-z0-9_]{82}/y;
const STRIPE = /[A-Za-z0-9]{24,99}/y;
const SLACK = /[A-Za-z0-9-]{10,72}/y;
const GITLAB = /[A-Za-z0-9_-]{20}/y;
const GOOGLE = /[0-9A-Za-z_-]{35}/y;
const JWT = /[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{16,1024}/y;

/** A token starting at `start` whose body `rest` matches from `from`, ending at a token boundary; its end or -1. */
const tokenAt = (text: string, start: number, from: number, rest: RegExp): number => {
  if (start < 0 || (start > 0 && isTokenChar(text.charCodeAt(start - 1)))) return -1;
  rest.lastIndex = from;
  if (rest.exec(text) === null) return -1;
  const end = rest.lastIndex;
  return end === text.length || !isTokenChar(text.charCodeAt(end)) ? end : -1;
};

const isOneOf = (c: number, chars: string): boolean => chars.includes(String.fromCharCode(c));

/** A table of ASCII characters, for one-load membership tests in the hot loops. */
const asciiSet = (chars: string): Uint8Array => {
  const table = new Uint8Array(128);
  for (const ch of chars) table[ch.charCodeAt(0)] = 1;
  return table;
};
const isIn = (table: Uint8Array, c: number): boolean => c < 128 && table[c] === 1;

/** Letters that can stand right before the `_` of a prefix: gh[pousr]_, githu(b)_pat_, s(k)_live_. */
const BEFORE_UNDERSCORE = asciiSet('pousrbk');
/** Letters that can stand right before the `-` of a prefix: xox[abposr]-, glpa(t)-. */
const BEFORE_DASH = asciiSet('abposrt');

/** The end of a token whose prefix contains the `_` at `i`, or -1. */
const underscoreToken = (text: string, i: number): [number, number] | null => {
  if (i === 0 || !isIn(BEFORE_UNDERSCORE, text.charCodeAt(i - 1))) return null; // most `_` are in snake_case words
  // gh[pousr]_ + 36
  if (i >= 3 && text.startsWith('gh', i - 3) && isOneOf(text.charCodeAt(i - 1), 'pousr')) {
    const end = tokenAt(text, i - 3, i + 1, GITHUB_CLASSIC);
    if (end !== -1) return [i - 3, end];
  }
  // github_pat_ + 82
  if (i >= 6 && text.startsWith('github_pat_', i - 6)) {
    const end = tokenAt(text, i - 6, i + 5, GITHUB_FINE);
    if (end !== -1) return [i - 6, end];
  }
  // [sr]k_live_ + 24..99
  if (i >= 2 && text.startsWith('k_live_', i - 1) && isOneOf(text.charCodeAt(i - 2), 'sr')) {
    const end = tokenAt(text, i - 2, i + 6, STRIPE);
    if (end !== -1) return [i - 2, end];
  }
  return null;
};

/** The end of a token whose prefix ends with the `-` at `i`, or -1. */
const dashToken = (text: string, i: number): [number, number] | null => {
  if (i === 0 || !isIn(BEFORE_DASH, text.charCodeAt(i - 1))) return null; // most `-` are in dates and numbers
  // xox[abposr]- + 10..72
  if (i >= 4 && text.startsWith('xox', i - 4) && isOneOf(text.charCodeAt(i - 1), 'abposr')) {
    const end = tokenAt(text, i - 4, i + 1, SLACK);
    if (end !== -1) return [i - 4, end];
  }
  // glpat- + 20
  if (i >= 5 && text.startsWith('glpat', i - 5)) {
    const end = tokenAt(text, i - 5, i + 1, GITLAB);
    if (end !== -1) return [i - 5, end];
  }
  return null;
};

/**
 * Calls `visit` at every occurrence of the character `rare` from `from` on; it
 * returns where the search goes on. One character is searched for, not a whole
 * prefix: a native search for one character skips text far faster than one for
 * a string that starts with a common letter (`e` of `eyJ`: 28 times slower on
 * log text).
 */
const eachOccurrence = (text: string, rare: string, from: number, visit: (index: number) => number): void => {
  let i = text.indexOf(rare, from);
  while (i !== -1) i = text.indexOf(rare, Math.max(i + 1, visit(i)));
};

/** Tokens whose prefix holds `separator` (`_`: GitHub, Stripe; `-`: Slack, GitLab), confirmed around it. */
const findPrefixTokens = (
  text: string,
  separator: string,
  tokenAround: (text: string, i: number) => [number, number] | null,
  spans: DetectorSpan[],
): void =>
  eachOccurrence(text, separator, 0, (i) => {
    const found = tokenAround(text, i);
    if (found === null) return i + 1;
    spans.push(span(found[0], found[1], 'api_secret', 0.95));
    return found[1];
  });

/** The first character that is not a token character. */
const TOKEN_RUN_END = primeRegex(/[^A-Za-z0-9_-]/g);

/**
 * Tokens that start with `literal` at a token boundary and go on as `rest`
 * (`AIza...`, `eyJ...`), found by the literal's rarest character, `anchor`
 * characters in (`z` of `AIza`, `J` of `eyJ`). A candidate glued to token
 * characters on its left cannot start a token, and neither can any later one
 * in the same run of token characters: the search goes on after that run
 * (`eyJeyJeyJ...` costs one look per run, not one per `J`).
 */
const findBoundedTokens = (text: string, literal: string, anchor: number, rest: RegExp, spans: DetectorSpan[]): void =>
  eachOccurrence(text, literal.charAt(anchor), anchor, (i) => {
    const start = i - anchor;
    if (!text.startsWith(literal, start)) return i + 1;
    if (start > 0 && isTokenChar(text.charCodeAt(start - 1))) {
      TOKEN_RUN_END.lastIndex = i + 1;
      const stop = TOKEN_RUN_END.exec(text);
      return (stop === null ? text.length : stop.index) + anchor;
    }
    const end = tokenAt(text, start, start + literal.length, rest);
    if (end === -1) return i + 1;
    spans.push(span(start, end, 'api_secret', 0.95));
    return end + anchor;
  });

const findVendorTokens = (text: string, spans: DetectorSpan[]): void => {
  findPrefixTokens(text, '_', underscoreToken, spans);
  findPrefixTokens(text, '-', dashToken, spans);
  findBoundedTokens(text, 'AIza', 2, GOOGLE, spans);
  findBoundedTokens(text, 'eyJ', 2, JWT, spans);
};

const PEM_BEGIN = primeRegex(/-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g);
const PEM_END = /-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/y;

const findPem = (text: string, spans: DetectorSpan[]): void => {
  let from = 0;
  for (;;) {
    PEM_BEGIN.lastIndex = from;
    let begin = PEM_BEGIN.exec(text);
    if (begin === null) break;
    // Look for an END marker once per block; with none left, no later BEGIN can close either.
    const endAt = text.indexOf('-----END ', begin.index + begin[0].length);
    if (endAt === -1) break;
    // The block starts at the last BEGIN before that END (earlier ones were never closed).
    for (let next = PEM_BEGIN.exec(text); next !== null && next.index < endAt; next = PEM_BEGIN.exec(text))
      begin = next;
    PEM_END.lastIndex = endAt;
    const end = PEM_END.exec(text);
    if (end !== null) {
      spans.push(span(begin.index, endAt + end[0].length, 'api_secret', 0.99));
      from = endAt + end[0].length;
    } else {
      from = endAt + 1;
    }
  }
  PEM_BEGIN.lastIndex = 0;
};

/** Name endings that say the value is a credential, lower-case. */
const KEYWORDS: readonly string[] = [
  'key',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'credential',
  'credentials',
];

/** Last letters of the keywords (y, n, t, d, l, s): most separators fail this one test. */
const KEYWORD_LAST = asciiSet(KEYWORDS.map((k) => k.charAt(k.length - 1)).join(''));

/** Whether the name ending at `end` (exclusive) ends with a keyword, compared case-insensitively. */
const nameEndsWithKeyword = (text: string, end: number): boolean => {
  if (end === 0 || !isIn(KEYWORD_LAST, text.charCodeAt(end - 1) | 0x20)) return false;
  for (const k of KEYWORDS) {
    const start = end - k.length;
    if (start < 0) continue;
    let ok = true;
    for (let i = 0; i < k.length; i++) {
      if ((text.charCodeAt(start + i) | 0x20) !== k.charCodeAt(i)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
};

/*
 * The value: `[ \t]{0,4}["']?` then 8 to 256 characters up to the next
 * separator, whitespace or bracket, then `={0,2}` (base64 padding). Keeping `=`
 * and `:` out of the body means `key=key=key=...` ends every candidate at once
 * instead of reading 256 characters per `=`. Read with a loop rather than a
 * sticky regex: it runs at every `key = ...` of the text, and the regex's
 * Unicode whitespace class made it the detector's most expensive line.
 */
const VALUE_MIN = 8;
const VALUE_MAX = 256;
const VALUE_STOP = asciiSet(' \t\n\v\f\r"\'`,;:=<>(){}[]');
/** The characters outside ASCII that `\s` matches. */
const isUnicodeSpace = (c: number): boolean =>
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;
const isValueChar = (c: number): boolean => (c < 128 ? VALUE_STOP[c] !== 1 : !isUnicodeSpace(c));

/** The value starting at `from` (after the separator): its start and end (padding included), or null. */
export const valueAt = (text: string, from: number): [number, number] | null => {
  let i = from;
  for (let spaces = 0; spaces < 4 && (codeAt(text, i) === 32 || codeAt(text, i) === 9); spaces++) i++;
  if (codeAt(text, i) === 34 || codeAt(text, i) === 39) i++;
  const start = i;
  while (i < text.length && i - start < VALUE_MAX && isValueChar(text.charCodeAt(i))) i++;
  if (i - start < VALUE_MIN) return null;
  for (let padding = 0; padding < 2 && codeAt(text, i) === 61; padding++) i++;
  return [start, i];
};
const MIN_ENTROPY = 3;
const PLACEHOLDER = /^(?:\$\{|<|\*+$|x+$|\.\.\.|redacted|changeme|null|undefined|true|false|none)/i;

/** `name = value`, `name: value`, `"name": "value"`, `name => value`: found from the separator. */
const findGenericPairs = (text: string, separator: string, spans: DetectorSpan[]): void => {
  const separatorCode = separator.charCodeAt(0);
  let at = text.indexOf(separator);
  while (at !== -1) {
    // Back over `["']?[ \t]{0,4}` to the end of the name.
    let nameEnd = at;
    let spaces = 0;
    while (nameEnd > 0 && spaces < 4 && (text.charCodeAt(nameEnd - 1) === 32 || text.charCodeAt(nameEnd - 1) === 9)) {
      nameEnd--;
      spaces++;
    }
    const q = codeAt(text, nameEnd - 1);
    if (q === 34 || q === 39) nameEnd--;
    let next = at + 1;
    if (nameEndsWithKeyword(text, nameEnd)) {
      let valueFrom = at + 1;
      if (separator === '=' && codeAt(text, valueFrom) === 62) valueFrom++; // `=>`
      const found = valueAt(text, valueFrom);
      if (found !== null) {
        let end = found[1];
        let value = text.slice(found[0], end);
        // A full stop or colon after the value ends the sentence; it is not part of the secret.
        while (value.length > 0 && (value.endsWith('.') || value.endsWith(':'))) {
          value = value.slice(0, -1);
          end--;
        }
        if (value.length >= 8 && !PLACEHOLDER.test(value) && shannonEntropy(value) >= MIN_ENTROPY) {
          spans.push(span(end - value.length, end, 'api_secret', 0.7));
          next = end;
        }
      }
    }
    // The rest of a run of separators (`::::`) cannot follow a name: skip it in one step. Not after a value,
    // whose tail can be the next name (`secret:Zx9kQ2mP7vLtoken:Ab3dEf6hIj9kLm` holds two secrets).
    if (next === at + 1) while (codeAt(text, next) === separatorCode) next++;
    at = text.indexOf(separator, next);
  }
};

export const findApiSecrets = (text: string): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  findVendorTokens(text, spans);
  if (text.includes('-----BEGIN ')) findPem(text, spans);
  findGenericPairs(text, '=', spans);
  findGenericPairs(text, ':', spans);
  // One span per place: a vendor token after `token=` is found twice.
  return keepFirstOfOverlapping(spans);
};

export const apiSecret = defineDetector({
  id: 'api_secret',
  /*
   * No hints: `find` looks for rare characters and separators with native
   * searches, and on prose without any of its words it took 0.33 ms per MB
   * where the case-insensitive check for them (`key`, `token`, `secret`, ...)
   * took 2.5. Log text nearly always holds a `-` or `_`, so the check never
   * saved a search there either.
   */
  hints: [],
  find: findApiSecrets,
});
