import { createHmac } from 'node:crypto';

/*
 * What a match becomes. All three are pure functions of their inputs (and the
 * tenant's key), so a retried append redacts to the same bytes and its content
 * hash still matches the first attempt.
 */

const ALNUM = /[\p{L}\p{N}]/u;

/** ASCII letters and digits, looked up by code unit: the masking loop's common case, without a regex per character. */
const ASCII_ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_ALNUM[c] = /[A-Za-z0-9]/.test(String.fromCharCode(c)) ? 1 : 0;

/** Whether the code point starting at index `i` (code unit `c`) is a letter or digit; non-ASCII ones are checked by Unicode property. */
const isAlnumAt = (text: string, i: number, c: number): boolean =>
  c < 128 ? ASCII_ALNUM[c] === 1 : ALNUM.test(String.fromCodePoint(text.codePointAt(i) ?? c));

/** Code units the code point starting at `i` takes: 2 for a surrogate pair. */
const unitsAt = (text: string, i: number, c: number): number =>
  c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;

/** Default characters left visible per detector; detectors not listed reveal nothing. */
export const DEFAULT_REVEAL: Readonly<Record<string, number>> = {
  ssn: 4,
  credit_card: 4,
  iban: 4,
  phone: 2,
  email: 1,
};

/**
 * Masks letters and digits, keeping punctuation and spacing, so the format
 * stays readable: `123-45-6789` -> `***-**-6789`. At most half the letters and
 * digits are ever revealed, so a short match is never shown whole. Works on
 * code points (a letter outside the BMP becomes one star). It runs for every
 * match, so ASCII is tested by table, not by regex.
 */
export const maskTail = (text: string, reveal: number): string => {
  let total = 0;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (isAlnumAt(text, i, c)) total++;
    i += unitsAt(text, i, c);
  }
  let hidden = total - Math.min(reveal, Math.floor(total / 2));
  let out = '';
  let kept = 0; // start of the run of characters copied unchanged
  for (let i = 0; i < text.length && hidden > 0;) {
    const c = text.charCodeAt(i);
    const units = unitsAt(text, i, c);
    if (isAlnumAt(text, i, c)) {
      out += text.slice(kept, i) + '*';
      kept = i + units;
      hidden--;
    }
    i += units;
  }
  return out + text.slice(kept);
};

/**
 * An email keeps its domain and the first `reveal` characters of its local
 * part; the rest of the local part becomes three stars whatever its length:
 * `john@example.com` -> `j***@example.com`.
 */
export const maskEmail = (text: string, reveal: number): string => {
  const at = text.lastIndexOf('@');
  if (at <= 0) return maskTail(text, 0);
  const local = [...text.slice(0, at)];
  const shown = Math.min(reveal, Math.floor(local.length / 2));
  return `${local.slice(0, shown).join('')}***${text.slice(at)}`;
};

export const mask = (type: string, text: string, reveal: number): string =>
  type === 'email' ? maskEmail(text, reveal) : maskTail(text, reveal);

/** The placeholder `remove` leaves in free text: `[email]`. */
export const placeholder = (type: string): string => `[${type}]`;

/** Hex characters of the HMAC kept in the output: 64 bits, ample to tell a tenant's values apart. */
const HASH_HEX = 16;

/** The HMAC keys of one tenant: derived from the configured key, so equal values in two tenants never correlate. */
export interface TenantHashKey {
  readonly id: string;
  readonly key: Buffer;
}

export const deriveTenantKey = (keyId: string, secret: string, tenant: string): TenantHashKey => ({
  id: keyId,
  key: createHmac('sha256', secret).update(`palisade/redaction/v1/tenant/${tenant}`).digest(),
});

/** `[ssn:k1:3f9a0c…]`: HMAC-SHA-256 of the type and value under the tenant's key, with the key id. */
export const hashToken = (type: string, text: string, key: TenantHashKey): string =>
  `[${type}:${key.id}:${createHmac('sha256', key.key).update(`${type}\u0000${text}`).digest('hex').slice(0, HASH_HEX)}]`;
