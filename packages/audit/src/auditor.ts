import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  EventId,
  EventType,
  STREAM_FINDING_PATH,
  systemStream,
  type AppendError,
  type AppendObserver,
  type AppendOutcome,
  type AppendPipeline,
  type JsonObject,
  type JsonValue,
  type PreparedEvent,
  type ReadError,
  type TenantEventStore,
  type TenantId,
} from '@palisade/core';
import { applyDataPolicy, type AuditDataPolicy } from './data-policy.js';
import type { AuditEntryData } from './entry.js';
import {
  AUDIT_STREAM,
  CHECKPOINT_TYPE,
  ENTRY_TYPE,
  checkpointStatement,
  entryHash,
  genesisHash,
  purgedHeadHash,
  sha256Hex,
  type AuditAction,
  type AuditOutcome,
} from './entry.js';
import type { AuditSigner } from './signing.js';

export interface AuditorOptions {
  /** Signs checkpoints. Without one, no checkpoints are written (the chain alone still detects edits). */
  readonly signer?: AuditSigner;
  /** A checkpoint after this many entries. Default 1,000. */
  readonly checkpointEvery?: number;
  /** ... or at the first entry written this long after the last checkpoint. Default 60,000 ms. */
  readonly checkpointIntervalMs?: number;
  readonly dataPolicy: AuditDataPolicy;
  /** A tenant's own policy (its data policy's `retain_prompts` / `retain_outputs`); default: `dataPolicy` for all. */
  readonly dataPolicyFor?: (tenant: TenantId) => AuditDataPolicy;
  /** The clock; entries carry its time. */
  readonly now?: () => Date;
  /** Shows an event's stored payload as the audit log should hold it (e.g. opens encryption at rest). */
  readonly viewStored?: (tenant: TenantId, stream: string, event: PreparedEvent) => Promise<PreparedEvent>;
  /**
   * Most bytes of event copies in one entry (default 256 KiB, well under the event size limit): a larger append is
   * recorded in several `event.append` entries (`part`), and a single event copy over it keeps its SHA-256 only.
   */
  readonly maxEntryBytes?: number;
}

/** One entry to write: who did what, with which outcome. */
export interface AuditRecordInput {
  readonly actor: string;
  readonly action: AuditAction;
  readonly outcome: AuditOutcome;
  /** Already redacted: ids, counts, codes, findings. Never a payload, key or token (hash those). */
  readonly details?: JsonObject;
}

export interface AuditHead {
  /** The last entry's sequence number, -1 when the log is empty. */
  readonly seq: number;
  /** The last entry's hash (or the genesis hash). */
  readonly hash: string;
  readonly entriesSinceCheckpoint: number;
  readonly lastCheckpointAt: number | null;
}

export type AuditError = AppendError | ReadError;

export interface Auditor extends AppendObserver {
  /** Writes one entry (operator actions, key operations) and, when due, a checkpoint. */
  record(scope: TenantEventStore, input: AuditRecordInput): TE.TaskEither<AuditError, { readonly seq: number }>;
  /** Writes a signed checkpoint now (unless the last entry already is one). */
  checkpoint(scope: TenantEventStore): TE.TaskEither<AuditError, { readonly seq: number } | null>;
  /** The chain's head as stored. */
  head(scope: TenantEventStore): TE.TaskEither<ReadError, AuditHead>;
  /**
   * Checkpoints every tenant this auditor has written to whose newest entries are unsigned and whose last
   * checkpoint is older than the interval: so that entries written just before a quiet spell do not wait for
   * the next entry to be covered. Returns how many checkpoints were written.
   */
  sweep(scopeFor: (tenant: TenantId) => TenantEventStore): Promise<number>;
  /** Runs `sweep` every `everyMs` (default: the checkpoint interval) until `stop()`; the timer never keeps a process alive. */
  startCheckpointTimer(scopeFor: (tenant: TenantId) => TenantEventStore, everyMs?: number): { stop(): void };
}

/** Attempts at one entry when other writers keep winning the race; with jittered back-off between them. */
const MAX_ATTEMPTS = 50;
const PURGES = systemStream('purges');
const ACTOR_MAX = 200;
/** Recorded for a refused append's actor or stream that no policy vetted (it may hold personal data). */
const UNVETTED = '[unvetted]';

