import { parentPort } from 'node:worker_threads';
import * as E from 'fp-ts/lib/Either.js';
import { workerData } from 'piscina';
import { buildRedactor } from './setup.js';
import { RedactTask, WorkerSetup, type RedactReply, type TaskStarted } from './messages.js';
import type { Redactor } from './engine.js';

/*
 * A pool worker: builds the engine once from its setup (loading the detector
 * plugins here, so custom detectors run off the main thread), then redacts one
 * chunk per task.
 */

const broken = (detail: string): RedactReply => ({
  ok: false,
  error: { _tag: 'RedactionFailed', reason: 'protocol', detail },
});

const ready: Promise<Redactor | RedactReply> = (async () => {
  const setup = WorkerSetup.decode(workerData);
  if (E.isLeft(setup)) return broken('the worker received a malformed setup');
  const built = await buildRedactor(setup.right);
  return E.isLeft(built) ? broken(`the worker could not build its policies: ${built.left.message}`) : built.right;
})();

export default async function redactChunk(message: unknown): Promise<RedactReply> {
  const task = RedactTask.decode(message);
  if (E.isLeft(task)) return broken('the worker received a malformed task');
  const started: TaskStarted = { started: task.right.id };
  parentPort?.postMessage(started);
  const redactor = await ready;
  if ('ok' in redactor) return redactor;
  const { tenant, events, offset, stream } = task.right;
  const result = redactor.redact(tenant, events, stream === undefined ? { offset } : { offset, stream });
  return E.isLeft(result) ? { ok: false, error: result.left } : { ok: true, events: result.right };
}
