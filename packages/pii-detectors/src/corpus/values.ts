/*
 * Generators of valid PII values, one per built-in detector type, and of decoys:
 * strings that look like PII but are not (Luhn-invalid card numbers, SSNs that
 * cannot be issued, UUIDs, timestamps, version strings, commit hashes, order
 * numbers). Each value comes with a context that a log line or message would
 * put around it.
 */
import { ALNUM, BASE32, BASE64, BASE64URL, DIGITS, HEX, LOWER, UPPER, type Random } from './random.js';

export const PII_TYPES = [
  'email',
  'ssn',
  'phone',
  'credit_card',
  'ip_address',
  'aws_access_key',
  'aws_secret_key',
  'api_secret',
  'iban',
] as const;
export type PiiType = (typeof PII_TYPES)[number];

export const DECOY_KINDS = [
  'luhn_invalid_card',
  'invalid_ssn',
  'uuid',
  'timestamp',
  'version',
  'commit_hash',
  'order_number',
  'date',
  'amount',
  'near_miss',
  'isbn',
  'invalid_phone',
  'tracking_number',
  'unbranded_luhn',
] as const;
export type DecoyKind = (typeof DECOY_KINDS)[number];

/** A value and the text written before and after it. */
export interface InContext {
  readonly before: string;
  readonly value: string;
  readonly after: string;
}

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'zoë'];
const LAST = ['smith', 'jones', 'garcia', 'müller', 'rossi', 'dubois', 'tanaka', 'novak', 'kowalski', 'silva'];
const DOMAINS = ['example.com', 'mail.example.org', 'corp.example.net', 'example.co.uk', 'shop.example.io'];

