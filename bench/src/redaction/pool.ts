/*
 * The worker pool (`@palisade/redaction`, piscina): throughput per worker count
 * from 1 to the machine's parallelism, scaling efficiency, and the latency of
 * one 4 KiB event. Wall-clock time: several threads work at once.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as E from 'fp-ts/lib/Either.js';
import type { NewEventInput } from '@palisade/core';
import { createRedactionPool, createRedactionService, type RedactionService } from '@palisade/redaction';
import type { CorpusChunk } from '@palisade/pii-detectors/corpus';
import { timeInWorker } from './in-worker.js';

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

const APPEND_SIZE = Number(process.env['REDACTION_BENCH_APPEND'] ?? '16');
const EVENTS_PER_RUN = Number(process.env['REDACTION_BENCH_POOL_EVENTS'] ?? '16000');
const LATENCY_SAMPLES = Number(process.env['REDACTION_BENCH_LATENCY_SAMPLES'] ?? '1000');
/*
 * Events redacted before latency is sampled. A fresh worker runs unoptimised
 * code for its first few hundred events (p99 1.4 to 1.7 ms after 200 events,
 * 0.14 to 0.22 ms after 2,000, measured on the 2 vCPU VM); a pool that serves
 * appends all day is past that within its first second.
 */
const WARM_UP_EVENTS = Number(process.env['REDACTION_BENCH_WARM_UP'] ?? '3000');

/** Redacts WARM_UP_EVENTS events through `service`, in appends of APPEND_SIZE. */
const warmUp = async (service: RedactionService, events: readonly NewEventInput[]): Promise<void> => {
  for (let done = 0; done < WARM_UP_EVENTS; done += APPEND_SIZE) {
    const from = done % Math.max(1, events.length - APPEND_SIZE);
    await mustRedact(service, events.slice(from, from + APPEND_SIZE));
  }
};

const asEvents = (chunks: readonly CorpusChunk[]): NewEventInput[] =>
  chunks.map((c) => ({ type: 'message.posted', data: { text: c.text } }));

const open = async (workers: number): Promise<RedactionService> => {
  const service = await createRedactionPool({ config: {}, workers, maxQueue: 100_000, batchSize: APPEND_SIZE })();
  if (E.isLeft(service)) throw new Error(service.left.message);
  return service.right;
};

const mustRedact = async (service: RedactionService, events: readonly NewEventInput[]): Promise<void> => {
  const r = await service.redact('bench', events)();
  if (E.isLeft(r)) throw new Error(r.left.message);
};

/** CPU seconds of this process so far: every thread, the workers included. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Rate {
  /** Events per wall-clock second. */
  readonly wall: number;
  /**
   * Microseconds the main thread's event loop was busy per event (decoding,
   * cloning to and from the workers, piscina): the pool cannot go faster than
   * one main thread allows, however many workers it has.
   */
  readonly mainMicros: number;
  /** Events per CPU second of all threads: what one fully busy core gives, whatever else runs on the machine. */
  readonly perCpu: number;
}

