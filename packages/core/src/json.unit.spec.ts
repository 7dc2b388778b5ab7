import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findNonJson } from './json.js';

describe('JSON checks', () => {
  it('accepts anything JSON.parse can produce (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(findNonJson(JSON.parse(JSON.stringify(v)))).toBeNull();
      }),
    );
  });

  it('names the path of what JSON cannot hold', () => {
    expect(findNonJson({ a: [1, { b: undefined }] })).toEqual({
      path: 'a.1.b',
      why: 'is a undefined, which JSON cannot hold',
    });
    expect(findNonJson({ n: Infinity })?.path).toBe('n');
    // An empty key at the start adds nothing to the path, as it always has.
    expect(findNonJson({ '': { a: undefined } })?.path).toBe('a');
    expect(findNonJson({ '': [undefined] })?.path).toBe('0');
    expect(findNonJson({ a: { '': NaN } })?.path).toBe('a.');
    expect(findNonJson({ m: new Map() })?.why).toBe('is not a plain object');
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(findNonJson(deep)?.why).toMatch(/deeper than 256/);
  });
});