/**
 * The audit log writer. As the event store's `AppendObserver` it records every
 * append and every policy decision; `record` takes operator actions and key
 * operations. Entries of one tenant are written one at a time, each with the
 * expected version of the entry before, so that the chain stays linear even
 * when several processes write: a writer that loses the race reloads the head
 * and tries again.
 */
export const createAuditor = (options: AuditorOptions): Auditor => {
  const every = options.checkpointEvery ?? 1000;
  const intervalMs = options.checkpointIntervalMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  const maxEntryBytes = options.maxEntryBytes ?? 256 * 1024;
  // Per tenant: the queue that serialises this process's writes, and the head it last wrote.
  const queues = new Map<TenantId, Promise<unknown>>();
  const heads = new Map<TenantId, AuditHead>();

  const serial = <A>(tenant: TenantId, task: () => Promise<A>): Promise<A> => {
    const previous = queues.get(tenant) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(tenant, settled);
    void settled.then(() => {
      if (queues.get(tenant) === settled) queues.delete(tenant);
    });
    return next;
  };

  const loadHead = async (scope: TenantEventStore): Promise<E.Either<ReadError, AuditHead>> => {
    const last = await scope.readStream(AUDIT_STREAM, { direction: 'backwards', limit: Math.min(every, 10_000) })();
    if (E.isLeft(last)) return last;
    const events = last.right;
    if (events.length === 0) {
      // No entries: a new log, or one whose every entry retention purged. The stream keeps its version through a
      // purge, so the chain goes on after it; the purged head's hash is gone, and the verifier takes the next
      // entry's `prev` as given once a retention.purge entry accounts for the gap.
      const version = await scope.streamVersion(AUDIT_STREAM)();
      if (E.isLeft(version)) return version;
      const seq = version.right ?? -1;
      const hash = seq === -1 ? genesisHash(scope.tenant) : purgedHeadHash(scope.tenant, seq);
      return E.right({ seq, hash, entriesSinceCheckpoint: 0, lastCheckpointAt: null });
    }
    const top = events[0]!;
    const checkpointIndex = events.findIndex((e) => e.type === CHECKPOINT_TYPE);
    const checkpoint = checkpointIndex === -1 ? undefined : events[checkpointIndex];
    // With no checkpoint yet, the clock runs from the oldest entry read.
    const at = Date.parse(atOf((checkpoint ?? events[events.length - 1]!).data));
    return E.right({
      seq: top.version,
      hash: entryHash(scope.tenant, {
        seq: top.version,
        id: top.id,
        type: top.type,
        data: top.data,
        metadata: top.metadata,
      }),
      // No checkpoint within the last `every` entries: one is due.
      entriesSinceCheckpoint: checkpointIndex === -1 ? events.length : checkpointIndex,
      lastCheckpointAt: Number.isFinite(at) ? at : null,
    });
  };

  /** Appends one entry built on the current head; retries on a lost race. Runs inside the tenant's queue. */
  const appendEntry = async (
    scope: TenantEventStore,
    type: string,
    build: (seq: number, prev: string, at: string) => JsonObject,
  ): Promise<E.Either<AuditError, AuditHead>> => {
    for (let attempt = 0; ; attempt++) {
      let head = heads.get(scope.tenant);
      if (head === undefined) {
        const loaded = await loadHead(scope);
        if (E.isLeft(loaded)) return loaded;
        head = loaded.right;
      }
      const seq = head.seq + 1;
      const data = build(seq, head.hash, now().toISOString());
      const written = await scope.appendToSystemStream(AUDIT_STREAM, [{ type, data }], {
        expected: head.seq === -1 ? 'no_stream' : head.seq,
      })();
      if (E.isLeft(written)) {
        heads.delete(scope.tenant);
        if (written.left._tag === 'WrongExpectedVersion' && attempt + 1 < MAX_ATTEMPTS) {
          await backOff(attempt);
          continue;
        }
        return written;
      }
      // Hash what was stored, read back: the append pipeline may have rewritten the entry.
      const stored = await scope.readStream(AUDIT_STREAM, { fromVersion: seq, limit: 1 })();
      if (E.isLeft(stored)) return stored;
      const event = stored.right[0];
      if (event === undefined || event.id !== written.right.events[0]?.id) {
        heads.delete(scope.tenant);
        continue;
      }
      const isCheckpoint = type === CHECKPOINT_TYPE;
      const next: AuditHead = {
        seq,
        hash: entryHash(scope.tenant, {
          seq,
          id: event.id,
          type: event.type,
          data: event.data,
          metadata: event.metadata,
        }),
        entriesSinceCheckpoint: isCheckpoint ? 0 : head.entriesSinceCheckpoint + 1,
        lastCheckpointAt:
          isCheckpoint || head.lastCheckpointAt === null ? Date.parse(atOf(event.data)) : head.lastCheckpointAt,
      };
      heads.set(scope.tenant, next);
      return E.right(next);
    }
  };

  const writeCheckpoint = (scope: TenantEventStore, signer: AuditSigner) =>
    appendEntry(scope, CHECKPOINT_TYPE, (seq, prev, at) => ({
      ...entryData(seq, prev, at, { actor: 'palisade', action: 'audit.checkpoint', outcome: 'success' }),
      details: {
        covers: seq - 1,
        head: prev,
        keyId: signer.keyId,
        signature: signer.sign(checkpointStatement(scope.tenant, seq - 1, prev, at)),
      },
    }));

  const checkpointDue = (head: AuditHead): boolean =>
    head.entriesSinceCheckpoint >= every ||
    (head.entriesSinceCheckpoint > 0 &&
      (head.lastCheckpointAt === null || now().getTime() - head.lastCheckpointAt >= intervalMs));

  /** Writes the entries in order, then a checkpoint when one is due. */
  const writeAll = async (
    scope: TenantEventStore,
    inputs: readonly AuditRecordInput[],
  ): Promise<E.Either<AuditError, { seq: number }>> => {
    let last: AuditHead | undefined;
    for (const input of inputs) {
      const written = await appendEntry(scope, ENTRY_TYPE, (seq, prev, at) => entryData(seq, prev, at, input));
      if (E.isLeft(written)) return written;
      last = written.right;
    }
    if (last === undefined) return E.right({ seq: -1 });
    if (options.signer !== undefined && checkpointDue(last)) {
      const checkpoint = await writeCheckpoint(scope, options.signer);
      if (E.isLeft(checkpoint)) return checkpoint;
    }
    return E.right({ seq: last.seq });
  };

  const fromOutcome = async (outcome: AppendOutcome): Promise<AuditRecordInput[]> => {
    if (outcome._tag === 'Refused') {
      // The input never passed redaction: its actor is kept only when it has the shape of a principal id.
      const actor = refusedActorOf(outcome.inputs[0]?.metadata);
      const stream = refusedStreamOf(outcome.stream, outcome.error);
      const events = outcome.inputs.map((e) => ({
        // Only what decodes as an id or a type: the input was refused and may hold anything.
        ...(EventId.is(e.id) ? { id: e.id } : {}),
        ...(EventType.is(e.type) ? { type: e.type } : {}),
      }));
      const records: AuditRecordInput[] = [
        {
          actor,
          action: 'event.append',
          outcome: 'refused',
          // The code only: messages name paths, and a path may be an object key that holds personal data.
          details: { stream, events, error: { code: outcome.error.code } },
        },
      ];
      if (outcome.error._tag === 'PolicyBlocked') {
        records.push({
          actor,
          action: 'policy.block',
          outcome: 'refused',
          details: {
            stream,
            findings: outcome.error.findings.map((f) => ({ detector: f.detector, path: f.path })),
          },
        });
      }
      return records;
    }
    const { stream, result } = outcome;
    const events = await Promise.all(
      outcome.events.map((e) => options.viewStored?.(outcome.tenant, stream, e) ?? Promise.resolve(e)),
    );
    const actor = actorOf(events[0]?.metadata);
    if (stream === PURGES) {
      return events.map((e) => ({
        actor,
        action: 'retention.purge' as const,
        outcome: 'success' as const,
        details: { purge: { id: e.id, type: e.type, data: e.data } },
      }));
    }
    const copies = events.map((e, i): JsonObject => {
      const kept = applyDataPolicy(options.dataPolicyFor?.(outcome.tenant) ?? options.dataPolicy, e);
      const written = result.events[i];
      const copy: JsonObject = {
        id: e.id,
        type: e.type,
        ...(written !== undefined ? { version: written.version, position: written.position } : {}),
        data: kept.data,
        metadata: kept.metadata,
      };
      const bytes = Buffer.byteLength(JSON.stringify(copy), 'utf8');
      return bytes <= maxEntryBytes
        ? copy
        : { ...copy, data: { $omitted: 'too large', bytes, sha256: sha256Hex(JSON.stringify(kept.data)) } };
    });
    const parts = packBySize(copies, maxEntryBytes);
    const records: AuditRecordInput[] = parts.map((part, i) => ({
      actor,
      action: 'event.append',
      outcome: result.idempotentReplay ? 'replayed' : 'success',
      details: { stream, events: part, ...(parts.length > 1 ? { part: i + 1, parts: parts.length } : {}) },
    }));
    if (result.idempotentReplay) return records;
    for (const action of ['redact', 'warn'] as const) {
      const findings = events.flatMap((e) =>
        redactionFindings(e.metadata)
          .filter((f) => f.action === action)
          .map((f) => ({ event: e.id, ...f })),
      );
      if (findings.length > 0) {
        records.push({ actor, action: `policy.${action}`, outcome: 'success', details: { stream, findings } });
      }
    }
    return records;
  };

  return {
    observe: async (outcome, scope) => {
      // Our own writes are observed too: auditing them would never end.
      if (outcome.stream === AUDIT_STREAM) return;
      const records = await fromOutcome(outcome);
      const written = await serial(scope.tenant, () => writeAll(scope, records));
      if (E.isLeft(written)) throw new AuditWriteFailed(written.left.code);
    },
    record: (scope, input) => () => serial(scope.tenant, () => writeAll(scope, [input])),
    checkpoint: (scope) => () =>
      serial(scope.tenant, async () => {
        const signer = options.signer;
        if (signer === undefined) return E.right(null);
        let head = heads.get(scope.tenant);
        if (head === undefined) {
          const loaded = await loadHead(scope);
          if (E.isLeft(loaded)) return loaded;
          head = loaded.right;
        }
        if (head.entriesSinceCheckpoint === 0) return E.right(null);
        const written = await writeCheckpoint(scope, signer);
        return E.map((h: AuditHead) => ({ seq: h.seq }))(written);
      }),
    head: (scope) => () => loadHead(scope),
    sweep: async (scopeFor) => {
      const signer = options.signer;
      if (signer === undefined) return 0;
      let written = 0;
      for (const tenant of [...heads.keys()]) {
        const done = await serial(tenant, async () => {
          const head = heads.get(tenant);
          if (head === undefined || head.entriesSinceCheckpoint === 0) return false;
          if (head.lastCheckpointAt !== null && now().getTime() - head.lastCheckpointAt < intervalMs) return false;
          return E.isRight(await writeCheckpoint(scopeFor(tenant), signer));
        });
        if (done) written++;
      }
      return written;
    },
    startCheckpointTimer(scopeFor, everyMs = intervalMs) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        void this.sweep(scopeFor).finally(() => (running = false));
      }, everyMs);
      timer.unref();
      return { stop: () => clearInterval(timer) };
    },
  };
};

