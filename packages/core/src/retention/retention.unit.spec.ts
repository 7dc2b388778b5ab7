import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { PalisadeError } from '../errors.js';
import { EventStore, type TenantEventStore } from '../event-store.js';
import { systemStream, type TenantId } from '../ids.js';
import { createMemoryStorage } from '../memory-storage.js';
import { unwrap } from '../promises.js';
import { createRuntime } from '../runtime.js';
import { PURGES_STREAM, purgeTenant, type PurgeReport } from './purge.js';
import { startRetentionPurger } from './purger.js';
import { retentionSettings } from './settings.js';

const DAY = 24 * 60 * 60 * 1000;
const ok = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(`expected success, got ${r.left._tag}: ${r.left.message}`);
  return r.right;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const marked = (n: number) => ({ type: 'Said', data: { text: `private-words-${n}` } });
/** A clock `days` after `at`, so that the cutoff falls exactly at `at`. */
const clockAt = (at: Date, days: number): Date => new Date(at.getTime() + days * DAY);

describe('retention purge', () => {
  let store: EventStore;
  let acme: TenantEventStore;
  let globex: TenantEventStore;

  beforeEach(() => {
    store = new EventStore(createMemoryStorage());
    acme = store.forTenant('acme' as TenantId);
    globex = store.forTenant('globex' as TenantId);
  });
  afterEach(async () => {
    await store.close();
  });

  const seed = async (): Promise<Date> => {
    await ok(acme.appendToStream('chat-1', [marked(1), marked(2), marked(3)]));
    await ok(acme.appendToSystemStream(systemStream('audit'), [{ type: 'Accessed', data: { who: 'private-who' } }]));
    await ok(globex.appendToStream('chat-1', [marked(4)]));
    await sleep(5);
    const at = new Date();
    await sleep(5);
    await ok(acme.appendToStream('chat-2', [marked(5)]));
    return at;
  };

  it('shows what would go in a dry run, deleting and recording nothing', async () => {
    const at = await seed();
    const report = await ok(purgeTenant(acme, { days: 30, batchSize: 2, dryRun: true, now: clockAt(at, 30) }));
    expect(report).toMatchObject({
      tenant: 'acme',
      dryRun: true,
      retentionDays: 30,
      cutoff: at.toISOString(),
      events: 4,
      streamCount: 2,
      batches: 0,
      streams: [
        { stream: '$audit', events: 1, throughVersion: 0 },
        { stream: 'chat-1', events: 3, throughVersion: 2 },
      ],
    });
    expect((await ok(acme.readLog())).events).toHaveLength(5);
    expect(await ok(acme.streamVersion(PURGES_STREAM))).toBeNull();
  });

  it('deletes expired events (audit entries included) in batches and records each batch without content', async () => {
    const at = await seed();
    const report = await ok(purgeTenant(acme, { days: 7, batchSize: 3, now: clockAt(at, 7) }));
    expect(report).toMatchObject({ dryRun: false, events: 4, streamCount: 2, batches: 2 });
    expect((await ok(acme.readLog())).events.map((e) => e.stream)).toEqual(['chat-2', '$purges', '$purges']);
    expect(await ok(acme.readStream('$audit'))).toEqual([]);
    const records = await ok(acme.readStream(PURGES_STREAM));
    expect(records.map((r) => r.type)).toEqual(['EventsPurged', 'EventsPurged']);
    expect(records.map((r) => (r.data as { events: number }).events)).toEqual([3, 1]);
    expect(records[0]!.data).toMatchObject({ cutoff: at.toISOString(), retentionDays: 7 });
    expect(records[0]!.metadata).toEqual({ actor: 'palisade:retention' });
    const text = JSON.stringify(records);
    expect(text).not.toContain('private-');
    // The other tenant is untouched; a second run finds nothing and records nothing.
    expect((await ok(globex.readLog())).events).toHaveLength(1);
    const again = await ok(purgeTenant(acme, { days: 7, batchSize: 3, now: clockAt(at, 7) }));
    expect(again).toMatchObject({ events: 0, batches: 0 });
    expect(await ok(acme.streamVersion(PURGES_STREAM))).toBe(1);
    // The record of purges is never purged itself.
    await ok(purgeTenant(acme, { days: 1, batchSize: 10, now: new Date(Date.now() + 3 * DAY) }));
    expect((await ok(acme.readStream(PURGES_STREAM))).length).toBe(3);
  });

  it('counts each event once when several purges of one tenant run at once', async () => {
    for (let i = 0; i < 20; i++) await ok(acme.appendToStream(`s-${i % 3}`, [marked(i), marked(i)]));
    const now = new Date(Date.now() + 2 * DAY);
    const reports = await Promise.all([1, 2, 3].map(() => ok(purgeTenant(acme, { days: 1, batchSize: 4, now }))));
    expect(reports.reduce((n, r) => n + r.events, 0)).toBe(40);
    const recorded = (await ok(acme.readStream(PURGES_STREAM))).map((r) => (r.data as { events: number }).events);
    expect(recorded.reduce((a, b) => a + b, 0)).toBe(40);
  });

  it('refuses bad days and batch sizes', async () => {
    for (const [days, batchSize, path] of [
      [0, 10, 'days'],
      [1.5, 10, 'days'],
      [1, 0, 'batchSize'],
      [1, 10_001, 'batchSize'],
    ] as const) {
      const r = await purgeTenant(acme, { days, batchSize })();
      expect(E.isLeft(r) && r.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path }] });
    }
  });

  it('runs in the background for the tenants with a retention, several instances sharing the work', async () => {
    for (let i = 0; i < 10; i++) await ok(acme.appendToStream('chat-1', [marked(i)]));
    await ok(globex.appendToStream('chat-1', [marked(99)]));
    const reports: PurgeReport[] = [];
    const options = {
      store,
      tenants: () => ['acme', 'globex'] as TenantId[],
      retentionFor: (t: TenantId) => (t === 'acme' ? 1 : null),
      intervalMs: 10,
      batchSize: 3,
      // Two days from now: everything appended above is past a 1-day retention.
      now: () => new Date(Date.now() + 2 * DAY),
      onReport: (r: PurgeReport) => reports.push(r),
    };
    const a = startRetentionPurger(options);
    const b = startRetentionPurger(options);
    try {
      const deadline = Date.now() + 30_000;
      while ((await ok(acme.readStream('chat-1'))).length > 0 && Date.now() < deadline) await sleep(10);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(await ok(acme.readStream('chat-1'))).toEqual([]);
    expect(reports.reduce((n, r) => n + r.events, 0)).toBe(10);
    const recorded = (await ok(acme.readStream(PURGES_STREAM))).map((r) => (r.data as { events: number }).events);
    expect(recorded.reduce((x, y) => x + y, 0)).toBe(10);
    expect((await ok(globex.readLog())).events).toHaveLength(1);
    expect(reports.every((r) => r.tenant === 'acme')).toBe(true);
  });

  it('reports a tenants() or retentionFor() that throws, and carries on, instead of crashing the process', async () => {
    for (let i = 0; i < 3; i++) await ok(acme.appendToStream('chat-1', [marked(i)]));
    const lookupErrors: unknown[] = [];
    let calls = 0;
    const purger = startRetentionPurger({
      store,
      // The first pass finds the registry down; the next ones see both tenants, and globex's lookup is broken.
      tenants: () => {
        if (calls++ === 0) return Promise.reject(new Error('tenant registry unreachable'));
        return ['globex', 'acme'] as TenantId[];
      },
      // A policy service answers asynchronously; its failure for one tenant skips only that tenant.
      retentionFor: (t: TenantId) =>
        t === 'globex' ? Promise.reject(new Error('policy lookup failed')) : Promise.resolve(1),
      intervalMs: 10,
      batchSize: 10,
      now: () => new Date(Date.now() + 2 * DAY),
      onLookupError: (e) => lookupErrors.push(e),
    });
    try {
      const deadline = Date.now() + 30_000;
      while ((await ok(acme.readStream('chat-1'))).length > 0 && Date.now() < deadline) await sleep(10);
    } finally {
      await purger.stop();
    }
    expect(await ok(acme.readStream('chat-1'))).toEqual([]);
    const messages = lookupErrors.map((e) => (e as Error).message);
    expect(messages[0]).toBe('tenant registry unreachable');
    expect(messages).toContain('policy lookup failed');
  });

  it('reads its settings from config, naming wrong paths', () => {
    const good = parseConfig(
      'retention:\n  interval_ms: 60000\n  batch_size: 500\n  default_days: 90\n  tenants:\n    acme: 30\n    globex: null\n',
      'x.yaml',
    );
    if (E.isLeft(good)) throw new Error(good.left.message);
    const settings = retentionSettings(good.right);
    expect(settings.retentionFor('acme' as TenantId)).toBe(30);
    expect(settings.retentionFor('globex' as TenantId)).toBeNull();
    expect(settings.retentionFor('initech' as TenantId)).toBe(90);
    expect(settings).toMatchObject({ intervalMs: 60000, batchSize: 500, tenants: ['acme', 'globex'] });
    expect(retentionSettings({}).retentionFor('acme' as TenantId)).toBeNull();
    // The data policy's retention_days comes first, tenant before default.
    const withPolicy = parseConfig(
      [
        'data_policy:',
        '  retention_days: 60',
        'tenants:',
        '  initech:',
        '    data_policy:',
        '      retention_days: 7',
        'retention:',
        '  default_days: 365',
        '  tenants:',
        '    initech: 30',
        '    globex: null',
        '',
      ].join('\n'),
      'x.yaml',
    );
    if (E.isLeft(withPolicy)) throw new Error(withPolicy.left.message);
    const fromPolicy = retentionSettings(withPolicy.right);
    expect(fromPolicy.retentionFor('initech' as TenantId)).toBe(7);
    expect(fromPolicy.retentionFor('globex' as TenantId)).toBeNull();
    expect(fromPolicy.retentionFor('acme' as TenantId)).toBe(60);
    expect([...fromPolicy.tenants].sort()).toEqual(['globex', 'initech']);
    const bad = parseConfig('retention:\n  batch_size: 20000\n  tenants:\n    acme: -1\n  every: 3\n', 'x.yaml');
    const issues = E.isLeft(bad) ? bad.left.issues.map((i) => i.path) : [];
    expect(issues).toContain('retention.every');
    const bad2 = parseConfig('retention:\n  batch_size: 20000\n  tenants:\n    acme: -1\n', 'x.yaml');
    const issues2 = E.isLeft(bad2) ? bad2.left.issues.map((i) => i.path) : [];
    expect(issues2).toEqual(expect.arrayContaining(['retention.batch_size', 'retention.tenants.acme']));
    // A misspelt tenant is an error, never silently dropped.
    const bad3 = parseConfig('retention:\n  tenants:\n    ACME: 30\n', 'x.yaml');
    expect(E.isLeft(bad3) && bad3.left.issues).toEqual([
      { path: 'retention.tenants.ACME', message: expect.stringContaining('is not a tenant id') as string },
    ]);
  });

  it('starts from the runtime with the config, and stops with it', async () => {
    const runtime = await unwrap(
      createRuntime({
        storage: { kind: 'memory' },
        retention: { interval_ms: 5, tenants: { ['acme' as TenantId]: 1 } },
      }),
    );
    const scope = runtime.forTenant('acme' as TenantId);
    await ok(scope.appendToStream('chat-1', [marked(1)]));
    const purger = runtime.startRetention({ tenants: () => ['initech' as TenantId] });
    const reports = await purger.runOnce();
    expect(reports.map((r) => [r.tenant, r.events])).toEqual([['acme', 0]]);
    await runtime.close();
  });
});
