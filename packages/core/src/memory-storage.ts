import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { strict } from './codecs.js';
import { decideAppend, type AppendDecision, type ExistingEvent } from './append-rules.js';
import type { RecordedEvent, StreamInfo } from './event.js';
import { closed } from './errors.js';
import type { EventId, StreamId, SubscriberId, TenantId } from './ids.js';
import { AppendNotifier } from './notifier.js';
import type { StorageAdapter, StoragePlugin, TenantStorage } from './ports.js';

interface StoredEvent extends RecordedEvent {
  readonly contentHash: string;
}

interface TenantData {
  readonly log: StoredEvent[];
  readonly streams: Map<StreamId, StoredEvent[]>;
  readonly byId: Map<EventId, StoredEvent>;
  readonly checkpoints: Map<SubscriberId, number>;
}

/**
 * Keeps everything in memory, for tests and throw-away runs. Same rules as every
 * other adapter (it runs the same conformance suite); nothing survives the process.
 */
export const createMemoryStorage = (): StorageAdapter => {
  const tenants = new Map<TenantId, TenantData>();
  const notifier = new AppendNotifier();
  let isClosed = false;

  const dataOf = (tenant: TenantId): TenantData => {
    let data = tenants.get(tenant);
    if (data === undefined) {
      data = { log: [], streams: new Map(), byId: new Map(), checkpoints: new Map() };
      tenants.set(tenant, data);
    }
    return data;
  };

  // Defers to a later turn, as every real store does, so that callers cannot depend on synchronous effects.
  const later =
    <A>(f: () => A): TE.TaskEither<ReturnType<typeof closed>, A> =>
    () =>
      new Promise((resolve) => setImmediate(() => resolve(isClosed ? E.left(closed('memory storage')) : E.right(f()))));

  const forTenant = (tenant: TenantId): TenantStorage => ({
    tenant,
    append: (stream, events, expected) =>
      TE.chainEitherKW((_: void) => {
        const data = dataOf(tenant);
        const existing: ExistingEvent[] = [];
        for (const e of events) {
          const found = data.byId.get(e.id);
          if (found !== undefined) existing.push(found);
        }
        const streamEvents = data.streams.get(stream);
        const current = streamEvents === undefined ? null : streamEvents.length - 1;
        return E.map((decision: AppendDecision) => {
          if (decision.kind === 'replay') return decision.result;
          const recordedAt = new Date().toISOString();
          const list = streamEvents ?? [];
          const written = events.map((e, i): StoredEvent => ({
            id: e.id,
            tenant,
            stream,
            version: (current ?? -1) + 1 + i,
            position: data.log.length + 1 + i,
            type: e.type,
            // Stored as JSON text and parsed back, as a database would, so nothing is shared by reference.
            data: JSON.parse(e.dataJson) as StoredEvent['data'],
            metadata: JSON.parse(e.metadataJson) as StoredEvent['metadata'],
            recordedAt,
            contentHash: e.contentHash,
          }));
          for (const e of written) {
            data.log.push(e);
            list.push(e);
            data.byId.set(e.id, e);
          }
          data.streams.set(stream, list);
          setImmediate(() => notifier.notify(tenant));
          const last = written[written.length - 1]!;
          return {
            nextExpectedVersion: last.version,
            lastPosition: last.position,
            events: written.map((e) => ({ id: e.id, version: e.version, position: e.position })),
            idempotentReplay: false,
          };
        })(decideAppend(stream, events, expected, current, existing));
      })(later(() => undefined)),
    readStream: (stream, { direction, fromVersion, limit }) =>
      later(() => {
        const list = tenants.get(tenant)?.streams.get(stream) ?? [];
        if (direction === 'forwards') {
          const start = fromVersion ?? 0;
          return list.slice(start, start + limit).map(toRecorded);
        }
        const start = Math.min(fromVersion ?? list.length - 1, list.length - 1);
        const out: RecordedEvent[] = [];
        for (let v = start; v >= 0 && out.length < limit; v--) out.push(toRecorded(list[v]!));
        return out;
      }),
    readLog: ({ after, limit }) =>
      later(() => (tenants.get(tenant)?.log ?? []).slice(after, after + limit).map(toRecorded)),
    streamVersion: (stream) =>
      later(() => {
        const list = tenants.get(tenant)?.streams.get(stream);
        return list === undefined ? null : list.length - 1;
      }),
    listStreams: ({ prefix, after, limit }) =>
      later(() => {
        const streams = tenants.get(tenant)?.streams ?? new Map<StreamId, StoredEvent[]>();
        const out: StreamInfo[] = [];
        for (const id of [...streams.keys()].sort(compareCodeUnits)) {
          if (!id.startsWith(prefix) || (after !== null && id <= after)) continue;
          out.push({ stream: id, version: streams.get(id)!.length - 1 });
          if (out.length === limit) break;
        }
        return out;
      }),
    loadCheckpoint: (subscriber) => later(() => tenants.get(tenant)?.checkpoints.get(subscriber) ?? null),
    saveCheckpoint: (subscriber, position) =>
      later(() => {
        dataOf(tenant).checkpoints.set(subscriber, position);
      }),
  });

  return {
    name: 'memory',
    forTenant,
    onAppend: (tenant, listener) => notifier.on(tenant, listener),
    close: () => {
      isClosed = true;
      notifier.clear();
      return Promise.resolve();
    },
  };
};

const toRecorded = ({ contentHash: _hash, ...event }: StoredEvent): RecordedEvent => event;

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const memoryStoragePlugin: StoragePlugin<Record<string, unknown>> = {
  kind: 'memory',
  options: strict({}, {}, 'MemoryStorageOptions'),
  create: () => TE.right(createMemoryStorage()),
};
