import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import {
  EventStore,
  asPromises,
  createMemoryStorage,
  policyBlocked,
  purgeTenant,
  systemStream,
  type AppendPipeline,
  type JsonObject,
  type TenantEventStore,
  type TenantId,
} from '@palisade/core';
import { bypassAuditStream, createAuditor, type Auditor } from './auditor.js';
import { dataPolicyFrom } from './data-policy.js';
import { AUDIT_STREAM, AuditEntryData, CHECKPOINT_TYPE } from './entry.js';
import { exportAuditLog, jsonlLine, type ExportLine } from './export.js';
import { queryAuditLog } from './query.js';
import { testSigner } from './test-support.js';
import { verifyJsonl } from './verify.js';

const acmeId = 'acme' as TenantId;
const globexId = 'globex' as TenantId;

const policy = (input = {}) => {
  const p = dataPolicyFrom(input);
  if (E.isLeft(p)) throw new Error(p.left.message);
  return p.right;
};

const setup = (
  options: { pipeline?: AppendPipeline; every?: number; dataPolicy?: object; clock?: () => Date } = {},
) => {
  const keys = testSigner();
  const auditor = createAuditor({
    signer: keys.signer,
    dataPolicy: policy(options.dataPolicy),
    checkpointEvery: options.every ?? 1000,
    ...(options.clock !== undefined ? { now: options.clock } : {}),
  });
  const errors: unknown[] = [];
  const store = new EventStore(createMemoryStorage(), {
    observer: auditor,
    onObserverError: (e) => errors.push(e),
    ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
  });
  return { store, auditor, keys, errors };
};

const entries = async (scope: TenantEventStore) =>
  (await asPromises(scope).readStream(AUDIT_STREAM)).map((e) => {
    const d = AuditEntryData.decode(e.data);
    if (E.isLeft(d)) throw new Error('not an entry');
    return { type: e.type, ...d.right };
  });

const exportText = async (scope: TenantEventStore, auditor: Auditor, signer = testSigner().signer) => {
  void auditor;
  let text = '';
  const done = await exportAuditLog(scope, { signer }, (l: ExportLine) => {
    text += jsonlLine(l);
  });
  if (E.isLeft(done)) throw new Error(done.left.message);
  return text;
};

