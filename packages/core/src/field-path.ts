import * as E from 'fp-ts/lib/Either.js';
import type { JsonValue } from './json.js';

/*
 * Paths to fields of an event, JSONPath-like: `data.email`, `$.data.items[*].email`,
 * `metadata.subject`, `data.*.phone`, `data.items[0]`. The first segment names
 * the root (`data` or `metadata`); `*` and `[*]` match every key or index.
 * Used by the audit data policy (prompts, outputs) and by personal-data rules.
 */

export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any' };

export interface FieldPath {
  readonly root: 'data' | 'metadata';
  readonly segments: readonly PathSegment[];
  /** The path as written. */
  readonly text: string;
}

const KEY = /^[A-Za-z0-9_$@:-]+$/;

/** Parses a path; Left carries what is wrong (never more than the path itself). */
export const parseFieldPath = (text: string): E.Either<string, FieldPath> => {
  if (text.length === 0 || text.length > 500) return E.left('must be 1 to 500 characters');
  const body = text.startsWith('$.') ? text.slice(2) : text;
  const segments: PathSegment[] = [];
  for (const dotted of body.split('.')) {
    const match = /^([^[\]]*)((?:\[(?:\*|\d+)\])*)$/.exec(dotted);
    if (match === null) return E.left(`has a malformed segment '${dotted}'`);
    const [, name = '', brackets = ''] = match;
    if (name === '*') segments.push({ kind: 'any' });
    else if (name !== '') {
      if (!KEY.test(name)) return E.left(`has a key with characters other than letters, digits and _ $ @ : -`);
      segments.push({ kind: 'key', key: name });
    } else if (brackets === '') return E.left('has an empty segment');
    for (const b of brackets.match(/\[(\*|\d+)\]/g) ?? []) {
      const inner = b.slice(1, -1);
      segments.push(inner === '*' ? { kind: 'any' } : { kind: 'index', index: Number(inner) });
    }
  }
  const [first, ...rest] = segments;
  if (first?.kind !== 'key' || (first.key !== 'data' && first.key !== 'metadata')) {
    return E.left("must start with 'data' or 'metadata'");
  }
  return E.right({ root: first.key, segments: rest, text });
};

/** True when the path has no wildcard: it names at most one field. */
export const isSinglePath = (path: FieldPath): boolean => path.segments.every((s) => s.kind !== 'any');

/** The value at a single path, or undefined. */
export const getAtPath = (root: JsonValue | undefined, path: FieldPath): JsonValue | undefined => {
  let here: JsonValue | undefined = root;
  for (const s of path.segments) {
    if (here === undefined || here === null || typeof here !== 'object') return undefined;
    if (s.kind === 'key') here = Array.isArray(here) ? undefined : Object.hasOwn(here, s.key) ? here[s.key] : undefined;
    else if (s.kind === 'index') here = Array.isArray(here) ? here[s.index] : undefined;
    else return undefined;
  }
  return here;
};

/**
 * Returns `root` with `f` applied to every value the path matches (a copy
 * where anything changed; the input is never mutated). `f` gets the concrete
 * path of each match (`data.items.2.email`). Missing fields are left alone.
 */
export const mapAtPath = (
  root: JsonValue,
  path: FieldPath,
  f: (value: JsonValue, concrete: string) => JsonValue,
): JsonValue => {
  const visit = (here: JsonValue, i: number, at: string): JsonValue => {
    if (i === path.segments.length) return f(here, at);
    if (here === null || typeof here !== 'object') return here;
    const s = path.segments[i]!;
    if (Array.isArray(here)) {
      if (s.kind === 'key') return here;
      const out = here.slice();
      for (let j = 0; j < out.length; j++) {
        if (s.kind === 'index' && s.index !== j) continue;
        out[j] = visit(out[j]!, i + 1, `${at}.${j}`);
      }
      return out;
    }
    if (s.kind === 'index') return here;
    const out: { [key: string]: JsonValue } = { ...here };
    for (const key of s.kind === 'key' ? [s.key] : Object.keys(here)) {
      if (!Object.hasOwn(here, key)) continue;
      out[key] = visit(here[key]!, i + 1, `${at}.${key}`);
    }
    return out;
  };
  return visit(root, 0, path.root);
};
