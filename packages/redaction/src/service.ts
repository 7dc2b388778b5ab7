import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { Piscina } from 'piscina';
import * as t from 'io-ts';
import {
  closed,
  decodeWith,
  NewEvent,
  configInvalid,
  overloaded,
  redactionFailed,
  toIssues,
  type AppendError,
  type ConfigInvalid,
  type NewEventInput,
  type PolicyBlocked,
} from '@palisade/core';
import { toRedactError } from './engine.js';
import { RedactReply, TaskStarted, type RedactFailure, type RedactTask, type WorkerSetup } from './messages.js';
import { RedactionConfig } from './policy.js';
import { buildRedactor } from './setup.js';

/** Redacts appends: in this thread or in a pool of workers, with identical results. */
export interface RedactionService {
  readonly mode: 'pool' | 'in_thread';
  /**
   * All events of one append, redacted, or a typed error (InvalidInput,
   * PolicyBlocked, RedactionFailed, Overloaded, Closed). Events are decoded
   * where they are redacted (in the worker, in pool mode).
   */
  /**
   * `stream`, when given, is checked too: a stream id cannot be rewritten, so a value the policy would redact or
   * block in it refuses the append with `PolicyBlocked` at `stream`.
   */
  redact(
    tenant: string,
    events: readonly NewEventInput[],
    stream?: string,
  ): TE.TaskEither<AppendError, readonly NewEvent[]>;
  /** Pool figures, for benchmarks and health checks; zeros in-thread. */
  stats(): { readonly workers: number; readonly queued: number };
  close(): Promise<void>;
}

export interface RedactionServiceOptions {
  /** The policy sections (`data_policy`, `tenants`, `workflows`, `redaction`), hash keys already resolved. */
  readonly config?: unknown;
  /** Where relative `detector_modules` resolve from. Default: the working directory. */
  readonly baseDir?: string;
  /** Named in config errors. */
  readonly source?: string;
  /** Load `@palisade/pii-detectors` first. Default true. */
  readonly builtInDetectors?: boolean;
  /** Override `redaction.mode`. */
  readonly mode?: 'pool' | 'in_thread';
  /** The mode when neither `mode` nor `redaction.mode` says; default `pool`. A one-shot CLI process prefers `in_thread`. */
  readonly defaultMode?: 'pool' | 'in_thread';
  /** Override `redaction.workers`. */
  readonly workers?: number;
  /** Override `redaction.max_queue`. */
  readonly maxQueue?: number;
  /** Override `redaction.batch_size`. */
  readonly batchSize?: number;
  /** Override `redaction.task_timeout_ms`. */
  readonly taskTimeoutMs?: number;
  /** Override `redaction.event_budget_ms`. */
  readonly eventBudgetMs?: number;
}

export const DEFAULTS = {
  maxQueue: 128,
  batchSize: 256,
  taskTimeoutMs: 5_000,
  eventBudgetMs: 1_000,
} as const;

/** How long workers may take to start and load their detector plugins. */
const STARTUP_TIMEOUT_MS = 30_000;

const decodeEvents = decodeWith(t.array(NewEvent), 'events');

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Settings {
  readonly setup: WorkerSetup;
  readonly mode: 'pool' | 'in_thread';
  readonly workers: number;
  readonly maxQueue: number;
  readonly batchSize: number;
  readonly taskTimeoutMs: number;
}

