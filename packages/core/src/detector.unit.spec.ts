import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineDetector, hintTestOf } from './detector.js';

const withHints = (hints: readonly string[]) => defineDetector({ id: 'probe', hints, find: () => [] });

describe('hintTestOf', () => {
  it('lets every string through when a detector has no hints', () => {
    expect(hintTestOf(withHints([]))('')).toBe(true);
    expect(hintTestOf(withHints([]))('anything')).toBe(true);
  });

  it('finds word hints case-insensitively and characters without case as they are', () => {
    const test = hintTestOf(withHints(['-', '@', 'token', 'aiza']));
    expect(test('a TOKEN here')).toBe(true);
    expect(test('key AIzaSy')).toBe(true);
    expect(test('2024-01-02')).toBe(true);
    expect(test('me@example')).toBe(true);
    expect(test('tok en, plain words')).toBe(false);
  });

  it('treats regex syntax in a hint as a literal', () => {
    const test = hintTestOf(withHints(['$(', 'a.b', '[x]', '\\d']));
    expect(test('run $(id)')).toBe(true);
    expect(test('A.B')).toBe(true);
    expect(test('aXb')).toBe(false);
    expect(test('[X]')).toBe(true);
    expect(test('12')).toBe(false);
    expect(test('\\D')).toBe(true);
  });

  it('is compiled once per hint list, so detectors sharing a list share the test', () => {
    const digits = ['0', '1', '2'];
    expect(hintTestOf(withHints(digits))).toBe(hintTestOf(withHints(digits)));
  });

  it('finds a word hint where lower-casing makes it appear, as in Turkish `İ`', () => {
    // 'İ'.toLowerCase() is 'i' and a combining dot: no case-insensitive regex matches `vergi` in `VERGİ`.
    expect(hintTestOf(withHints(['vergi']))('VERGİ NO: 1234567890')).toBe(true);
    expect(hintTestOf(withHints(['\u0307']))('İ')).toBe(true);
  });

  it('agrees with lower-casing the text and searching for each hint', () => {
    const hints = ['@', '-', '7', 'key', 'secret', 'é', 'vergi', 'i'];
    const test = hintTestOf(withHints(hints));
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            'a',
            'K',
            'E',
            'Y',
            'k',
            'e',
            'y',
            '@',
            '-',
            '7',
            'É',
            ' ',
            'S',
            'c',
            'r',
            't',
            'İ',
            'V',
            'R',
            'G',
            'I',
            'ı',
            'K',
          ),
        }),
        (text) => {
          const lower = text.toLowerCase();
          expect(test(text)).toBe(hints.some((h) => lower.includes(h)));
        },
      ),
    );
  });

  it('agrees with lower-casing for lists of characters without case, which skip the `İ` pass', () => {
    const unit = fc.constantFrom('a', '@', '7', '-', 'İ', 'i', '\u0307', ' ', 'I');
    for (const hints of [['@'], ['7', '-'], ['\u0307'], ['@', '\u0307']]) {
      const test = hintTestOf(withHints(hints));
      fc.assert(
        fc.property(fc.string({ unit }), (text) => {
          const lower = text.toLowerCase();
          expect(test(text)).toBe(hints.some((h) => lower.includes(h)));
        }),
      );
    }
  });
});
