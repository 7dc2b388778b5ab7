import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { luhnValid, shannonEntropy, validCardNumber, validIban, validSsnParts } from './index.js';

describe('validators', () => {
  it('luhnValid accepts known-good numbers and rejects any single-digit change', () => {
    for (const n of ['4111111111111111', '5555555555554444', '378282246310005', '79927398713']) {
      expect(luhnValid(n)).toBe(true);
      for (let i = 0; i < n.length; i++) {
        const d = Number(n[i]);
        const changed = n.slice(0, i) + String((d + 1) % 10) + n.slice(i + 1);
        expect(luhnValid(changed), changed).toBe(false);
      }
    }
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('4111-1111')).toBe(false);
  });

  it('validCardNumber wants a brand, a length the brand uses, Luhn and one kind of separator', () => {
    expect(validCardNumber('4111 1111 1111 1111')).toBe(true);
    expect(validCardNumber('4111-1111-1111-1111')).toBe(true);
    expect(validCardNumber('4111 1111-1111 1111')).toBe(false);
    expect(validCardNumber('378282246310005')).toBe(true);
    expect(validCardNumber('3782822463100050')).toBe(false); // Amex is 15 digits
    expect(validCardNumber('1234567812345670')).toBe(false); // Luhn-valid, no issuer
  });

  it("validCardNumber knows each brand's published test number, grouped or not, and no neighbour of it", () => {
    const testNumbers = [
      '4111111111111111', // Visa
      '5555555555554444', // Mastercard
      '2223003122003222', // Mastercard 2-series
      '378282246310005', // American Express
      '6011111111111117', // Discover
      '30569309025904', // Diners Club
      '3530111333300000', // JCB
      '6200000000000005', // UnionPay
      '6759649826438453', // Maestro
    ];
    for (const n of testNumbers) {
      expect(validCardNumber(n), n).toBe(true);
      expect(validCardNumber(n.replace(/(\d{4})(?=\d)/g, '$1 ')), n).toBe(true);
      expect(validCardNumber(n.replace(/(\d{4})(?=\d)/g, '$1-')), n).toBe(true);
      for (let i = 0; i < n.length; i++) {
        const changed = n.slice(0, i) + String((Number(n[i]) + 1) % 10) + n.slice(i + 1);
        expect(validCardNumber(changed), changed).toBe(false);
      }
    }
    expect(validCardNumber('4111 1111 1111 111x')).toBe(false);
  });

  it('validIban checks the country length and mod 97', () => {
    expect(validIban('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(validIban('GB82WEST12345698765432')).toBe(true);
    expect(validIban('GB82WEST1234569876543')).toBe(false);
    expect(validIban('DE89370400440532013001')).toBe(false);
    expect(validIban('ZZ89370400440532013000')).toBe(false);
  });

  it('validSsnParts refuses unissuable areas, groups, serials and published samples', () => {
    expect(validSsnParts('536', '22', '8726')).toBe(true);
    for (const [a, g, s] of [
      ['000', '12', '3456'],
      ['666', '12', '3456'],
      ['900', '12', '3456'],
      ['123', '00', '4567'],
      ['123', '45', '0000'],
      ['078', '05', '1120'],
      ['219', '09', '9999'],
    ] as const)
      expect(validSsnParts(a, g, s), `${a}-${g}-${s}`).toBe(false);
  });

  it('shannonEntropy is 0 for one repeated symbol, log2(n) for n distinct ones, and order-independent', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaaaaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBeCloseTo(2);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4);
    expect(shannonEntropy('日本語語')).toBeCloseTo(1.5);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        const reversed = [...s].reverse().join('');
        expect(shannonEntropy(s)).toBeCloseTo(shannonEntropy(reversed));
        expect(shannonEntropy(s)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
