import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { invalidInput, type InvalidInput, type Issue } from './errors.js';

/**
 * Turns io-ts errors into issues that name the path and the expected type, but
 * never the value: values may be personal data or secrets.
 */
export const toIssues = (errors: t.Errors, root = ''): Issue[] => {
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = pathOf(error.context, root);
    const last = error.context[error.context.length - 1];
    const message =
      error.message ??
      (last === undefined
        ? 'is invalid'
        : last.actual === undefined
          ? `is required (${last.type.name})`
          : `must be ${describeType(last.type.name)}`);
    const id = `${path}\u0000${message}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push({ path, message });
    }
  }
  return issues;
};

const DESCRIPTIONS: Record<string, string> = {
  TenantId: "a tenant id: 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
  StreamId: "a stream id: 1 to 200 letters, digits or '. _ : @ + = / -', starting with a letter or digit",
  EventType: "an event type: a letter, then up to 127 letters, digits or '. _ : -'",
  EventId: 'a UUID in lower-case canonical form',
  SubscriberId: "a subscriber name: 1 to 128 letters, digits or '. _ : -'",
  PositiveInteger: 'a positive integer',
  NonNegativeInteger: 'a non-negative integer',
};

const describeType = (name: string): string => DESCRIPTIONS[name] ?? name;

// Unions and intersections add numeric keys of their own; they are not part of the input's path.
const pathOf = (context: t.Context, root: string): string => {
  const parts: string[] = root === '' ? [] : [root];
  for (let i = 1; i < context.length; i++) {
    const entry = context[i];
    const parent = context[i - 1];
    if (entry === undefined || parent === undefined || entry.key === '') continue;
    const parentTag = (parent.type as { _tag?: string })._tag;
    if (parentTag === 'UnionType' || parentTag === 'IntersectionType') continue;
    parts.push(entry.key);
  }
  return parts.join('.');
};

export const decodeWith =
  <A, O>(codec: t.Type<A, O, unknown>, root = '') =>
  (input: unknown): E.Either<InvalidInput, A> => {
    const result = codec.decode(input);
    return E.isRight(result) ? result : E.left(invalidInput(toIssues(result.left, root)));
  };
