/*
 * The latency of one 4 KiB event inside a worker thread, as the goal
 * states it: this file runs as a `worker_threads` worker, redacts the events
 * it is given one at a time with the same engine a pool worker runs, times each
 * redaction inside the worker, and posts the sorted times back. The round trip
 * through the pool is measured separately (pool.ts): it adds the thread hop and
 * the main thread's scheduling, which on a small shared machine dominate p99.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as E from 'fp-ts/lib/Either.js';
import type { NewEventInput } from '@palisade/core';
import { createRedactionService } from '@palisade/redaction';

interface Job {
  readonly events: readonly NewEventInput[];
  /** Events redacted, untimed, before the samples: a fresh worker's code is not optimised yet. */
  readonly warmUp: number;
  readonly samples: number;
}

const timeEach = async (job: Job): Promise<number[]> => {
  const service = await createRedactionService({ config: {}, mode: 'in_thread' })();
  if (E.isLeft(service)) throw new Error(service.left.message);
  const ms: number[] = [];
  try {
    for (let i = 0; i < job.warmUp + job.samples; i++) {
      const event = job.events[i % job.events.length];
      if (event === undefined) break;
      const t = process.hrtime.bigint();
      const r = await service.right.redact('bench', [event])();
      const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
      if (E.isLeft(r)) throw new Error(r.left.message);
      if (i >= job.warmUp) ms.push(elapsed);
    }
  } finally {
    await service.right.close();
  }
  return ms.sort((a, b) => a - b);
};

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  void timeEach(workerData as Job).then(
    (ms) => port.postMessage(ms),
    (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
}

/** Sorted milliseconds per event, timed inside a fresh worker thread. */
export const timeInWorker = (events: readonly NewEventInput[], warmUp: number, samples: number): Promise<number[]> =>
  new Promise((resolve, reject) => {
    const job: Job = { events, warmUp, samples };
    const worker = new Worker(new URL('./in-worker.js', import.meta.url), { workerData: job });
    worker.once('message', (reply: number[] | { error: string }) => {
      void worker.terminate();
      if (Array.isArray(reply)) resolve(reply);
      else reject(new Error(reply.error));
    });
    worker.once('error', reject);
  });
