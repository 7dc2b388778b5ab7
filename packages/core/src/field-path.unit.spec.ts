import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAtPath, isSinglePath, mapAtPath, parseFieldPath, type FieldPath } from './field-path.js';
import type { JsonValue } from './json.js';

const path = (text: string): FieldPath => {
  const p = parseFieldPath(text);
  if (E.isLeft(p)) throw new Error(p.left);
  return p.right;
};

describe('field paths', () => {
  it('parses keys, indexes and wildcards, with or without $.', () => {
    expect(path('$.data.items[*].email')).toMatchObject({
      root: 'data',
      segments: [{ kind: 'key', key: 'items' }, { kind: 'any' }, { kind: 'key', key: 'email' }],
    });
    expect(path('metadata.subject').root).toBe('metadata');
    expect(path('data.a[2][*]').segments).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 2 },
      { kind: 'any' },
    ]);
    expect(isSinglePath(path('data.a[2]'))).toBe(true);
    expect(isSinglePath(path('data.*.b'))).toBe(false);
  });

  it('refuses malformed paths with a reason', () => {
    for (const bad of ['', 'email', 'data..x', 'data.a[', 'data.a[x]', 'stream.x', 'data.a b', 'x'.repeat(501)]) {
      expect(E.isLeft(parseFieldPath(bad))).toBe(true);
    }
  });

  it('reads one value and maps every match without mutating the input', () => {
    const data: JsonValue = { items: [{ email: 'a' }, { email: 'b' }, { other: 1 }], name: 'n' };
    const frozen = JSON.stringify(data);
    expect(getAtPath(data, path('data.items[1].email'))).toBe('b');
    expect(getAtPath(data, path('data.missing.x'))).toBeUndefined();
    const seen: string[] = [];
    const out = mapAtPath(data, path('data.items[*].email'), (v, at) => {
      seen.push(at);
      return `<${JSON.stringify(v)}>`;
    });
    expect(out).toEqual({ items: [{ email: '<"a">' }, { email: '<"b">' }, { other: 1 }], name: 'n' });
    expect(seen).toEqual(['data.items.0.email', 'data.items.1.email']);
    expect(JSON.stringify(data)).toBe(frozen);
  });

  it('leaves values alone when the path does not match (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = mapAtPath(value as JsonValue, path('data.zz_not_there[*].q'), () => 'X');
        expect(out).toEqual(value);
      }),
    );
  });
});
