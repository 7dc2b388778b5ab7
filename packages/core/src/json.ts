import * as t from 'io-ts';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const MAX_DEPTH = 256;

/** What `findNonJson` found: why, and the keys leading to it, innermost first (joined only when reported). */
interface NonJson {
  readonly keys: string[];
  readonly why: string;
}

/**
 * Returns the path of the first thing in `u` that JSON cannot carry faithfully
 * (undefined, functions, symbols, bigint, NaN, Infinity, class instances such as
 * Date or Map, cycles, nesting deeper than 256), or null when `u` is plain JSON.
 * Every appended event and every redaction reply passes here, so the path is
 * built only on the way out of a failure, not for every value visited.
 */
export const findNonJson = (u: unknown): { path: string; why: string } | null => {
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): NonJson | null => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return null;
      case 'number':
        return Number.isFinite(v) ? null : { keys: [], why: 'is not a finite number' };
      case 'object': {
        if (v === null) return null;
        if (depth > MAX_DEPTH) return { keys: [], why: `nests deeper than ${MAX_DEPTH} levels` };
        if (seen.has(v)) return { keys: [], why: 'is a circular reference' };
        if (Array.isArray(v)) {
          seen.add(v);
          for (let i = 0; i < v.length; i++) {
            const bad = visit(v[i], depth + 1);
            if (bad) {
              bad.keys.push(String(i));
              return bad;
            }
          }
          seen.delete(v);
          return null;
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          return { keys: [], why: 'is not a plain object' };
        }
        seen.add(v);
        for (const key of Object.keys(v)) {
          const bad = visit((v as Record<string, unknown>)[key], depth + 1);
          if (bad) {
            bad.keys.push(key);
            return bad;
          }
        }
        seen.delete(v);
        return null;
      }
      default:
        return { keys: [], why: `is a ${typeof v}, which JSON cannot hold` };
    }
  };
  const bad = visit(u, 0);
  if (bad === null) return null;
  // Outermost key first; an empty key at the start names the root, as `a.b` does not start with a dot.
  const path = bad.keys.reduceRight((outer, key) => (outer === '' ? key : `${outer}.${key}`), '');
  return { path, why: bad.why };
};

/** Any JSON value, checked deeply. */
export const Json = new t.Type<JsonValue, JsonValue, unknown>(
  'Json',
  (u): u is JsonValue => findNonJson(u) === null,
  (u, c) => {
    const bad = findNonJson(u);
    return bad === null ? t.success(u as JsonValue) : t.failure(u, c, `${bad.path || '(root)'} ${bad.why}`);
  },
  t.identity,
);

/** A JSON object (not an array or a primitive), checked deeply. */
export const JsonObjectCodec = new t.Type<JsonObject, JsonObject, unknown>(
  'JsonObject',
  (u): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u) && findNonJson(u) === null,
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, c, 'must be a JSON object');
    const bad = findNonJson(u);
    return bad === null ? t.success(u as JsonObject) : t.failure(u, c, `${bad.path || '(root)'} ${bad.why}`);
  },
  t.identity,
);
