import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const SHOWN = '[secret]';

/**
 * A secret value that refuses to be shown. Printing, logging, JSON-serialising,
 * `util.inspect` and template strings all give `[secret]`; only `reveal()`
 * returns the value, so every place that uses it is easy to find in review.
 *
 * The value lives in a private field: it is not an own enumerable property, so
 * spreading, `Object.entries`, `structuredClone` and `JSON.stringify` of a
 * containing object cannot reach it either.
 */
export class Secret {
  readonly #value: string;

  private constructor(value: string) {
    this.#value = value;
  }

  static of(value: string): Secret {
    return new Secret(value);
  }

  static is(u: unknown): u is Secret {
    return u instanceof Secret;
  }

  /** The value itself. Call it only where the value is handed to the thing that needs it. */
  reveal(): string {
    return this.#value;
  }

  /** Constant-time comparison, so that comparing does not leak the value through timing. */
  equals(other: Secret): boolean {
    const a = Buffer.from(this.#value, 'utf8');
    const b = Buffer.from(other.#value, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return SHOWN;
  }

  toJSON(): string {
    return SHOWN;
  }

  [Symbol.toPrimitive](): string {
    return SHOWN;
  }

  [inspect.custom](): string {
    return SHOWN;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}
