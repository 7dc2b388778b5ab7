import { createHmac } from 'node:crypto';

/*
 * What a match becomes. All three are pure functions of their inputs (and the
 * tenant's key), so a retried append redacts to the same bytes and its content
 * hash still matches the first attempt.
 */

const ALNUM = /[\p{L}\p{N}]/u;
const ALNUM_GLOBAL = /[\p{L}\p{N}]/gu;

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
 * digits are ever revealed, so a short match is never shown whole.
 */
export const maskTail = (text: string, reveal: number): string => {
  const total = text.match(ALNUM_GLOBAL)?.length ?? 0;
  const shown = Math.min(reveal, Math.floor(total / 2));
  let hidden = total - shown;
  let out = '';
  for (const ch of text) {
    if (hidden > 0 && ALNUM.test(ch)) {
      out += '*';
      hidden--;
    } else {
      out += ch;
    }
  }
  return out;
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