const luhnCheckDigit = (body: string): string => {
  let sum = 0;
  let double = true;
  for (let i = body.length - 1; i >= 0; i--) {
    let d = body.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return String((10 - (sum % 10)) % 10);
};

const CARD_BRANDS: readonly { prefix: (rnd: Random) => string; length: number; groups: readonly number[] }[] = [
  { prefix: () => '4', length: 16, groups: [4, 4, 4, 4] },
  { prefix: (rnd) => `5${rnd.int(1, 5)}`, length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => '37', length: 15, groups: [4, 6, 5] },
  { prefix: () => '6011', length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => '2221', length: 16, groups: [4, 4, 4, 4] },
  { prefix: () => '3530', length: 16, groups: [4, 4, 4, 4] },
];

const group = (digits: string, sizes: readonly number[], sep: string): string => {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  return parts.join(sep);
};

export const cardDigits = (rnd: Random, valid: boolean): { digits: string; groups: readonly number[] } => {
  const brand = rnd.pick(CARD_BRANDS);
  const prefix = brand.prefix(rnd);
  const body = prefix + rnd.chars(DIGITS, brand.length - prefix.length - 1);
  const check = luhnCheckDigit(body);
  const last = valid ? check : String((Number(check) + rnd.int(1, 9)) % 10);
  return { digits: body + last, groups: brand.groups };
};

const formatCard = (rnd: Random, valid: boolean): string => {
  const { digits, groups } = cardDigits(rnd, valid);
  const style = rnd.int(0, 2);
  return style === 0 ? digits : group(digits, groups, style === 1 ? ' ' : '-');
};

const SSN_SAMPLES = new Set(['078051120', '219099999', '457555462', '123456789']);

const ssnValue = (rnd: Random): string => {
  for (;;) {
    const area = rnd.int(1, 899);
    if (area === 666) continue;
    const a = String(area).padStart(3, '0');
    const g = String(rnd.int(1, 99)).padStart(2, '0');
    const s = String(rnd.int(1, 9999)).padStart(4, '0');
    if (SSN_SAMPLES.has(a + g + s)) continue;
    return rnd.chance(0.8) ? `${a}-${g}-${s}` : `${a} ${g} ${s}`;
  }
};

const invalidSsn = (rnd: Random): string => {
  const g = String(rnd.int(1, 99)).padStart(2, '0');
  const s = String(rnd.int(1, 9999)).padStart(4, '0');
  switch (rnd.int(0, 5)) {
    case 0:
      return `000-${g}-${s}`;
    case 1:
      return `666-${g}-${s}`;
    case 2:
      return `${rnd.int(900, 999)}-${g}-${s}`;
    case 3:
      return `${rnd.int(100, 665)}-00-${s}`;
    case 4:
      return `${rnd.int(100, 665)}-${g}-0000`;
    default:
      return rnd.pick(['078-05-1120', '219-09-9999']);
  }
};

const phoneValue = (rnd: Random): string => {
  const area = `${rnd.int(2, 9)}${rnd.chars(DIGITS, 2)}`;
  const exch = rnd.chars(DIGITS, 3);
  const line = rnd.chars(DIGITS, 4);
  switch (rnd.int(0, 7)) {
    case 0:
      return `+1 (${area}) ${exch}-${line}`;
    case 1:
      return `${area}.${exch}.${line}`;
    case 2:
      return `(${area}) ${exch}-${line}`;
    case 3:
      return `${area}-${exch}-${line}`;
    case 4:
      return `+44 20 ${rnd.chars(DIGITS, 4)} ${rnd.chars(DIGITS, 4)}`;
    case 5:
      return `+49 30 ${rnd.chars(DIGITS, 6)}`;
    case 6:
      return `+33 ${rnd.int(1, 9)} ${rnd.chars(DIGITS, 2)} ${rnd.chars(DIGITS, 2)} ${rnd.chars(DIGITS, 2)} ${rnd.chars(DIGITS, 2)}`;
    default:
      return `+81-3-${rnd.chars(DIGITS, 4)}-${rnd.chars(DIGITS, 4)}`;
  }
};

const hexGroup = (rnd: Random): string => rnd.int(0, 0xffff).toString(16);

const ipValue = (rnd: Random): string => {
  const octet = (): number => rnd.int(0, 255);
  switch (rnd.int(0, 5)) {
    case 0:
    case 1:
      return `${rnd.int(1, 223)}.${octet()}.${octet()}.${octet()}`;
    case 2: {
      const groups = Array.from({ length: 8 }, () => hexGroup(rnd));
      return groups.join(':');
    }
    case 3: {
      // Compressed: a run of zero groups written as `::`.
      const head = Array.from({ length: rnd.int(1, 3) }, () => hexGroup(rnd));
      const tail = Array.from({ length: rnd.int(1, 3) }, () => hexGroup(rnd));
      return `${head.join(':')}::${tail.join(':')}`;
    }
    case 4:
      return `::ffff:${rnd.int(1, 223)}.${octet()}.${octet()}.${octet()}`;
    default:
      return `fe80::${hexGroup(rnd)}:${hexGroup(rnd)}%eth${rnd.int(0, 3)}`;
  }
};

const IBAN_FORMATS: readonly { country: string; bban: (rnd: Random) => string }[] = [
  { country: 'DE', bban: (rnd) => rnd.chars(DIGITS, 18) },
  { country: 'GB', bban: (rnd) => rnd.chars(UPPER, 4) + rnd.chars(DIGITS, 14) },
  { country: 'FR', bban: (rnd) => rnd.chars(DIGITS, 23) },
  { country: 'NL', bban: (rnd) => rnd.chars(UPPER, 4) + rnd.chars(DIGITS, 10) },
  { country: 'ES', bban: (rnd) => rnd.chars(DIGITS, 20) },
  { country: 'IT', bban: (rnd) => rnd.chars(UPPER, 1) + rnd.chars(DIGITS, 10) + rnd.chars(DIGITS + UPPER, 12) },
];

const mod97 = (numeric: string): number => {
  let r = 0;
  for (const ch of numeric) r = (r * 10 + Number(ch)) % 97;
  return r;
};
const toNumeric = (s: string): string =>
  [...s].map((ch) => (ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch)).join('');

const ibanValue = (rnd: Random): string => {
  const f = rnd.pick(IBAN_FORMATS);
  const bban = f.bban(rnd);
  const check = String(98 - mod97(toNumeric(bban + f.country + '00'))).padStart(2, '0');
  const compact = f.country + check + bban;
  return rnd.chance(0.5) ? compact : (compact.match(/.{1,4}/g) ?? []).join(' ');
};

const jwtValue = (rnd: Random): string => {
  const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const payload = Buffer.from(JSON.stringify({ sub: rnd.chars(DIGITS, 10), iat: rnd.int(1.6e9, 1.8e9) })).toString(
    'base64url',
  );
  return `${header}.${payload}.${rnd.chars(BASE64URL, 43)}`;
};

const pemValue = (rnd: Random): string => {
  const lines = Array.from({ length: 3 }, () => rnd.chars(BASE64, 64));
  return `-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n-----END RSA PRIVATE KEY-----`;
};

/** A valid value of `type` with a context around it. */
export const piiInContext = (type: PiiType, rnd: Random): InContext => {
  switch (type) {
    case 'email': {
      const name = `${rnd.pick(FIRST)}.${rnd.pick(LAST)}${rnd.chance(0.3) ? `+${rnd.chars(LOWER, 4)}` : ''}`;
      // Mostly ASCII; one in five keeps its accents (an internationalised address).
      const local = rnd.chance(0.2) ? name : name.normalize('NFD').replace(/[^\x20-\x7e]/g, '');
      return {
        before: rnd.pick(['contact ', 'from: ', 'reply to <', 'email=']),
        value: `${local}@${rnd.pick(DOMAINS)}`,
        after: rnd.pick([' ', '>', '.', ', ']),
      };
    }
    case 'ssn':
      return {
        before: rnd.pick(['SSN ', 'ssn: ', 'social security number ', 'tax id ']),
        value: ssnValue(rnd),
        after: rnd.pick([' ', '.', ', ']),
      };
    case 'phone':
      return {
        before: rnd.pick(['call ', 'tel: ', 'phone ', 'mobile: ']),
        value: phoneValue(rnd),
        after: rnd.pick([' ', '.', ', ', ' ext']),
      };
    case 'credit_card':
      return {
        before: rnd.pick(['card ', 'pan=', 'charged card ', 'cc: ']),
        value: formatCard(rnd, true),
        after: rnd.pick([' ', '.', ', ']),
      };
    case 'ip_address':
      return {
        before: rnd.pick(['from ', 'client ip ', 'addr=', 'peer [']),
        value: ipValue(rnd),
        after: rnd.pick([' ', ', ', '] ', '.']),
      };
    case 'aws_access_key':
      return {
        before: rnd.pick(['AWS_ACCESS_KEY_ID=', 'access key ', '"AccessKeyId": "']),
        value: rnd.pick(['AKIA', 'ASIA']) + rnd.chars(BASE32, 16),
        after: rnd.pick([' ', '"', ', ']),
      };
    case 'aws_secret_key':
      return {
        before: rnd.pick(['aws_secret_access_key = ', 'AWS_SECRET_ACCESS_KEY=', '"SecretAccessKey": "']),
        value: rnd.chars(BASE64, 40),
        after: rnd.pick([' ', '"', ', ']),
      };
    case 'api_secret': {
      const value = rnd.pick([
        () => `ghp_${rnd.chars(ALNUM, 36)}`,
        () => `sk_live_${rnd.chars(ALNUM, 24)}`,
        () => `xoxb-${rnd.chars(DIGITS, 11)}-${rnd.chars(DIGITS, 12)}-${rnd.chars(ALNUM, 24)}`,
        () => `glpat-${rnd.chars(BASE64URL, 20)}`,
        () => `AIza${rnd.chars(BASE64URL, 35)}`,
        () => jwtValue(rnd),
        () => pemValue(rnd),
      ])();
      if (rnd.chance(0.25)) {
        return {
          before: rnd.pick(['client_secret=', 'API_TOKEN: ', 'db_password = ']),
          value: rnd.chars(ALNUM, 24),
          after: ' ',
        };
      }
      return { before: rnd.pick(['using ', 'auth ', 'Bearer ', '\n']), value, after: rnd.pick([' ', '\n', ', ']) };
    }
    case 'iban':
      return {
        before: rnd.pick(['IBAN ', 'iban: ', 'pay to ', 'account ']),
        value: ibanValue(rnd),
        after: rnd.pick([' ', '.', ', ']),
      };
  }
};

/** A decoy of `kind` with a context around it. */
export const decoyInContext = (kind: DecoyKind, rnd: Random): InContext => {
  switch (kind) {
    case 'luhn_invalid_card':
      return { before: 'ref ', value: formatCard(rnd, false), after: ' ' };
    case 'invalid_ssn':
      return { before: rnd.pick(['id ', 'case ']), value: invalidSsn(rnd), after: ' ' };
    case 'uuid':
      return {
        before: 'request ',
        value: `${rnd.chars(HEX, 8)}-${rnd.chars(HEX, 4)}-4${rnd.chars(HEX, 3)}-${rnd.pick(['8', '9', 'a', 'b'])}${rnd.chars(HEX, 3)}-${rnd.chars(HEX, 12)}`,
        after: ' ',
      };
    case 'timestamp': {
      const d = new Date(rnd.int(1.5e12, 1.8e12));
      return {
        before: 'at ',
        value: rnd.pick([
          d.toISOString(),
          d.toISOString().replace('T', ' ').slice(0, 19),
          String(Math.floor(d.getTime() / 1000)),
        ]),
        after: ' ',
      };
    }
    case 'version':
      return {
        before: rnd.pick(['version ', 'v', 'node ', 'build ']),
        value: `${rnd.int(0, 30)}.${rnd.int(0, 99)}.${rnd.int(0, 999)}${rnd.chance(0.2) ? `-rc.${rnd.int(1, 9)}` : ''}`,
        after: ' ',
      };
    case 'commit_hash':
      return { before: 'commit ', value: rnd.chars(HEX, rnd.pick([7, 40])), after: ' ' };
    case 'order_number':
      return {
        before: rnd.pick(['order ', 'invoice #', 'ticket ']),
        value: rnd.pick([
          `ORD-${rnd.chars(DIGITS, 8)}`,
          `${rnd.int(1, 3)}${rnd.chars(DIGITS, 9)}`,
          `INV-2024-${rnd.chars(DIGITS, 6)}`,
        ]),
        after: ' ',
      };
    case 'date':
      return {
        before: 'on ',
        value: rnd.pick([
          `${rnd.int(2000, 2030)}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}`,
          `${rnd.int(1, 12)}/${rnd.int(1, 28)}/${rnd.int(2000, 2030)}`,
          `${String(rnd.int(0, 23)).padStart(2, '0')}:${String(rnd.int(0, 59)).padStart(2, '0')}:${String(rnd.int(0, 59)).padStart(2, '0')}`,
        ]),
        after: ' ',
      };
    case 'amount':
      return {
        before: 'total ',
        value: rnd.pick([
          `$${rnd.int(1, 99)},${rnd.chars(DIGITS, 3)}.${rnd.chars(DIGITS, 2)}`,
          `${rnd.int(1, 999)}.${rnd.chars(DIGITS, 2)} EUR`,
          `${rnd.int(1, 100)}%`,
        ]),
        after: ' ',
      };
    case 'isbn':
      return {
        before: 'ISBN ',
        value: `978-${rnd.int(0, 9)}-${rnd.chars(DIGITS, 2)}-${rnd.chars(DIGITS, 6)}-${rnd.int(0, 9)}`,
        after: ' ',
      };
    case 'invalid_phone':
      // North American shapes whose area code starts with 0 or 1: not assignable.
      return {
        before: 'ext ',
        value: `${rnd.int(0, 1)}${rnd.chars(DIGITS, 2)}${rnd.pick(['-', '.'])}${rnd.chars(DIGITS, 3)}-${rnd.chars(DIGITS, 4)}`,
        after: ' ',
      };
    case 'tracking_number':
      return { before: 'shipment ', value: `1Z${rnd.chars(UPPER + DIGITS, 6)}${rnd.chars(DIGITS, 10)}`, after: ' ' };
    case 'unbranded_luhn': {
      // Luhn-valid 16 digits with no issuer's prefix (they start with 1 or 7, which no card network uses).
      const body = `${rnd.pick(['1', '7'])}${rnd.chars(DIGITS, 14)}`;
      return { before: 'account ', value: body + luhnCheckDigit(body), after: ' ' };
    }
    case 'near_miss':
      return {
        before: 'value ',
        value: rnd.pick([
          `${rnd.int(100, 665)}-${rnd.chars(DIGITS, 2)}-${rnd.chars(DIGITS, 3)}`, // SSN one digit short
          `4${rnd.chars(DIGITS, 2)} ${rnd.chars(DIGITS, 4)} ${rnd.chars(DIGITS, 4)} ${rnd.chars(DIGITS, 3)}`, // card too short
          `${rnd.int(1, 223)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}`, // three octets
          `${rnd.int(256, 999)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}.${rnd.int(0, 255)}`, // octet out of range
          `user@localhost`,
          `${rnd.chars(LOWER, 5)}@`,
          `AKIA${rnd.chars(BASE32, 12)}`, // key id too short
          `ghp_${rnd.chars(ALNUM, 20)}`, // token too short
          `+1 ${rnd.chars(DIGITS, 3)}`,
          `${rnd.chars(HEX, 2)}:${rnd.chars(HEX, 2)}:${rnd.chars(HEX, 2)}:${rnd.chars(HEX, 2)}:${rnd.chars(HEX, 2)}:${rnd.chars(HEX, 2)}`, // MAC
        ]),
        after: ' ',
      };
  }
};