const settingsFrom = (options: RedactionServiceOptions): E.Either<ConfigInvalid, Settings> => {
  const source = options.source ?? 'config';
  const decoded = RedactionConfig.decode(options.config ?? {});
  if (E.isLeft(decoded)) return E.left(configInvalid(source, toIssues(decoded.left)));
  const config = decoded.right;
  const section = config.redaction ?? {};
  return E.right({
    setup: {
      config,
      baseDir: options.baseDir ?? process.cwd(),
      source,
      builtInDetectors: options.builtInDetectors ?? true,
      eventBudgetMs: options.eventBudgetMs ?? section.event_budget_ms ?? DEFAULTS.eventBudgetMs,
    },
    mode: options.mode ?? section.mode ?? options.defaultMode ?? 'pool',
    workers: options.workers ?? section.workers ?? availableParallelism(),
    maxQueue: options.maxQueue ?? section.max_queue ?? DEFAULTS.maxQueue,
    batchSize: options.batchSize ?? section.batch_size ?? DEFAULTS.batchSize,
    taskTimeoutMs: options.taskTimeoutMs ?? section.task_timeout_ms ?? DEFAULTS.taskTimeoutMs,
  });
};

/**
 * Builds the redaction service the config asks for. The policies are
 * compiled here first, in this thread, so a bad policy is a ConfigInvalid at
 * start-up rather than a failed append later.
 */
export const createRedactionService = (
  options: RedactionServiceOptions = {},
): TE.TaskEither<ConfigInvalid, RedactionService> => {
  return async () => {
    const settings = settingsFrom(options);
    if (E.isLeft(settings)) return settings;
    const built = await buildRedactor(settings.right.setup);
    if (E.isLeft(built)) return built;
    if (settings.right.mode === 'in_thread') {
      const redactor = built.right;
      let isClosed = false;
      return E.right({
        mode: 'in_thread',
        redact: (tenant, events, stream) => () => {
          if (isClosed) return Promise.resolve(E.left(closed('redaction')));
          const decoded = decodeEvents(events);
          if (E.isLeft(decoded)) return Promise.resolve(decoded);
          const at = stream === undefined ? {} : { stream };
          return Promise.resolve(E.mapLeft(toRedactError)(redactor.redact(tenant, decoded.right, at)));
        },
        stats: () => ({ workers: 0, queued: 0 }),
        close: () => {
          isClosed = true;
          return Promise.resolve();
        },
      });
    }
    return E.right(createPool(settings.right));
  };
};

/** Same as `createRedactionService` with `mode: 'pool'`: the entry point for benchmarks. */
export const createRedactionPool = (
  options: Omit<RedactionServiceOptions, 'mode'> = {},
): TE.TaskEither<ConfigInvalid, RedactionService> => createRedactionService({ ...options, mode: 'pool' });

