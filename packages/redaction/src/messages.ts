import * as t from 'io-ts';
import { NewEvent } from '@palisade/core';
import type { NewEvent as NewEventType } from '@palisade/core';
import { RedactionConfig } from './policy.js';

/*
 * What crosses the thread boundary. Both sides decode what they receive: a
 * worker that answers with something else is treated as broken, and the
 * append fails closed.
 */

/** Given to every worker when it starts. Hash key values travel here, never in a task. */
export const WorkerSetup = t.type(
  {
    config: RedactionConfig,
    baseDir: t.string,
    source: t.string,
    builtInDetectors: t.boolean,
    eventBudgetMs: t.number,
  },
  'WorkerSetup',
);
export type WorkerSetup = t.TypeOf<typeof WorkerSetup>;

/**
 * One task: a chunk of one append. `offset` is the chunk's first index in the append, for error paths; `id` names
 * the task in the `TaskStarted` message.
 */
export interface RedactTask {
  readonly id: number;
  readonly tenant: string;
  readonly offset: number;
  readonly events: NewEventType[];
  /** The stream appended to; sent with the first chunk only, which checks it. */
  readonly stream?: string;
}
export const RedactTask: t.Type<RedactTask, unknown, unknown> = t.intersection(
  [
    t.type({ id: t.number, tenant: t.string, offset: t.number, events: t.array(NewEvent) }),
    t.partial({ stream: t.string }),
  ],
  'RedactTask',
);

/** Posted by a worker when it takes a task off the queue: the task's timeout runs from here, not from queueing. */
export const TaskStarted = t.type({ started: t.number }, 'TaskStarted');
export type TaskStarted = t.TypeOf<typeof TaskStarted>;

export const BlockedFinding = t.type({ detector: t.string, path: t.string });

export const RedactFailure = t.union([
  t.type({ _tag: t.literal('PolicyBlocked'), findings: t.array(BlockedFinding) }),
  t.type({
    _tag: t.literal('RedactionFailed'),
    reason: t.keyof({ worker_crashed: null, timeout: null, detector_error: null, protocol: null }),
    detail: t.string,
  }),
]);
export type RedactFailure = t.TypeOf<typeof RedactFailure>;

export type RedactReply =
  { readonly ok: true; readonly events: NewEventType[] } | { readonly ok: false; readonly error: RedactFailure };
export const RedactReply: t.Type<RedactReply, unknown, unknown> = t.union(
  [t.type({ ok: t.literal(true), events: t.array(NewEvent) }), t.type({ ok: t.literal(false), error: RedactFailure })],
  'RedactReply',
);
