import { defineDetector, type DetectorSpan } from '@palisade/core';
import { isAsciiAlnum, shannonEntropy, span } from './scan.js';

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

/** Vendor prefixes and the rest of the token after them, checked at the prefix. */
const VENDOR: readonly { readonly prefix: string; readonly rest: RegExp }[] = [
  { prefix: 'ghp_', rest: /[A-Za-z0-9]{36}/y }, // GitHub classic tokens
  { prefix: 'gho_', rest: /[A-Za-z0-9]{36}/y },
  { prefix: 'ghu_', rest: /[A-Za-z0-9]{36}/y },
  { prefix: 'ghs_', rest: /[A-Za-z0-9]{36}/y },
  { prefix: 'ghr_', rest: /[A-Za-z0-9]{36}/y },
  { prefix: 'github_pat_', rest: /[A-Za-z0-9_]{82}/y }, // GitHub fine-grained tokens
  { prefix: 'sk_live_', rest: /[A-Za-z0-9]{24,99}/y }, // Stripe live secret keys
  { prefix: 'rk_live_', rest: /[A-Za-z0-9]{24,99}/y }, // Stripe live restricted keys
  { prefix: 'xox', rest: /[abposr]-[A-Za-z0-9-]{10,72}/y }, // Slack
  { prefix: 'glpat-', rest: /[A-Za-z0-9_-]{20}/y }, // GitLab personal access tokens
  { prefix: 'AIza', rest: /[0-9A-Za-z_-]{35}/y }, // Google API keys
  // JWT: header and payload are base64url JSON objects (`eyJ`), then a signature.
  { prefix: 'eyJ', rest: /[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{16,1024}/y },
];

const findVendorTokens = (text: string, spans: DetectorSpan[]): void => {
  for (const { prefix, rest } of VENDOR) {
    let at = text.indexOf(prefix);
    while (at !== -1) {
      let next = at + 1;
      if (at === 0 || !isTokenChar(text.charCodeAt(at - 1))) {
        rest.lastIndex = at + prefix.length;
        const m = rest.exec(text);
        if (m !== null) {
          const end = rest.lastIndex;
          if (end === text.length || !isTokenChar(text.charCodeAt(end))) {
            spans.push(span(at, end, 'api_secret', 0.95));
            next = end;
          }
        }
      }
      at = text.indexOf(prefix, next);
    }
  }
};

const PEM_BEGIN = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g;
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

/** Whether the name ending at `end` (exclusive) ends with a keyword, compared case-insensitively. */
const nameEndsWithKeyword = (text: string, end: number): boolean => {
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
 * The value stops at the next separator character; `=` only as base64 padding at
 * its end. Keeping `=` and `:` out of the body means `key=key=key=...` ends every
 * candidate at once instead of reading 256 characters per `=`.
 */
const VALUE = /[ \t]{0,4}(["']?)([^\s"'`,;:=<>(){}[\]]{8,256}={0,2})/y;
const MIN_ENTROPY = 3;
const PLACEHOLDER = /^(?:\$\{|<|\*+$|x+$|\.\.\.|redacted|changeme|null|undefined|true|false|none)/i;

/** `name = value`, `name: value`, `"name": "value"`, `name => value`: found from the separator. */
const findGenericPairs = (text: string, separator: string, spans: DetectorSpan[]): void => {
  let at = text.indexOf(separator);
  while (at !== -1) {
    // Back over `["']?[ \t]{0,4}` to the end of the name.
    let nameEnd = at;
    let spaces = 0;
    while (nameEnd > 0 && spaces < 4 && (text.charCodeAt(nameEnd - 1) === 32 || text.charCodeAt(nameEnd - 1) === 9)) {
      nameEnd--;
      spaces++;
    }
    const q = text.charCodeAt(nameEnd - 1);
    if (q === 34 || q === 39) nameEnd--;
    let next = at + 1;
    if (nameEndsWithKeyword(text, nameEnd)) {
      let valueFrom = at + 1;
      if (separator === '=' && text.charCodeAt(valueFrom) === 62) valueFrom++; // `=>`
      VALUE.lastIndex = valueFrom;
      const m = VALUE.exec(text);
      if (m !== null) {
        let value = m[2] ?? '';
        let end = VALUE.lastIndex;
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
    at = text.indexOf(separator, next);
  }
};

/** One span per place: a vendor token after `token=` is found twice. */
const dedupe = (spans: DetectorSpan[]): DetectorSpan[] => {
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

export const findApiSecrets = (text: string): DetectorSpan[] => {
  const spans: DetectorSpan[] = [];
  findVendorTokens(text, spans);
  if (text.includes('-----BEGIN ')) findPem(text, spans);
  findGenericPairs(text, '=', spans);
  findGenericPairs(text, ':', spans);
  return dedupe(spans);
};

export const apiSecret = defineDetector({
  id: 'api_secret',
  hints: [
    'ghp_',
    'gho_',
    'ghu_',
    'ghs_',
    'ghr_',
    'github_pat_',
    'k_live_',
    'xox',
    'glpat-',
    'aiza',
    'eyj',
    'private key',
    'key',
    'token',
    'secret',
    'passw',
    'pwd',
    'credential',
  ],
  find: findApiSecrets,
});
