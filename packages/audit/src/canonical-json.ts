import type { JsonValue } from '@palisade/core';

/**
 * RFC 8785 (JSON Canonicalization Scheme) for the JSON values Palisade stores:
 * object keys sorted by UTF-16 code units, no whitespace, strings and numbers
 * serialised as ECMAScript's JSON.stringify does (which is what RFC 8785
 * specifies for both). Two documents that parse to the same value give the
 * same bytes, so a re-indented or key-reordered export still verifies.
 *
 * Our own forty lines rather than a dependency: JS already implements the
 * number and string rules, and the tests check the RFC's examples.
 */
export const canonicalJson = (value: JsonValue): string => {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: not a finite number');
      // JSON.stringify(-0) is "0", as RFC 8785 requires.
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const keys = Object.keys(value).sort(compareCodeUnits);
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`);
  }
};

// Array.prototype.sort's default compares UTF-16 code units too, but say so explicitly.
const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