/** Thrown from `observe` so the event store reports it to `onObserverError`; carries the code only. */
export class AuditWriteFailed extends Error {
  constructor(readonly code: string) {
    super(`audit entry could not be written (${code})`);
    this.name = 'AuditWriteFailed';
  }
}

/** Splits copies into runs whose JSON stays within `budget` bytes (each run holds at least one). */
const packBySize = (copies: readonly JsonObject[], budget: number): JsonObject[][] => {
  const parts: JsonObject[][] = [];
  let current: JsonObject[] = [];
  let size = 0;
  for (const c of copies) {
    const bytes = Buffer.byteLength(JSON.stringify(c), 'utf8');
    if (current.length > 0 && size + bytes > budget) {
      parts.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += bytes;
  }
  if (current.length > 0 || parts.length === 0) parts.push(current);
  return parts;
};

const backOff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

const entryData = (seq: number, prev: string, at: string, input: AuditRecordInput): JsonObject => {
  const data: AuditEntryData = {
    v: 1,
    seq,
    at,
    prev,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
    details: input.details ?? {},
  };
  return data;
};

const atOf = (data: JsonValue): string =>
  data !== null && typeof data === 'object' && !Array.isArray(data) && typeof data['at'] === 'string' ? data['at'] : '';

/**
 * A principal id such as `user:7`, `svc:billing-api` or `bot`: a name that starts with a letter, optionally followed
 * by a colon and an id, made of letters, digits, `_` and `-`. No `@`, `.`, `+`, spaces or other separators, so no
 * email address, IP address, URL or number written with separators fits.
 */
const PRINCIPAL_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}(?::[A-Za-z0-9_-]{1,128})?$/;

