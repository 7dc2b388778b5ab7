import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectorContract } from './testkit/index.js';
import { valueAt } from './detectors/api-secret.js';
import { samplePositives } from './corpus/index.js';
import {
  apiSecret,
  awsAccessKey,
  awsSecretKey,
  creditCard,
  detectors,
  email,
  iban,
  ipAddress,
  phone,
  ssn,
  BUILTIN_DETECTOR_IDS,
} from './index.js';

const found = (detector: { find(t: string): readonly { start: number; end: number }[] }, text: string): string[] =>
  detector.find(text).map((s) => text.slice(s.start, s.end));

detectorContract(email, {
  positives: [
    'bob@example.com',
    'zoë.müller@exämple.de',
    '用户@例子.广告',
    'first.last+tag@mail.example.co.uk',
    'a_b%c-d@sub-domain.example.org',
    ...samplePositives('email', 5),
  ],
  negatives: [
    'user@localhost',
    'a@b',
    '@example.com',
    'bob@',
    'x@y.c',
    'bob@example.c0m',
    'a..b@example.com',
    'bob@-example.com',
  ],
});

detectorContract(ssn, {
  positives: [
    '123-45-6788',
    '536 22 8726',
    '001-01-0001',
    '665-99-9999',
    { prefix: 'SSN-', value: '123-45-6788' },
    ...samplePositives('ssn', 5),
  ],
  negatives: [
    '000-12-3456',
    '666-12-3456',
    '900-12-3456',
    '999-99-9999',
    '123-00-4567',
    '123-45-0000',
    '078-05-1120',
    '219-09-9999',
    '123456788',
    '123-45-678',
    '1234-56-7890',
    '123-45 6789',
    '2024-01-15',
  ],
});

detectorContract(phone, {
  positives: [
    '+1 (555) 123-4567',
    '555.123.4567',
    '(212) 555-0100',
    '212-555-0100',
    '+44 20 7946 0958',
    '+49 30 123456',
    '+33 1 23 45 67 89',
    '+81-3-1234-5678',
    '+4930123456',
    ...samplePositives('phone', 5),
  ],
  negatives: [
    '5551234567',
    '1700000000',
    '055-123-4567',
    '155.123.4567',
    '+1 555',
    '2024-01-15',
    '10:22:33',
    '1.2.3',
    '+1234567',
  ],
});

detectorContract(creditCard, {
  positives: [
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '4111111111111111',
    '5555555555554444',
    '378282246310005',
    '3782 822463 10005',
    '6011111111111117',
    '3530111333300000',
    '4222222222222',
    { prefix: 'CC-', value: '4111 1111 1111 1111' },
    { prefix: 'card-', value: '4111111111111111' },
    { prefix: '-', value: '4111111111111111' }, // a card sent as a negative JSON number
    { prefix: 'order-123 ', value: '4111-1111-1111-1111' }, // led by a group that is not part of it
    { prefix: 'order 123 ', value: '4111-1111-1111-1111' },
    { prefix: 'balance -250 ', value: '4111 1111 1111 1111' },
    ...samplePositives('credit_card', 5),
  ],
  negatives: [
    '4111 1111 1111 1112',
    '4111111111111112',
    '1234567812345670', // Luhn-valid, no issuer starts with 1
    '4111 1111-1111 1111',
    '4111 1111 1111',
    '41111111111111111111111',
    '0000 0000 0000 0000',
    'e73faeae-4bee-4560-8272-81931b0bc18a', // a UUID whose groups 4560-8272-81931 would pass as a 13-digit Visa
  ],
});

detectorContract(ipAddress, {
  positives: [
    '192.168.1.1',
    '10.0.0.255',
    '8.8.8.8',
    '2001:db8::1',
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '::1',
    'fe80::1%eth0',
    '::ffff:192.0.2.128',
    '64:ff9b::192.0.2.33',
    '2001:db8:0:0:1:0:0:1',
    ...samplePositives('ip_address', 6),
  ],
  negatives: [
    '999.1.1.1',
    '256.256.256.256',
    '1.2.3',
    '1.2.3.4.5',
    '01.02.03.04',
    '12:30:45',
    '00:1a:2b:3c:4d:5e',
    '2001:db8:::1',
    '1:2:3:4:5:6:7:8:9',
    'std::vector',
    'v1.2.3',
    '::ffff:1.2.3.256',
  ],
});

detectorContract(awsAccessKey, {
  positives: ['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A', ...samplePositives('aws_access_key', 3)],
  negatives: [
    'AKIAIOSFODNN7EXAMPL',
    'AKIAIOSFODNN7EXAMPLE1',
    'AKIAiosfodnn7example',
    'AKIA10SF0DNN1EXAMPLE',
    'XKIAIOSFODNN7EXAMPLE',
  ],
});

