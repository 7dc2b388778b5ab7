import { defineDetector, type DetectorSpan } from '@palisade/core';
import { scanRegex, shannonEntropy, span } from './scan.js';

/*
 * Credentials with a recognisable shape (vendor prefixes, JWTs, PEM private key
 * blocks) and generic `name = value` pairs whose name says key, token, secret or
 * password and whose value looks random enough (Shannon entropy).
 */

const VENDOR_TOKENS = [
  'gh[pousr]_[A-Za-z0-9]{36}', // GitHub classic tokens
  'github_pat_[A-Za-z0-9_]{82}', // GitHub fine-grained tokens
  '[sr]k_live_[A-Za-z0-9]{24,99}', // Stripe live secret and restricted keys
  'xox[abposr]-[A-Za-z0-9-]{10,72}', // Slack
  'glpat-[A-Za-z0-9_-]{20}', // GitLab personal access tokens
  'AIza[0-9A-Za-z_-]{35}', // Google API keys
  // JWT: three base64url segments, header and payload being JSON objects (`eyJ`).
  'eyJ[A-Za-z0-9_-]{8,4096}\\.eyJ[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{16,1024}',
]
  .map((p) => `(?:${p})`)
  .join('|');
const VENDOR = new RegExp(`(?<![A-Za-z0-9_-])(?:${VENDOR_TOKENS})(?![A-Za-z0-9_-])`, 'g');

const PEM_BEGIN = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = /-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/y;

/*
 * The name is a word ending in one of the keywords; the value runs to the next
 * space, quote or separator. The name's leading part is bounded and the look-behind
 * starts it at a word boundary only.
 */
const GENERIC =
  /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,40}?(?:key|token|secret|password|passwd|pwd|credentials?)["']?[ \t]{0,4}(?::|=|=>)[ \t]{0,4}(["']?)([^\s"'`,;<>(){}[\]]{8,256})/gi;

const MIN_ENTROPY = 3;
const PLACEHOLDER = /^(?:\$\{|<|\*+$|x+$|\.\.\.|redacted|changeme|null|undefined|true|false|none)/i;

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

export const findApiSecrets = (text: string): DetectorSpan[] => {
  const spans = scanRegex(VENDOR, text, (m) => span(m.index, m.index + m[0].length, 'api_secret', 0.95));
  if (text.includes('-----BEGIN ')) findPem(text, spans);
  const generic = scanRegex(GENERIC, text, (m) => {
    let value = m[2] ?? '';
    let end = m.index + m[0].length;
    // A full stop or colon after the value ends the sentence, it is not part of the secret.
    while (value.length > 0 && (value.endsWith('.') || value.endsWith(':'))) {
      value = value.slice(0, -1);
      end--;
    }
    if (value.length < 8 || PLACEHOLDER.test(value) || shannonEntropy(value) < MIN_ENTROPY) return null;
    return span(end - value.length, end, 'api_secret', 0.7);
  });
  if (generic.length === 0) return spans;
  // A vendor token after `token=` is found twice: keep one span per place.
  const all = [...spans, ...generic].sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: DetectorSpan[] = [];
  for (const s of all) {
    const last = kept[kept.length - 1];
    if (last !== undefined && s.start < last.end) continue;
    kept.push(s);
  }
  return kept;
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