const createPool = (settings: Settings): RedactionService => {
  /*
   * Started on the first append, so a process that only reads never spawns
   * workers. Every worker is warmed (it has loaded its plugins and compiled
   * the policies) before the first task, so a task's timeout measures
   * redaction, not start-up.
   */
  let started: Promise<Piscina> | undefined;
  let instance: Piscina | undefined;
  // Each queued task's timeout starts when its worker says it has begun: time spent queued behind other tasks is
  // bounded by the queue's length and their timeouts, and must not make a healthy worker look hung.
  let nextTaskId = 0;
  const startClocks = new Map<number, () => void>();
  const start = (): Promise<Piscina> => {
    started ??= (async () => {
      const pool = new Piscina({
        filename: WORKER_FILE,
        minThreads: settings.workers,
        maxThreads: settings.workers,
        maxQueue: settings.maxQueue,
        workerData: settings.setup,
        // The pool is sized once; idle workers keep their compiled policies.
        idleTimeout: Number.POSITIVE_INFINITY,
      });
      instance = pool;
      // A worker that dies is replaced by piscina; the failed task's append has already failed closed.
      pool.on('error', () => undefined);
      pool.on('message', (message: unknown) => {
        const started = TaskStarted.decode(message);
        if (E.isRight(started)) startClocks.get(started.right.started)?.();
      });
      const warm: RedactTask = { id: nextTaskId++, tenant: 'warm-up', offset: 0, events: [] };
      await Promise.allSettled(
        Array.from({ length: settings.workers }, () =>
          pool.run(warm, { signal: AbortSignal.timeout(STARTUP_TIMEOUT_MS) }),
        ),
      );
      return pool;
    })();
    return started;
  };
  let isClosed = false;

  const runChunk = async (
    pool: Piscina,
    chunk: Omit<RedactTask, 'id'>,
  ): Promise<E.Either<RedactFailure | AppendError, readonly NewEvent[]>> => {
    const id = nextTaskId++;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    startClocks.set(id, () => {
      timer ??= setTimeout(() => abort.abort(), settings.taskTimeoutMs);
    });
    let raw: unknown;
    try {
      raw = await pool.run({ ...chunk, id }, { signal: abort.signal });
    } catch (e) {
      const message = e instanceof Error ? e.message : '';
      if (abort.signal.aborted) {
        return E.left(redactionFailed('timeout', `a redaction task ran over ${settings.taskTimeoutMs} ms`));
      }
      // Piscina refuses a task it cannot queue: over `maxQueue`, or any queueing at all when `maxQueue` is 0.
      if (/queue is at limit|no task queue available/i.test(message)) {
        return E.left(overloaded(pool.queueSize, settings.maxQueue));
      }
      if (isClosed) return E.left(closed('redaction'));
      // Piscina's message names the worker's exit, not the payload; we keep only our own words.
      return E.left(redactionFailed('worker_crashed', 'a redaction worker stopped during the task'));
    } finally {
      clearTimeout(timer);
      startClocks.delete(id);
    }
    const reply = RedactReply.decode(raw);
    if (E.isLeft(reply)) return E.left(redactionFailed('protocol', 'a redaction worker sent a malformed reply'));
    return reply.right.ok ? E.right(reply.right.events) : E.left(reply.right.error);
  };

  return {
    mode: 'pool',
    redact: (tenant, events, stream) => async () => {
      if (isClosed) return E.left(closed('redaction'));
      // Decoded here too, so bad input is the same InvalidInput as in-thread, and never reaches a worker.
      const decoded = decodeEvents(events);
      if (E.isLeft(decoded)) return decoded;
      const pool = await start();
      const chunks: Omit<RedactTask, 'id'>[] = [];
      for (let offset = 0; offset < decoded.right.length; offset += settings.batchSize) {
        const slice = decoded.right.slice(offset, offset + settings.batchSize);
        chunks.push(
          offset === 0 && stream !== undefined
            ? { tenant, offset, events: slice, stream }
            : { tenant, offset, events: slice },
        );
      }
      // Refuse before queueing anything when the chunks cannot all fit: workers take `workers` at once, the queue the
      // rest. Counted from the tasks in flight (queued or running), since busy workers take none of the new ones.
      if (startClocks.size + chunks.length > settings.maxQueue + settings.workers) {
        return E.left(overloaded(pool.queueSize, settings.maxQueue));
      }
      const results = await Promise.all(chunks.map((chunk) => runChunk(pool, chunk)));
      return mergeChunks(results);
    },
    stats: () => ({ workers: instance?.threads.length ?? 0, queued: instance?.queueSize ?? 0 }),
    close: async () => {
      if (isClosed) return;
      isClosed = true;
      await (await started)?.destroy();
    },
  };
};

/**
 * Joins chunk results the way the in-thread engine would have reported the
 * whole append: the first failure by position wins; otherwise every blocked
 * finding, in order, up to the engine's cap.
 */
const mergeChunks = (
  results: readonly E.Either<RedactFailure | AppendError, readonly NewEvent[]>[],
): E.Either<AppendError, readonly NewEvent[]> => {
  const out: NewEvent[] = [];
  const blocked: PolicyBlocked['findings'][number][] = [];
  for (const result of results) {
    if (E.isRight(result)) {
      out.push(...result.right);
      continue;
    }
    const error = result.left;
    if (error._tag === 'PolicyBlocked') {
      blocked.push(...error.findings);
      continue;
    }
    return E.left('code' in error ? error : toRedactError(error));
  }
  if (blocked.length > 0) return E.left(toRedactError({ _tag: 'PolicyBlocked', findings: blocked.slice(0, 100) }));
  return E.right(out);
};