/** The actor of a refused append: it never passed the data policy, so only a principal id is kept. */
const refusedActorOf = (metadata: JsonObject | undefined): string => {
  const actor = actorOf(metadata);
  return actor === 'anonymous' || PRINCIPAL_ID.test(actor) ? actor : UNVETTED;
};

/** Refusals raised after the data policy passed the append: its stream id was checked. */
const REFUSED_AFTER_POLICY: ReadonlySet<string> = new Set([
  'WrongExpectedVersion',
  'DuplicateEventId',
  'StorageUnavailable',
]);

/**
 * The stream of a refused append. The policy may have refused the append for its stream id (a finding at `stream`),
 * or never run: then the id is kept only when it has the shape of a principal id (`order-42`), else `[unvetted]`.
 */
const refusedStreamOf = (stream: string | null, error: AppendError): string | null => {
  if (stream === null) return null;
  // PolicyBlocked: the policy checked the stream id with the rest; it names the id when the id was the problem.
  if (error._tag === 'PolicyBlocked')
    return error.findings.some((f) => f.path === STREAM_FINDING_PATH) ? UNVETTED : stream;
  return REFUSED_AFTER_POLICY.has(error._tag) || PRINCIPAL_ID.test(stream) ? stream : UNVETTED;
};

/** The actor named in metadata (`actor`), or `anonymous`. */
const actorOf = (metadata: JsonObject | undefined): string => {
  const actor = metadata?.['actor'];
  return typeof actor === 'string' && actor.length > 0 ? actor.slice(0, ACTOR_MAX) : 'anonymous';
};