describe('the auditor', () => {
  it('records every append with actor, stream, ids, positions and the stored content', async () => {
    const { store } = setup();
    const acme = store.forTenant(acmeId);
    const r = await asPromises(acme).appendToStream('order-1', [
      { type: 'Placed', data: { total: 10 }, metadata: { actor: 'user:7', workflowNode: 'checkout' } },
    ]);
    const [entry] = await entries(acme);
    expect(entry).toMatchObject({
      seq: 0,
      actor: 'user:7',
      action: 'event.append',
      outcome: 'success',
      details: {
        stream: 'order-1',
        events: [
          {
            id: r.events[0]!.id,
            type: 'Placed',
            version: 0,
            position: 1,
            data: { total: 10 },
            metadata: { actor: 'user:7', workflowNode: 'checkout' },
          },
        ],
      },
    });
    expect(Number.isNaN(Date.parse(entry!.at))).toBe(false);
    await store.close();
  });

  it('records an idempotent retry as replayed, and refusals with their code and no content', async () => {
    const { store } = setup();
    const acme = store.forTenant(acmeId);
    const id = '7d7b0f0e-8a4e-4c1e-9d55-0c8a3f1b2e77';
    await acme.appendToStream('s-1', [{ id, type: 'E', data: 1 }])();
    await acme.appendToStream('s-1', [{ id, type: 'E', data: 1 }])();
    await acme.appendToStream('s-1', [{ type: 'E', data: 'secret-value' }], { expected: 7 })();
    const all = await entries(acme);
    expect(all.map((e) => [e.action, e.outcome])).toEqual([
      ['event.append', 'success'],
      ['event.append', 'replayed'],
      ['event.append', 'refused'],
    ]);
    expect(all[2]!.details).toMatchObject({
      error: { code: 'PALISADE_WRONG_EXPECTED_VERSION' },
      events: [{ type: 'E' }],
    });
    expect(JSON.stringify(all[2])).not.toContain('secret-value');
    await store.close();
  });

  it('records policy decisions: redactions and warnings from the redaction report, blocks from PolicyBlocked', async () => {
    const report = (findings: JsonObject[]): JsonObject => ({ palisade_redaction: { version: 1, findings } });
    const redactor: AppendPipeline = {
      process: (context, events) =>
        context.stream === AUDIT_STREAM
          ? TE.right(events) // audit entries are redacted already
          : JSON.stringify(events).includes('BLOCK')
            ? TE.left(policyBlocked([{ detector: 'credit-card', path: 'data.card' }]))
            : TE.right(
                events.map((e) => ({
                  ...e,
                  data: '[redacted]',
                  metadata: report([
                    { detector: 'email', path: 'data', action: 'redact', mode: 'mask', count: 2 },
                    { detector: 'name', path: 'data', action: 'warn', mode: 'warn', count: 1 },
                  ]),
                })),
              ),
    };
    const { store } = setup({ pipeline: redactor });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('s-1', [{ type: 'E', data: 'mail a@b.c' }])();
    await acme.appendToStream('s-1', [{ type: 'E', data: 'BLOCK 4111 1111 1111 1111', metadata: { actor: 'bot' } }])();
    const all = await entries(acme);
    expect(all.map((e) => [e.action, e.outcome, e.actor])).toEqual([
      ['event.append', 'success', 'anonymous'],
      ['policy.redact', 'success', 'anonymous'],
      ['policy.warn', 'success', 'anonymous'],
      ['event.append', 'refused', 'bot'],
      ['policy.block', 'refused', 'bot'],
    ]);
    expect(all[1]!.details).toMatchObject({ findings: [{ detector: 'email', path: 'data', mode: 'mask', count: 2 }] });
    expect(all[4]!.details).toEqual({ stream: 's-1', findings: [{ detector: 'credit-card', path: 'data.card' }] });
    expect(JSON.stringify(all)).not.toContain('a@b.c');
    expect(JSON.stringify(all)).not.toContain('4111');
    await store.close();
  });

  it('records retention purges written to $purges, and operator actions with hashed credentials', async () => {
    const { store, auditor } = setup();
    const acme = store.forTenant(acmeId);
    await acme.appendToSystemStream(systemStream('purges'), [
      { type: 'Purged', data: { stream: 'order-1', before: 10 }, metadata: { actor: 'retention' } },
    ])();
    const recorded = await auditor.record(acme, {
      actor: 'ops:alice',
      action: 'operator.tenant-suspend',
      outcome: 'success',
      details: { reason: 'billing' },
    })();
    expect(E.isRight(recorded)).toBe(true);
    const all = await entries(acme);
    expect(all.map((e) => [e.action, e.actor])).toEqual([
      ['retention.purge', 'retention'],
      ['operator.tenant-suspend', 'ops:alice'],
    ]);
    await store.close();
  });

  it('hashes tokens in metadata and strips prompts and outputs when the policy says so', async () => {
    const { store } = setup({ dataPolicy: { retain_prompts: false, retain_outputs: false } });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('run-1', [
      {
        type: 'ModelCalled',
        data: {
          prompt: 'tell me a secret',
          messages: [{ role: 'user' }],
          completion: 'the answer',
          usage: { tokens: 42 },
          ms: 120,
        },
        metadata: { workflowNode: 'triage', apiToken: 'tok_abcdef', authorization: 'Bearer xyz' },
      },
    ])();
    const [entry] = await entries(acme);
    const event = (entry!.details['events'] as JsonObject[])[0]!;
    expect(event['data']).toEqual({
      prompt: { $stripped: 'prompt' },
      messages: { $stripped: 'prompt' },
      completion: { $stripped: 'output' },
      usage: { tokens: 42 },
      ms: 120,
    });
    const metadata = event['metadata'] as JsonObject;
    expect(metadata['workflowNode']).toBe('triage');
    expect(metadata['apiToken']).toEqual({ $sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect(JSON.stringify(entry)).not.toContain('tok_abcdef');
    expect(JSON.stringify(entry)).not.toContain('xyz');
    // The event itself keeps everything: the policy is about the audit copy.
    expect((await asPromises(acme).readStream('run-1'))[0]!.data).toMatchObject({ prompt: 'tell me a secret' });
    await store.close();
  });

  it('chains entries and writes a signed checkpoint every N entries, and the export verifies', async () => {
    const { store, auditor, keys } = setup({ every: 3 });
    const acme = store.forTenant(acmeId);
    for (let i = 0; i < 7; i++) await acme.appendToStream(`s-${i}`, [{ type: 'E', data: i }])();
    const all = await entries(acme);
    expect(all.map((e) => e.type === CHECKPOINT_TYPE)).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
      false,
    ]);
    const text = await exportText(acme, auditor, keys.signer);
    const report = verifyJsonl(text, { keys: [keys.trusted] });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      tenant: 'acme',
      entries: 9,
      checkpoints: 2,
      uncheckpointed: 1,
      sealed: true,
    });
    await store.close();
  });

  it('writes a checkpoint at the first entry after the interval', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const { store } = setup({ every: 1000, clock: () => new Date(t) });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])();
    t += 30_000;
    await acme.appendToStream('s-1', [{ type: 'E', data: 2 }])();
    t += 61_000;
    await acme.appendToStream('s-1', [{ type: 'E', data: 3 }])();
    // The first entry starts the clock; the third comes 91 s later and is followed by a checkpoint.
    expect((await entries(acme)).map((e) => e.action)).toEqual([
      'event.append',
      'event.append',
      'event.append',
      'audit.checkpoint',
    ]);
    await store.close();
  });

  it('sweep checkpoints a quiet tenant whose last entries are unsigned, once the interval has passed', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const { store, auditor } = setup({ every: 1000, clock: () => new Date(t) });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])();
    expect(await auditor.sweep((tenant) => store.forTenant(tenant))).toBe(0); // not yet due
    t += 61_000;
    expect(await auditor.sweep((tenant) => store.forTenant(tenant))).toBe(1);
    expect(await auditor.sweep((tenant) => store.forTenant(tenant))).toBe(0); // nothing new since
    expect((await entries(acme)).map((e) => e.action)).toEqual(['event.append', 'audit.checkpoint']);
    await store.close();
  });

  it('verifies a log whose oldest entries retention purged, only while a purge entry in it accounts for them', async () => {
    const { store, auditor, keys } = setup({ every: 3 });
    const acme = store.forTenant(acmeId);
    for (let i = 0; i < 5; i++) await acme.appendToStream(`s-${i}`, [{ type: 'E', data: i }])();
    const before = (await entries(acme)).length;
    const purged = await purgeTenant(acme, { days: 1, batchSize: 1000, now: new Date(Date.now() + 3 * 86_400_000) })();
    expect(E.isRight(purged)).toBe(true);
    for (let i = 0; i < 2; i++) await acme.appendToStream(`t-${i}`, [{ type: 'E', data: i }])();
    const remaining = await entries(acme);
    expect(remaining[0]).toMatchObject({ seq: before, action: 'retention.purge' });
    const text = await exportText(acme, auditor, keys.signer);
    expect(verifyJsonl(text, { keys: [keys.trusted] }).problems).toEqual([]);
    // Without the purge entry, nothing accounts for the missing start.
    const lines = text.split('\n');
    const withoutPurge = [lines[0], ...lines.slice(2)].join('\n');
    const report = verifyJsonl(withoutPurge, { keys: [keys.trusted] });
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'sequence', seq: before + 1 });
    await store.close();
  });

  it('goes on writing, and verifies, after a purge took every entry and no auditor holds the head', async () => {
    const storage = createMemoryStorage();
    const keys = testSigner();
    const open = (auditor: Auditor) =>
      new EventStore(storage, { observer: auditor, onObserverError: (e) => errors.push(e) });
    const errors: unknown[] = [];
    const first = open(createAuditor({ signer: keys.signer, dataPolicy: policy(), checkpointEvery: 1000 }));
    const acme = first.forTenant(acmeId);
    for (let i = 0; i < 3; i++) await acme.appendToStream(`s-${i}`, [{ type: 'E', data: i }])();
    const before = (await entries(acme)).length;
    // A new process (the CLI, a restart): its auditor has no head cached, and every entry is older than the cutoff.
    const auditor = createAuditor({ signer: keys.signer, dataPolicy: policy(), checkpointEvery: 1000 });
    const second = open(auditor);
    const acme2 = second.forTenant(acmeId);
    const purged = await purgeTenant(acme2, { days: 1, batchSize: 1000, now: new Date(Date.now() + 3 * 86_400_000) })();
    expect(E.isRight(purged)).toBe(true);
    await acme2.appendToStream('t-0', [{ type: 'E', data: 0 }])();
    expect(errors).toEqual([]);
    const remaining = await entries(acme2);
    expect(remaining.map((e) => [e.seq, e.action])).toEqual([
      [before, 'retention.purge'],
      [before + 1, 'event.append'],
    ]);
    const text = await exportText(acme2, auditor, keys.signer);
    expect(verifyJsonl(text, { keys: [keys.trusted] }).problems).toEqual([]);
    let counted = 0;
    const done = await exportAuditLog(acme2, {}, (l) => void (l.kind === 'entry' && counted++));
    expect(E.isRight(done) && done.right.entries).toBe(counted);
    expect(counted).toBe(2);
    await first.close();
    await second.close();
  });

  it('keeps one linear chain under concurrent appends and two auditors sharing one storage', async () => {
    const storage = createMemoryStorage();
    const keys = testSigner();
    const errors: unknown[] = [];
    const make = () =>
      new EventStore(storage, {
        observer: createAuditor({ signer: keys.signer, dataPolicy: policy(), checkpointEvery: 5 }),
        onObserverError: (e) => errors.push(e),
      });
    const one = make().forTenant(acmeId);
    const two = make().forTenant(acmeId);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? one : two).appendToStream(`s-${i % 4}`, [{ type: 'E', data: i }])(),
      ),
    );
    const text = await exportText(one, undefined as unknown as Auditor, keys.signer);
    const report = verifyJsonl(text, { keys: [keys.trusted] });
    expect(report.problems).toEqual([]);
    expect(errors).toEqual([]);
    expect(report.entries - report.checkpoints).toBe(30);
  });

  it('keeps tenants apart: each has its own chain from its own genesis', async () => {
    const { store, keys, auditor } = setup();
    await store.forTenant(acmeId).appendToStream('s-1', [{ type: 'E', data: 1 }])();
    await store.forTenant(globexId).appendToStream('s-1', [{ type: 'E', data: 2 }])();
    const acmeText = await exportText(store.forTenant(acmeId), auditor, keys.signer);
    expect(verifyJsonl(acmeText, { keys: [keys.trusted] }).ok).toBe(true);
    // Presented as globex's, acme's log fails from the first entry.
    expect(verifyJsonl(acmeText, { keys: [keys.trusted], tenant: 'globex' }).ok).toBe(false);
    expect((await entries(store.forTenant(globexId))).map((e) => e.details['stream'])).toEqual(['s-1']);
    await store.close();
  });

  it('queries by action, actor and time range', async () => {
    let t = Date.parse('2026-03-01T00:00:00Z');
    const { store, auditor } = setup({ clock: () => new Date((t += 1000)) });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('s-1', [{ type: 'E', data: 1, metadata: { actor: 'a' } }])();
    await acme.appendToStream('s-1', [{ type: 'E', data: 2, metadata: { actor: 'b' } }])();
    await auditor.record(acme, { actor: 'ops', action: 'operator.note', outcome: 'success' })();
    const q = async (query: object) => {
      const r = await queryAuditLog(acme, query);
      if (E.isLeft(r)) throw new Error(r.left.message);
      return r.right.entries.map((e) => [e.entry.action, e.entry.actor]);
    };
    expect(await q({ actor: 'b' })).toEqual([['event.append', 'b']]);
    expect(await q({ action: 'operator.*' })).toEqual([['operator.note', 'ops']]);
    expect(await q({ action: 'event.append', from: '2026-03-01T00:00:01.500Z' })).toEqual([['event.append', 'b']]);
    expect(await q({ to: '2026-03-01T00:00:01.500Z' })).toEqual([['event.append', 'a']]);
    const bad = await queryAuditLog(acme, { from: 'yesterday' });
    expect(E.isLeft(bad) && bad.left.message).toContain('query.from');
    await store.close();
  });

  it('splits a large append over several entries and keeps only the hash of an event too large to copy', async () => {
    const keys = testSigner();
    const errors: unknown[] = [];
    const store = new EventStore(createMemoryStorage(), {
      observer: createAuditor({ signer: keys.signer, dataPolicy: policy(), maxEntryBytes: 4096 }),
      onObserverError: (e) => errors.push(e),
    });
    const acme = store.forTenant(acmeId);
    const text = 'x'.repeat(1000);
    await acme.appendToStream(
      'big-1',
      Array.from({ length: 10 }, (_, i) => ({ type: 'E', data: { i, text } })),
    )();
    await acme.appendToStream('big-2', [{ type: 'E', data: 'y'.repeat(10_000) }])();
    expect(errors).toEqual([]);
    const all = await entries(acme);
    const appends = all.filter((e) => e.action === 'event.append');
    expect(appends.length).toBeGreaterThan(2);
    const first = appends.filter((e) => e.details['stream'] === 'big-1');
    expect(first.map((e) => e.details['part'])).toEqual(first.map((_, i) => i + 1));
    expect(
      first.flatMap((e) => (e.details['events'] as JsonObject[]).map((c) => (c['data'] as JsonObject)['i'])),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const big = appends.find((e) => e.details['stream'] === 'big-2')!;
    expect((big.details['events'] as JsonObject[])[0]!['data']).toMatchObject({
      $omitted: 'too large',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    await store.close();
  });

  it('bypassAuditStream keeps a rewriting or refusing redactor away from audit entries', async () => {
    const keys = testSigner();
    const hostile: AppendPipeline = {
      process: (_c, events) =>
        JSON.stringify(events).includes('"prev"')
          ? TE.left(policyBlocked([{ detector: 'api_secret', path: 'data.prev' }]))
          : TE.right(events.map((e) => ({ ...e, data: '[redacted]' }))),
    };
    const errors: unknown[] = [];
    const store = new EventStore(createMemoryStorage(), {
      pipeline: bypassAuditStream(hostile),
      observer: createAuditor({ signer: keys.signer, dataPolicy: policy(), checkpointEvery: 2 }),
      onObserverError: (e) => errors.push(e),
    });
    const acme = store.forTenant(acmeId);
    for (let i = 0; i < 3; i++) await acme.appendToStream('s-1', [{ type: 'E', data: 'a@b.c' }])();
    expect(errors).toEqual([]);
    expect((await asPromises(acme).readStream('s-1')).map((e) => e.data)).toEqual([
      '[redacted]',
      '[redacted]',
      '[redacted]',
    ]);
    const report = verifyJsonl(await exportText(acme, undefined as unknown as Auditor, keys.signer), {
      keys: [keys.trusted],
    });
    expect(report.problems).toEqual([]);
    await store.close();
  });

  it('reports a failed audit write to onObserverError without failing the append', async () => {
    const keys = testSigner();
    const blockAudit: AppendPipeline = {
      process: (context, events) =>
        context.stream === AUDIT_STREAM ? TE.left(policyBlocked([{ detector: 'x', path: 'data' }])) : TE.right(events),
    };
    const errors: unknown[] = [];
    const store = new EventStore(createMemoryStorage(), {
      pipeline: blockAudit,
      observer: createAuditor({ signer: keys.signer, dataPolicy: policy() }),
      onObserverError: (e) => errors.push(e),
    });
    const r = await store.forTenant(acmeId).appendToStream('s-1', [{ type: 'E', data: 1 }])();
    expect(E.isRight(r)).toBe(true);
    expect(errors).toMatchObject([{ name: 'AuditWriteFailed', code: 'PALISADE_POLICY_BLOCKED' }]);
    await store.close();
  });
});
