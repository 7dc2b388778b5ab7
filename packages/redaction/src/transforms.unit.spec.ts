import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveTenantKey, hashToken, mask, maskEmail, maskTail } from './transforms.js';

describe('mask', () => {
  it('keeps the format and reveals the tail', () => {
    expect(maskTail('123-45-6789', 4)).toBe('***-**-6789');
    expect(maskTail('4242 4242 4242 4242', 4)).toBe('**** **** **** 4242');
    expect(maskTail('AKIAIOSFODNN7EXAMPLE', 0)).toBe('********************');
  });

  it('keeps the domain and the first character of an email', () => {
    expect(maskEmail('john@example.com', 1)).toBe('j***@example.com');
    expect(mask('email', 'jonathan.smith@example.co.uk', 2)).toBe('jo***@example.co.uk');
  });

  it('never reveals more than half of a match', () => {
    expect(maskTail('12', 4)).toBe('*2');
    expect(maskEmail('a@b.co', 1)).toBe('***@b.co');
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 8 }), (text, reveal) => {
        const masked = maskTail(text, reveal);
        const alnum = (s: string) => [...s].filter((c) => /[\p{L}\p{N}]/u.test(c)).length;
        expect([...masked].length).toBe([...text].length);
        expect(alnum(masked)).toBeLessThanOrEqual(Math.floor(alnum(text) / 2));
      }),
    );
  });

  it('masks by code point, exactly as a plain per-character definition does', () => {
    // The definition the fast loop must agree with, on any text: surrogate pairs, lone surrogates, any script.
    const reference = (text: string, reveal: number): string => {
      const isAlnum = (c: string) => /[\p{L}\p{N}]/u.test(c);
      const total = [...text].filter(isAlnum).length;
      let hidden = total - Math.min(reveal, Math.floor(total / 2));
      return [...text].map((c) => (hidden > 0 && isAlnum(c) ? (hidden--, '*') : c)).join('');
    };
    expect(maskTail('Zoë 𝐀𝐁 12', 1)).toBe('*** ** *2');
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom('a', '7', '-', ' ', 'é', '日', '𝐀', '🙂', '\ud800', '\udc00'),
            fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          ),
        }),
        fc.integer({ min: 0, max: 8 }),
        (text, reveal) => {
          expect(maskTail(text, reveal)).toBe(reference(text, reveal));
        },
      ),
    );
  });
});

describe('hash', () => {
  const secret = 'k'.repeat(40);

  it('carries the type and key id, and is deterministic within a tenant', () => {
    const key = deriveTenantKey('k1', secret, 'acme');
    const token = hashToken('ssn', '123-45-6789', key);
    expect(token).toMatch(/^\[ssn:k1:[0-9a-f]{16}\]$/);
    expect(hashToken('ssn', '123-45-6789', deriveTenantKey('k1', secret, 'acme'))).toBe(token);
  });

  it('differs between tenants, keys and values', () => {
    const acme = deriveTenantKey('k1', secret, 'acme');
    const token = hashToken('ssn', '123-45-6789', acme);
    expect(hashToken('ssn', '123-45-6789', deriveTenantKey('k1', secret, 'globex'))).not.toBe(token);
    expect(hashToken('ssn', '123-45-6789', deriveTenantKey('k1', 'j'.repeat(40), 'acme'))).not.toBe(token);
    expect(hashToken('ssn', '123-45-6780', acme)).not.toBe(token);
  });
});