interface Finding {
  readonly detector: string;
  readonly path: string;
  readonly action: 'redact' | 'warn';
  readonly mode: string;
  readonly count: number;
}

/** Reads `metadata.palisade_redaction.findings` as the redaction pipeline writes it; ignores anything malformed. */
export const redactionFindings = (metadata: JsonObject): Finding[] => {
  const report = metadata['palisade_redaction'];
  if (report === null || typeof report !== 'object' || Array.isArray(report)) return [];
  const findings = report['findings'];
  if (!Array.isArray(findings)) return [];
  const out: Finding[] = [];
  for (const f of findings) {
    if (f === null || typeof f !== 'object' || Array.isArray(f)) continue;
    const { detector, path, action, mode, count } = f;
    if (typeof detector !== 'string' || typeof path !== 'string' || (action !== 'redact' && action !== 'warn'))
      continue;
    out.push({
      detector,
      path,
      action,
      mode: typeof mode === 'string' ? mode : '',
      count: typeof count === 'number' ? count : 1,
    });
  }
  return out;
};

/**
 * The append pipeline for everything except Palisade's own records: the audit
 * stream and retention's `$purges`. Audit entries are built from events that
 * already went through redaction (and from ids, codes and hashes); purge
 * records hold counts, times and the ids of streams already stored. A redactor
 * that rewrote or refused them (a hash can look like a secret, a stream id
 * like an email) would break the chain, falsify the record, or refuse it after
 * the purge had already deleted: put the redaction stage behind this, and
 * encryption at rest after it.
 */
export const bypassAuditStream = (pipeline: AppendPipeline): AppendPipeline => ({
  process: (context, events) =>
    context.stream === AUDIT_STREAM || context.stream === PURGES
      ? () => Promise.resolve(E.right(events))
      : pipeline.process(context, events),
  ...(pipeline.close !== undefined ? { close: () => pipeline.close!() } : {}),
});
