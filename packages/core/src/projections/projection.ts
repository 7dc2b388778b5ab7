import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { toIssues } from '../decode.js';
import { projectionFailed, type ProjectionFailed } from '../errors.js';
import type { RecordedEvent } from '../event.js';
import type { JsonValue } from '../json.js';
import { ProjectionName } from './state-store.js';

/** How one event type changes the state. Must be pure: replays and rebuilds call it again. */
export type ProjectionHandler<S> = (state: S, event: RecordedEvent) => S;

export interface ProjectionDefinition<S> {
  /** Letters, digits and `. _ : -`, up to 128 characters. Stable across versions. */
  readonly name: string;
  /** A positive integer. Bump it when the handlers or the state's shape change, then rebuild. */
  readonly version: number;
  /** Decodes stored state (a boundary like any other) and encodes it as JSON. */
  readonly state: t.Type<S, JsonValue, unknown>;
  readonly initial: S;
  /** One handler per event type; events of other types pass by. */
  readonly handlers: Readonly<Record<string, ProjectionHandler<S>>>;
}

/** A declared projection. Built only by `defineProjection`, which checks the declaration once. */
export interface Projection<S> extends ProjectionDefinition<S> {
  readonly _tag: 'Projection';
}

/** Declares a projection. A bad declaration is a programming error and throws at start-up. */
export const defineProjection = <S>(definition: ProjectionDefinition<S>): Projection<S> => {
  if (!ProjectionName.is(definition.name)) {
    throw new TypeError('projection name must be 1 to 128 letters, digits or ". _ : -"');
  }
  if (!Number.isSafeInteger(definition.version) || definition.version < 1) {
    throw new TypeError(`projection '${definition.name}': version must be a positive integer`);
  }
  if (!definition.state.is(definition.initial)) {
    throw new TypeError(`projection '${definition.name}': the initial state does not match its codec`);
  }
  return { ...definition, handlers: { ...definition.handlers }, _tag: 'Projection' };
};

/** Folds events into a state; a throwing handler becomes a ProjectionFailed naming the position and type. */
export const applyEvents = <S>(
  projection: Projection<S>,
  state: S,
  events: readonly RecordedEvent[],
): E.Either<ProjectionFailed, S> => {
  let current = state;
  for (const event of events) {
    const handler = Object.prototype.hasOwnProperty.call(projection.handlers, event.type)
      ? projection.handlers[event.type]
      : undefined;
    if (handler === undefined) continue;
    try {
      current = handler(current, event);
    } catch (e) {
      return E.left(
        projectionFailed(
          projection.name,
          projection.version,
          'handler',
          `the handler for '${event.type}' threw ${e instanceof Error ? e.name : 'a non-error'} at position ${event.position}`,
        ),
      );
    }
  }
  return E.right(current);
};

/** Decodes a stored state with the projection's codec; the error names paths only. */
export const decodeState = <S>(
  projection: Projection<S>,
  version: number,
  stored: JsonValue,
): E.Either<ProjectionFailed, S> => {
  const decoded = projection.state.decode(stored);
  if (E.isRight(decoded)) return decoded;
  const issues = toIssues(decoded.left, 'state');
  return E.left(
    projectionFailed(
      projection.name,
      version,
      'state_invalid',
      `stored state does not decode: ${issues
        .slice(0, 3)
        .map((i) => `${i.path} ${i.message}`)
        .join('; ')}`,
    ),
  );
};

/** Encodes a state for storage. */
export const encodeState = <S>(projection: Projection<S>, state: S): JsonValue => projection.state.encode(state);
