import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStore, PURGES_STREAM, asPromises, createMemoryStorage, purgeTenant, type TenantId } from '@palisade/core';
import { createRedactionPipeline } from '@palisade/redaction';
import { bypassAuditStream, createAuditor } from './auditor.js';
import { dataPolicyFrom } from './data-policy.js';
import { AUDIT_STREAM, AuditEntryData } from './entry.js';
import { exportAuditLog, jsonlLine } from './export.js';
import type { AuditSigner } from './signing.js';
import { testSigner } from './test-support.js';
import { verifyJsonl } from './verify.js';

// The real redaction pipeline (built-in detectors, in-thread) in front of the auditor.
const config = {
  data_policy: { pii_detectors: ['email', 'aws_access_key'], actions: { aws_access_key: 'block' } },
};

const stores: EventStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** Tenant `acme` of a store with the real redaction pipeline (bypassing Palisade's own records) and an auditor. */
const auditedTenant = async (signer: AuditSigner, checkpointEvery = 1000) => {
  const redaction = await createRedactionPipeline(config, { mode: 'in_thread' })();
  if (E.isLeft(redaction)) throw new Error(redaction.left.message);
  const policy = dataPolicyFrom({});
  if (E.isLeft(policy)) throw new Error('policy');
  const store = new EventStore(createMemoryStorage(), {
    pipeline: bypassAuditStream(redaction.right),
    observer: createAuditor({ signer, dataPolicy: policy.right, checkpointEvery }),
    onObserverError: (e) => {
      throw e;
    },
  });
  stores.push(store);
  return store.forTenant('acme' as TenantId);
};

describe('the audit log behind the redaction pipeline', () => {
  it('records redactions and blocks from the real reports, holds no raw personal data, and verifies', async () => {
    const keys = testSigner();
    const acme = await auditedTenant(keys.signer, 3);
    const ok = await acme.appendToStream('ticket-1', [
      {
        type: 'MessageReceived',
        data: { text: 'please write to ann.example@example.com' },
        metadata: { actor: 'agent:1' },
      },
    ])();
    expect(E.isRight(ok)).toBe(true);
    const blocked = await acme.appendToStream('ticket-1', [
      { type: 'MessageReceived', data: { text: 'my key is AKIAIOSFODNN7EXAMPLE' }, metadata: { actor: 'agent:1' } },
    ])();
    expect(E.isLeft(blocked) && blocked.left._tag).toBe('PolicyBlocked');

    const audit = await asPromises(acme).readStream(AUDIT_STREAM);
    const entries = audit.map((e) => AuditEntryData.decode(e.data)).flatMap((d) => (E.isRight(d) ? [d.right] : []));
    expect(entries.map((e) => e.action)).toEqual([
      'event.append',
      'policy.redact',
      'event.append',
      'policy.block',
      'audit.checkpoint', // after the append's entries, never between them
    ]);
    expect(entries[1]!.details).toMatchObject({
      findings: [{ detector: 'email', path: expect.any(String) as unknown }],
    });
    expect(entries[3]!.details).toMatchObject({ findings: [{ detector: 'aws_access_key' }] });
    const text = JSON.stringify(audit);
    expect(text).not.toContain('ann.example@example.com');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');

    let exported = '';
    await exportAuditLog(acme, { signer: keys.signer }, (l) => void (exported += jsonlLine(l)));
    expect(verifyJsonl(exported, { keys: [keys.trusted] }).problems).toEqual([]);
  });

  it('keeps refused input out of the log: no actor that is not a principal id, no error message, no key text', async () => {
    const acme = await auditedTenant(testSigner().signer);
    const blocked = await acme.appendToStream('ticket-2', [
      {
        type: 'MessageReceived',
        data: { 'john.smith@example.com AKIAIOSFODNN7EXAMPLE': 'AKIAIOSFODNN7EXAMPLE' },
        metadata: { actor: 'john.smith@example.com' },
      },
    ])();
    expect(E.isLeft(blocked) && blocked.left._tag).toBe('PolicyBlocked');
    const invalid = await acme.appendToStream('ticket-2', [
      { type: 'MessageReceived', data: { 'jane.doe@example.com': undefined } as never, metadata: { actor: 'user:42' } },
    ])();
    expect(E.isLeft(invalid) && invalid.left._tag).toBe('InvalidInput');

    const badStream = await acme.appendToStream('customer-jane.roe@example.com', [
      { type: 'MessageReceived', data: 'hello', metadata: { actor: 'user:42' } },
    ])();
    expect(E.isLeft(badStream) && badStream.left._tag).toBe('PolicyBlocked');

    const audit = await asPromises(acme).readStream(AUDIT_STREAM);
    const entries = audit.map((e) => AuditEntryData.decode(e.data)).flatMap((d) => (E.isRight(d) ? [d.right] : []));
    expect(entries.map((e) => [e.action, e.actor, e.details['stream']])).toEqual([
      ['event.append', '[unvetted]', 'ticket-2'],
      ['policy.block', '[unvetted]', 'ticket-2'],
      ['event.append', 'user:42', 'ticket-2'],
      ['event.append', 'user:42', '[unvetted]'],
      ['policy.block', 'user:42', '[unvetted]'],
    ]);
    expect(entries[2]!.details).toMatchObject({ error: { code: 'PALISADE_INVALID_INPUT' } });
    const text = JSON.stringify(audit);
    expect(text).not.toMatch(/john|smith|jane|roe@|AKIAIOSFODNN7EXAMPLE/);
  });

  it('lets retention record a purge of a stream whose id the policy would block', async () => {
    const blocking = await createRedactionPipeline(
      { data_policy: { pii_detectors: ['email'], actions: { email: 'block' } } },
      { mode: 'in_thread' },
    )();
    if (E.isLeft(blocking)) throw new Error(blocking.left.message);
    // The stream was written before the policy blocked emails (the policy now refuses such a stream id).
    const storage = createMemoryStorage();
    const before = new EventStore(storage);
    expect(
      E.isRight(
        await before
          .forTenant('acme' as TenantId)
          .appendToStream('customer-jane@example.com', [{ type: 'Note', data: 'hi' }])(),
      ),
    ).toBe(true);
    const store = new EventStore(storage, { pipeline: bypassAuditStream(blocking.right) });
    stores.push(store);
    const acme = store.forTenant('acme' as TenantId);
    const purged = await purgeTenant(acme, { days: 1, batchSize: 100, now: new Date(Date.now() + 3 * 86_400_000) })();
    expect(E.isRight(purged) && purged.right.events).toBe(1);
    const records = await asPromises(acme).readStream(PURGES_STREAM);
    // The record names the stream as stored: not refused, and not masked into an id that never existed.
    expect(records.map((r) => (r.data as { streams: { stream: string }[] }).streams[0]!.stream)).toEqual([
      'customer-jane@example.com',
    ]);
  });
});
