import { describe, expect, it } from 'vitest';
import { primeRegex } from './regex-priming.js';

describe('primeRegex', () => {
  it('returns the same pattern, compiled for both string widths, with its lastIndex as it was', () => {
    const pattern = /\d{3}-\d{2}-\d{4}/g;
    pattern.lastIndex = 7;
    expect(primeRegex(pattern)).toBe(pattern);
    expect(pattern.lastIndex).toBe(7);
  });

  it('leaves what a pattern finds unchanged, in Latin-1 and UTF-16 text, for every kind of flag', () => {
    const latin1 = 'SSN 078-05-1120 and 219-09-9999, café';
    const wide = `${latin1} — 日本語 🙂 457-55-5462`;
    for (const flags of ['g', 'gi', 'gu', 'gy', '', 'iu', 'v']) {
      const primed = primeRegex(new RegExp(String.raw`(?<!\d)\d{3}-\d{2}-\d{4}`, flags));
      const fresh = new RegExp(String.raw`(?:)(?<!\d)\d{3}-\d{2}-\d{4}`, flags);
      for (const text of [latin1, wide]) {
        const all = (re: RegExp): string[] =>
          re.global
            ? [...text.matchAll(new RegExp(re.source, re.flags))].map((m) => `${m.index}:${m[0]}`)
            : [String(re.exec(text)?.index)];
        expect(all(primed)).toEqual(all(fresh));
      }
    }
  });
});
