import * as fc from 'fast-check';
import type { JsonValue } from '@palisade/core';

/*
 * Personal data and secrets the built-in detectors must find, and JSON
 * documents that hide them in awkward places. Values are generated valid
 * (checksums, ranges), because the detectors rightly ignore invalid ones.
 */

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n });

const luhnComplete = (body: number[]): string => {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body[body.length - 1 - i]!;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return [...body, (10 - (sum % 10)) % 10].join('');
};

const email = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9]{3,10}$/),
    fc.constantFrom('example.com', 'mail.example.org', 'corp.example.net'),
  )
  .map(([local, domain]) => `${local}@${domain}`);

const ssn = fc
  .tuple(fc.integer({ min: 100, max: 665 }), fc.integer({ min: 10, max: 99 }), fc.integer({ min: 1000, max: 9999 }))
  .map(([a, g, s]) => `${a}-${g}-${s}`);

const card = fc
  .tuple(digits(14), fc.constantFrom(' ', '-', ''))
  .map(([body, sep]) => luhnComplete([4, ...body]).replace(/(\d{4})(?=\d)/g, `$1${sep}`));

const ip = fc
  .tuple(
    fc.integer({ min: 11, max: 223 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 1, max: 254 }),
  )
  .map((parts) => parts.join('.'));

const awsAccessKey = fc.stringMatching(/^[A-Z2-7]{16}$/).map((s) => `AKIA${s}`);

/** One planted value, labelled by what it is. */
export const plantedValue: fc.Arbitrary<string> = fc.oneof(email, ssn, card, ip, awsAccessKey);

/** Text around a value: spaces, punctuation and non-ASCII, never a letter or digit that would change what it is. */
const edge = fc.constantFrom('', ' ', ': ', '\n', '"', ' — ', ' 日本語 ', ' 🙂', '¿', ' Ω ', '\u00a0', '（', '）');

const carrier = (value: string): fc.Arbitrary<string> =>
  fc.tuple(edge, edge, fc.constantFrom('plain', 'json', 'double-json')).map(([before, after, encoding]) => {
    const text = `${before}${value}${after}`;
    if (encoding === 'json') return JSON.stringify({ note: text });
    if (encoding === 'double-json') return JSON.stringify(JSON.stringify([text]));
    return text;
  });

const key = fc.stringMatching(/^[a-z]{1,8}$/);

/**
 * A JSON document holding every value of `values` somewhere: as a string at
 * any depth, inside arrays, as an object key, or JSON-encoded in a string.
 */
export const documentWith = (values: readonly string[]): fc.Arbitrary<JsonValue> =>
  fc
    .tuple(
      ...values.map((v) =>
        fc.tuple(carrier(v), fc.constantFrom('value', 'key', 'array'), fc.array(key, { maxLength: 4 })),
      ),
    )
    .map((placements) => {
      const root: { [k: string]: JsonValue } = {};
      placements.forEach(([text, where, path], i) => {
        let node = root;
        for (const segment of path) {
          const next = node[segment];
          if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next;
          else node = node[segment] = {};
        }
        if (where === 'key') node[`${text}#${i}`] = i;
        else if (where === 'array') node[`a${i}`] = [i, [text], { x: text }];
        else node[`v${i}`] = text;
      });
      return root;
    });
