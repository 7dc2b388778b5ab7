import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { strict } from './codecs.js';
import { decideAppend, type AppendDecision, type ExistingEvent } from './append-rules.js';
import type { RecordedEvent, StreamInfo } from './event.js';
import { closed } from './errors.js';
import type { EventId, StreamId, SubscriberId, TenantId } from './ids.js';
import { AppendNotifier } from './notifier.js';
import type {
  PurgedStream,
  StateKey,
  StateKind,
  StorageAdapter,
  StoragePlugin,
  StoredState,
  TenantStorage,
} from './ports.js';

interface StoredEvent extends RecordedEvent {
  readonly contentHash: string;
}

/** A purged event leaves a hole, so that positions and versions stay array indexes. */
type Slot = StoredEvent | undefined;

/** Deletes a tenant's state rows of (kind, name) whose version `matches`; returns how many went. */
const deleteStateRows = (
  states: TenantData['states'] | undefined,
  kind: StateKind,
  name: string,
  matches: (version: number) => boolean,
): number => {
  if (states === undefined) return 0;
  let deleted = 0;
  for (const [id, row] of states) {
    if (row.key.kind === kind && row.key.name === name && matches(row.key.version)) {
      states.delete(id);
      deleted++;
    }
  }
  return deleted;
};

interface TenantData {
  readonly log: Slot[];
  readonly streams: Map<StreamId, Slot[]>;
  readonly byId: Map<EventId, StoredEvent>;
  readonly checkpoints: Map<SubscriberId, number>;
  readonly states: Map<string, StoredState & { readonly key: StateKey }>;
  readonly active: Map<string, number>;
  /** Index in `log` below which every slot is a hole: reads and purges start here. */
  head: number;
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
      data = {
        log: [],
        streams: new Map(),
        byId: new Map(),
        checkpoints: new Map(),
        states: new Map(),
        active: new Map(),
        head: 0,
      };
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
          const out: RecordedEvent[] = [];
          for (let v = fromVersion ?? 0; v < list.length && out.length < limit; v++) {
            const e = list[v];
            if (e !== undefined) out.push(toRecorded(e));
          }
          return out;
        }
        const start = Math.min(fromVersion ?? list.length - 1, list.length - 1);
        const out: RecordedEvent[] = [];
        for (let v = start; v >= 0 && out.length < limit; v--) {
          const e = list[v];
          if (e !== undefined) out.push(toRecorded(e));
        }
        return out;
      }),
    readLog: ({ after, limit }) =>
      later(() => {
        const data = tenants.get(tenant);
        if (data === undefined) return [];
        const out: RecordedEvent[] = [];
        for (let i = Math.max(after, data.head); i < data.log.length && out.length < limit; i++) {
          const e = data.log[i];
          if (e !== undefined) out.push(toRecorded(e));
        }
        return out;
      }),
    streamVersion: (stream) =>
      later(() => {
        const list = tenants.get(tenant)?.streams.get(stream);
        return list === undefined ? null : list.length - 1;
      }),
    listStreams: ({ prefix, after, limit }) =>
      later(() => {
        const streams = tenants.get(tenant)?.streams ?? new Map<StreamId, Slot[]>();
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
    loadState: (key) =>
      later(() => {
        const row = tenants.get(tenant)?.states.get(stateId(key));
        return row === undefined ? null : copyState(row);
      }),
    saveState: (key, write, expectedRevision) =>
      later(() => {
        const states = dataOf(tenant).states;
        const id = stateId(key);
        const current = states.get(id)?.revision ?? null;
        if (current !== expectedRevision) return null;
        const revision = (current ?? 0) + 1;
        states.set(id, {
          key,
          state: JSON.parse(JSON.stringify(write.state)) as StoredState['state'],
          position: write.position,
          purgedAt: write.purgedAt,
          revision,
          updatedAt: new Date().toISOString(),
        });
        return revision;
      }),
    deleteStates: (kind, name, version) =>
      later(() => deleteStateRows(tenants.get(tenant)?.states, kind, name, (v) => v === version)),
    deleteStatesThrough: (kind, name, throughVersion) =>
      later(() => deleteStateRows(tenants.get(tenant)?.states, kind, name, (v) => v <= throughVersion)),
    loadActiveVersion: (name) => later(() => tenants.get(tenant)?.active.get(name) ?? null),
    switchActiveVersion: (name, from, to) =>
      later(() => {
        const active = dataOf(tenant).active;
        if ((active.get(name) ?? null) !== from) return false;
        active.set(name, to);
        return true;
      }),
    purgeExpired: ({ before, limit, keep, purgedAt }) =>
      later(() => {
        const data = tenants.get(tenant);
        if (data === undefined) return { deleted: 0, streams: [], marked: 0 };
        const victims = expired(data, before, keep, limit);
        const perStream = new Map<StreamId, { events: number; throughVersion: number }>();
        for (const e of victims) {
          data.log[e.position - 1] = undefined;
          data.streams.get(e.stream)![e.version] = undefined;
          data.byId.delete(e.id);
          const s = perStream.get(e.stream) ?? { events: 0, throughVersion: -1 };
          perStream.set(e.stream, { events: s.events + 1, throughVersion: Math.max(s.throughVersion, e.version) });
        }
        while (data.head < data.log.length && data.log[data.head] === undefined) data.head++;
        let marked = 0;
        if (victims.length > 0) {
          for (const [id, row] of data.states) {
            const hit = row.key.kind === 'projection' || perStream.has(row.key.key as StreamId);
            if (!hit || row.purgedAt !== null) continue;
            data.states.set(id, { ...row, purgedAt, revision: row.revision + 1, updatedAt: new Date().toISOString() });
            marked++;
          }
        }
        return { deleted: victims.length, streams: summarize(perStream), marked };
      }),
    summarizeExpired: ({ before, keep, limit }) =>
      later(() => {
        const data = tenants.get(tenant);
        if (data === undefined) return { events: 0, streamCount: 0, streams: [] };
        const victims = expired(data, before, keep, Number.MAX_SAFE_INTEGER);
        const perStream = new Map<StreamId, { events: number; throughVersion: number }>();
        for (const e of victims) {
          const s = perStream.get(e.stream) ?? { events: 0, throughVersion: -1 };
          perStream.set(e.stream, { events: s.events + 1, throughVersion: Math.max(s.throughVersion, e.version) });
        }
        return { events: victims.length, streamCount: perStream.size, streams: summarize(perStream).slice(0, limit) };
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

/**
 * Events recorded before `before`, outside the `keep` streams, oldest first.
 * One process appends here, so position order is time order: no sort needed.
 */
const expired = (data: TenantData, before: string, keep: readonly StreamId[], limit: number): StoredEvent[] => {
  const out: StoredEvent[] = [];
  for (let i = data.head; i < data.log.length && out.length < limit; i++) {
    const e = data.log[i];
    if (e !== undefined && e.recordedAt < before && !keep.includes(e.stream)) out.push(e);
  }
  return out;
};

const summarize = (perStream: Map<StreamId, { events: number; throughVersion: number }>): PurgedStream[] =>
  [...perStream.entries()]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([stream, s]) => ({ stream, events: s.events, throughVersion: s.throughVersion }));

const stateId = (key: StateKey): string => JSON.stringify([key.kind, key.name, key.version, key.key]);

const copyState = ({ key: _key, ...row }: StoredState & { readonly key: StateKey }): StoredState => ({
  ...row,
  state: JSON.parse(JSON.stringify(row.state)) as StoredState['state'],
});

const toRecorded = ({ contentHash: _hash, ...event }: StoredEvent): RecordedEvent => event;

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const memoryStoragePlugin: StoragePlugin<Record<string, unknown>> = {
  kind: 'memory',
  options: strict({}, {}, 'MemoryStorageOptions'),
  create: () => TE.right(createMemoryStorage()),
};