const SECRET_40 = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
detectorContract(awsSecretKey, {
  positives: [
    { prefix: 'aws_secret_access_key = ', value: SECRET_40 },
    { prefix: 'AWS_SECRET_ACCESS_KEY=', value: SECRET_40 },
    { prefix: '"SecretAccessKey": "', value: SECRET_40, suffix: '"' },
    { prefix: 'secret_key: ', value: SECRET_40 },
  ],
  negatives: [
    SECRET_40,
    `aws_secret_access_key = ${SECRET_40}X`,
    `aws_secret_access_key = ${SECRET_40.slice(1)}`,
    `public_key = ${SECRET_40}`,
  ],
});

describe('aws_secret_key', () => {
  it('finds exactly what the plain pattern finds, though it only tries the pattern before a `key`', () => {
    // The definition: a global, case-insensitive search for the whole pattern.
    const pattern =
      /secret[_-]?(?:access[_-]?)?key(?:[_-]?id)?["']?[ \t]{0,4}(?::|=|=>)[ \t]{0,4}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi;
    const byPattern = (text: string): string[] => [...text.matchAll(pattern)].map((m) => m[1] ?? '');
    const piece = fc.constantFrom(
      'secret',
      'SECRET',
      'Secret',
      '_',
      '-',
      'access',
      'Access',
      'key',
      'KEY',
      'Key',
      'k',
      'id',
      '"',
      "'",
      ' ',
      '\t',
      ':',
      '=',
      '=>',
      'x',
      SECRET_40,
      SECRET_40.slice(3),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(found(awsSecretKey, text)).toEqual(byPattern(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('api_secret pairs', () => {
  it('finds both of two pairs written without a space, where the first value ends in the second name', () => {
    expect(found(apiSecret, 'secret:Zx9kQ2mP7vLtoken:Ab3dEf6hIj9kLm')).toEqual(['Zx9kQ2mP7vLtoken', 'Ab3dEf6hIj9kLm']);
    expect(found(apiSecret, 'password:hunter2xyzQ_api_key:AbC9dEf2GhJ7kLm')).toEqual([
      'hunter2xyzQ_api_key',
      'AbC9dEf2GhJ7kLm',
    ]);
  });
});

describe('api_secret values', () => {
  it('are read exactly as the plain pattern reads them, Unicode whitespace included', () => {
    const pattern = /[ \t]{0,4}(["']?)([^\s"'`,;:=<>(){}[\]]{8,256}={0,2})/y;
    const byPattern = (text: string): [number, number] | null => {
      pattern.lastIndex = 0;
      const m = pattern.exec(text);
      return m === null ? null : [pattern.lastIndex - (m[2] ?? '').length, pattern.lastIndex];
    };
    // Mostly value characters, so runs of 8 and more are common; every kind of stop in between.
    const valueChar = fc.constantFrom('a', 'Z', '9', '/', '+', '.', '-', '_', 'é', '日', '🙂', '\u0085', '\u180e');
    const stop = fc.constantFrom(
      '=',
      ' ',
      '\t',
      '"',
      "'",
      '`',
      ':',
      ',',
      ';',
      '(',
      ']',
      '{',
      '<',
      '\n',
      '\u00a0',
      '\u2003',
      '\u2028',
      '\u3000',
      '\ufeff',
    );
    const unit = fc.oneof({ arbitrary: valueChar, weight: 12 }, { arbitrary: stop, weight: 1 });
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 300 }), (units) => {
        const text = units.join('');
        expect(valueAt(text, 0)).toEqual(byPattern(text));
      }),
      { numRuns: 3000 },
    );
    const long = `  "${'k'.repeat(300)}`;
    expect(valueAt(long, 0)).toEqual(byPattern(long));
  });
});

detectorContract(apiSecret, {
  positives: [
    'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
    `github_pat_${'A1b2C3d4E5'.repeat(8)}Zz`,
    'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
    'rk_live_51H8xYzAbCdEfGhIjKlMnOpQr',
    'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'glpat-Ab3dEf6hIj9lMn2pQr5t',
    'AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----',
    { prefix: 'client_secret=', value: 'q8Zr2LmX7vNc4TbY9wKp' },
    { prefix: 'DB_PASSWORD: ', value: 'Tr0ub4dor&3xYz!' },
    { prefix: '"api_token": "', value: 'a1B2c3D4e5F6g7H8i9J0', suffix: '"' },
    ...samplePositives('api_secret', 6),
  ],
  negatives: [
    'password=aaaaaaaaaaaa',
    'password: ********',
    'api_key=${secret:vault/api}',
    'token: <redacted>',
    'secret=changeme',
    'ghp_short',
    'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
    'eyJhbGciOiJIUzI1NiJ9',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----',
    '-----BEGIN RSA PRIVATE KEY-----\nno end marker',
    'the key to success',
  ],
});

detectorContract(iban, {
  positives: [
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    'GB82 WEST 1234 5698 7654 32',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
    'NO9386011117947',
    ...samplePositives('iban', 5),
  ],
  negatives: [
    'DE89370400440532013001',
    'DE8937040044053201300',
    'XX89370400440532013000',
    'GB82WEST1234569876543',
    'de89370400440532013000',
  ],
});

describe('the built-in detector module', () => {
  it('exports every built-in detector once, as a detector module', () => {
    expect(BUILTIN_DETECTOR_IDS).toEqual([
      'email',
      'ssn',
      'phone',
      'credit_card',
      'ip_address',
      'aws_access_key',
      'aws_secret_key',
      'api_secret',
      'iban',
    ]);
    expect(new Set(detectors.map((d) => d.id)).size).toBe(detectors.length);
  });

  it('reads the examples from the task as PII', () => {
    expect(found(phone, 'call +1 (555) 123-4567 or 555.123.4567')).toEqual(['+1 (555) 123-4567', '555.123.4567']);
    expect(found(creditCard, 'paid with 4111 1111 1111 1111 2024-01-15')).toEqual(['4111 1111 1111 1111']);
    expect(found(ipAddress, 'from [2001:db8::1]:443 and 10.1.2.3:80, ip:2001:db8::2.')).toEqual([
      '2001:db8::1',
      '10.1.2.3',
      '2001:db8::2',
    ]);
    expect(found(email, 'mail bob@example.com.')).toEqual(['bob@example.com']);
  });

  it('keeps one span when a PEM block follows BEGIN lines that never closed', () => {
    const block = '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----';
    const text = `${'-----BEGIN PRIVATE KEY-----'.repeat(100)} ${block}`;
    expect(found(apiSecret, text)).toEqual([block]);
  });

  it('survives long adversarial runs without hanging (each returns, finding nothing)', () => {
    const runs = [
      '1'.repeat(100_000),
      '.'.repeat(100_000),
      '@'.repeat(100_000),
      'a@'.repeat(50_000),
      '1.'.repeat(50_000),
      '1-'.repeat(50_000),
      ':'.repeat(100_000),
      'a:'.repeat(50_000),
      'eyJ'.repeat(30_000),
      'key='.repeat(25_000),
      '+1 '.repeat(30_000),
      'x'.repeat(100_000) + '@',
    ];
    for (const run of runs) for (const d of detectors) expect(d.find(run).length).toBeLessThan(run.length);
  });
});

/*
 * The detectors pass over hostile runs in bulk (a run of `@`, `:`, `eyJ`, `key=`
 * is skipped or finished natively rather than read a character at a time). A
 * real value right after such a run must still be found, and nothing inside it.
 */
describe('a real value right after a hostile run', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  const awsSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('email after a run of @ and of a@', () => {
    expect(found(email, `${'@'.repeat(500)}a@b.com`)).toEqual(['a@b.com']);
    expect(found(email, `${'a@'.repeat(500)} bob@example.com`)).toEqual(['bob@example.com']);
  });

  it('ip_address after a run of colons, and after hex and colons longer than any address', () => {
    expect(found(ipAddress, `${':'.repeat(500)} 2001:db8::1`)).toEqual(['2001:db8::1']);
    expect(found(ipAddress, `${'a:'.repeat(300)} fe80::1%eth0 and ${'1:'.repeat(30)}`)).toEqual(['fe80::1%eth0']);
    // A run longer than any address still takes its zone with it: `f::` inside it is not a candidate.
    expect(found(ipAddress, `:${'a'.repeat(46)}:1%f::`)).toEqual([]);
  });

  it('aws_secret_key after a run of key=', () => {
    expect(found(awsSecretKey, `${'key='.repeat(500)} aws_secret_access_key = ${awsSecret}`)).toEqual([awsSecret]);
  });

  it('api_secret after a run of eyJ, and never a token glued to the run', () => {
    expect(found(apiSecret, `${'eyJ'.repeat(500)} ${jwt}`)).toEqual([jwt]);
    // Glued to an `x`, neither the run nor the token after it starts at a token boundary.
    expect(found(apiSecret, `x${'eyJ'.repeat(500)}${jwt}`)).toEqual([]);
  });
});