/** Events/s with `2 × workers` appends of APPEND_SIZE events in flight. */
const throughput = async (
  service: RedactionService,
  workers: number,
  events: readonly NewEventInput[],
): Promise<Rate> => {
  const appends: NewEventInput[][] = [];
  for (let i = 0; appends.length * APPEND_SIZE < EVENTS_PER_RUN; i += APPEND_SIZE) {
    const from = i % Math.max(1, events.length - APPEND_SIZE);
    appends.push(events.slice(from, from + APPEND_SIZE));
  }
  let next = 0;
  const t = process.hrtime.bigint();
  const cpu = cpuSeconds();
  const loop = performance.eventLoopUtilization();
  await Promise.all(
    Array.from({ length: workers * 2 }, async () => {
      while (next < appends.length) await mustRedact(service, appends[next++] ?? []);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const n = appends.length * APPEND_SIZE;
  const busyMs = performance.eventLoopUtilization(loop).active;
  return { wall: n / seconds, perCpu: n / (cpuSeconds() - cpu), mainMicros: (busyMs * 1000) / n };
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** One event at a time, so nothing queues: p50/p99 of the round trip, in ms. */
const latency = async (service: RedactionService, events: readonly NewEventInput[]): Promise<[number, number]> => {
  const ms: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const event = events[i % events.length];
    if (event === undefined) break;
    const t = process.hrtime.bigint();
    await mustRedact(service, [event]);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return [percentile(ms, 0.5), percentile(ms, 0.99)];
};

export const runPoolBenchmark = async (chunksByKind: ReadonlyMap<string, readonly CorpusChunk[]>): Promise<void> => {
  const cores = availableParallelism();
  const maxWorkers = Number(process.env['REDACTION_BENCH_MAX_WORKERS'] ?? String(cores));
  console.log(
    `\nWorker pool (@palisade/redaction, default policy: all built-ins, mask), appends of ${APPEND_SIZE} events of up to 4 KiB, ` +
      `${fmt(EVENTS_PER_RUN)} events per run, 2 appends in flight per worker, ${cores} cores.\n` +
      'events/s and efficiency (events/s of N workers / (N x events/s of 1)) are wall-clock; events/CPU-s divides by the CPU time of every thread of the process, which holds on a shared machine;\n' +
      'main µs/event is the time the main thread was busy per event (its ceiling: 1,000,000 / that, in events/s, whatever the number of workers):',
  );
  for (const kind of ['dense', 'none'] as const) {
    const chunks = (chunksByKind.get(kind) ?? []).filter((c) => c.text.length > 1024);
    const events = asEvents(chunks);
    const bytesPerEvent = chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0) / Math.max(1, chunks.length);
    console.log(
      `${kind}: ${'workers'.padStart(8)}${'events/s'.padStart(12)}${'MB/s'.padStart(9)}${'efficiency'.padStart(12)}${'events/CPU-s'.padStart(14)}${'main µs/event'.padStart(15)}`,
    );
    let one = 0;
    for (let workers = 1; workers <= maxWorkers; workers++) {
      const service = await open(workers);
      try {
        await mustRedact(service, events.slice(0, APPEND_SIZE)); // starts and warms every worker
        // One warm-up stream per worker, at the same time, so each worker gets its share.
        await Promise.all(Array.from({ length: workers }, () => warmUp(service, events)));
        const rate = await throughput(service, workers, events);
        if (workers === 1) one = rate.wall;
        console.log(
          `${''.padEnd(kind.length + 2)}${String(workers).padStart(8)}${fmt(rate.wall).padStart(12)}${fmt((rate.wall * bytesPerEvent) / 1e6, 1).padStart(9)}${`${fmt((rate.wall / (workers * one)) * 100, 0)}%`.padStart(12)}${fmt(rate.perCpu).padStart(14)}${fmt(rate.mainMicros, 1).padStart(15)}`,
        );
      } finally {
        await service.close();
      }
    }
  }

  const dense = asEvents((chunksByKind.get('dense') ?? []).filter((c) => c.text.length > 3500));
  const pool = await open(1);
  try {
    await warmUp(pool, dense);
    const [p50, p99] = await latency(pool, dense);
    console.log(
      `\nOne 4 KiB dense event through a pool of 1 worker (round trip, nothing queued): p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms`,
    );
  } finally {
    await pool.close();
  }
  const inWorker = await timeInWorker(dense, WARM_UP_EVENTS, LATENCY_SAMPLES);
  console.log(
    `One 4 KiB dense event timed inside a worker thread (the engine a pool worker runs, no hop): p50 ${fmt(percentile(inWorker, 0.5), 2)} ms, p99 ${fmt(percentile(inWorker, 0.99), 2)} ms (goal: p99 1 ms or less)`,
  );
  const inThread = await createRedactionService({ config: {}, mode: 'in_thread' })();
  if (E.isLeft(inThread)) throw new Error(inThread.left.message);
  try {
    await warmUp(inThread.right, dense);
    const [p50, p99] = await latency(inThread.right, dense);
    console.log(
      `One 4 KiB dense event redacted in this thread (the same engine, no worker hop): p50 ${fmt(p50, 2)} ms, p99 ${fmt(p99, 2)} ms`,
    );
  } finally {
    await inThread.right.close();
  }
};
