import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EventStore,
  asPromises,
  createMemoryKeyStore,
  createMemoryStorage,
  type JsonObject,
  type KeyRef,
  type KeyStore,
  type StorageAdapter,
  type TenantId,
} from '@palisade/core';
import {
  AUDIT_STREAM,
  createAuditor,
  dataPolicyFrom,
  exportAuditLog,
  jsonlLine,
  testSigner,
  verifyJsonl,
} from '@palisade/audit';
import { createDataKeys } from './data-keys.js';
import { asEnvelope, open, seal } from './envelope.js';
import { encryptionFromConfig } from './from-config.js';
import { Kek } from './kek.js';

const acmeId = 'acme' as TenantId;
const globexId = 'globex' as TenantId;
const KEK = randomBytes(32).toString('base64');

const section = (extra: object = {}) => ({
  kek: KEK,
  kek_id: 'kek-1',
  personal_data: [
    {
      event_type: 'CustomerRegistered',
      subject: 'data.customerId',
      fields: ['data.email', 'data.address', 'metadata.ip'],
    },
    { event_type: 'OrderPlaced', subject: 'data.customerId', fields: ['data.items[*].giftMessage'] },
  ],
  ...extra,
});

const setup = (options: { atRest?: boolean; storage?: StorageAdapter; keys?: KeyStore; kek?: string } = {}) => {
  const storage = options.storage ?? createMemoryStorage();
  const keyStore = options.keys ?? createMemoryKeyStore();
  const encryption = encryptionFromConfig(
    section({ at_rest: options.atRest ?? false, ...(options.kek !== undefined ? { kek: options.kek } : {}) }),
    keyStore,
    { cacheTtlMs: 0 },
  );
  if (E.isLeft(encryption)) throw new Error(encryption.left.message);
  const store = new EventStore(storage, { pipeline: encryption.right.pipeline, reader: encryption.right.reader });
  // The same storage without the reader: what is actually stored.
  const raw = new EventStore(storage);
  return { store, raw, encryption: encryption.right, storage, keyStore };
};

const registered = (customerId: string, email: string) => ({
  type: 'CustomerRegistered',
  data: { customerId, email, address: { city: 'Lyon' }, plan: 'pro' },
  metadata: { ip: '10.0.0.7', workflowNode: 'signup' },
});

describe('field encryption', () => {
  it('stores personal fields encrypted and reads them back in plain', async () => {
    const { store, raw } = setup();
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('customer-1', [registered('c-1', 'ann@example.com')]);
    const [stored] = await asPromises(raw.forTenant(acmeId)).readStream('customer-1');
    expect(JSON.stringify(stored)).not.toContain('ann@example.com');
    expect(JSON.stringify(stored)).not.toContain('Lyon');
    expect(JSON.stringify(stored)).not.toContain('10.0.0.7');
    const data = stored!.data as JsonObject;
    expect(asEnvelope(data['email']!)).not.toBeNull();
    expect(data['plan']).toBe('pro');
    const [read] = await acme.readStream('customer-1');
    expect(read!.data).toEqual({ customerId: 'c-1', email: 'ann@example.com', address: { city: 'Lyon' }, plan: 'pro' });
    expect(read!.metadata).toEqual({ ip: '10.0.0.7', workflowNode: 'signup' });
  });

  it('encrypts fields matched by wildcards', async () => {
    const { store, raw } = setup();
    const acme = asPromises(store.forTenant(acmeId));
    const data = { customerId: 'c-1', items: [{ sku: 'a', giftMessage: 'love, Ann' }, { sku: 'b' }] };
    await acme.appendToStream('order-1', [{ type: 'OrderPlaced', data }]);
    expect(JSON.stringify(await asPromises(raw.forTenant(acmeId)).readStream('order-1'))).not.toContain('love');
    expect((await acme.readStream('order-1'))[0]!.data).toEqual(data);
  });

  it('refuses an event of a personal-data type without its subject, naming the path', async () => {
    const { store } = setup();
    const r = await store
      .forTenant(acmeId)
      .appendToStream('c-1', [{ type: 'CustomerRegistered', data: { email: 'x' } }])();
    expect(E.isLeft(r) && r.left).toMatchObject({
      _tag: 'InvalidInput',
      issues: [{ path: 'events.0.data.customerId' }],
    });
    expect(E.isLeft(r) && r.left.message).not.toContain('"x"');
  });

  it('refuses values that pose as envelopes or erased markers', async () => {
    const { store } = setup();
    const r = await store.forTenant(acmeId).appendToStream('s-1', [{ type: 'Note', data: { a: { $erased: true } } }])();
    expect(E.isLeft(r) && r.left).toMatchObject({
      _tag: 'InvalidInput',
      issues: [{ path: 'events.0.data.a.$erased' }],
    });
  });

  it('forget: the subject reads as erased everywhere, others and other fields untouched, and a second forget finds nothing', async () => {
    const { store, encryption } = setup();
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('customer-1', [registered('c-1', 'ann@example.com')]);
    await acme.appendToStream('customer-2', [registered('c-2', 'bob@example.com')]);
    const forgotten = await encryption.forget(acmeId, 'c-1');
    expect(E.isRight(forgotten) && forgotten.right.existed).toBe(true);
    const [ann] = await acme.readStream('customer-1');
    expect(ann!.data).toEqual({ customerId: 'c-1', email: { $erased: true }, address: { $erased: true }, plan: 'pro' });
    expect(ann!.metadata).toEqual({ ip: { $erased: true }, workflowNode: 'signup' });
    // Each erased field is an object of its own: a reader that changes one changes nothing another reader sees.
    (ann!.data as { email: Record<string, unknown> }).email['note'] = 'changed by one reader';
    const [again1] = await acme.readStream('customer-1');
    expect(again1!.data).toMatchObject({ email: { $erased: true }, address: { $erased: true } });
    expect(JSON.stringify(again1)).not.toContain('changed by one reader');
    expect((await acme.readStream('customer-2'))[0]!.data).toMatchObject({ email: 'bob@example.com' });
    const again = await encryption.forget(acmeId, 'c-1');
    expect(E.isRight(again) && again.right.existed).toBe(false);
  });

  it('refuses to create or destroy keys with another KEK under the same id, instead of making a second set', async () => {
    const storage = createMemoryStorage();
    const keys = createMemoryKeyStore();
    const right = setup({ storage, keys });
    await asPromises(right.store.forTenant(acmeId)).appendToStream('customer-1', [
      registered('c-1', 'ann@example.com'),
    ]);
    const wrong = setup({ storage, keys, kek: randomBytes(32).toString('base64') });
    const appended = await wrong.store
      .forTenant(acmeId)
      .appendToStream('customer-1', [registered('c-1', 'x@y.example')])();
    expect(E.isLeft(appended) && appended.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
    expect(E.isLeft(appended) && appended.left.message).toContain('kek-1 is not the one');
    const forgotten = await wrong.encryption.forget(acmeId, 'c-1');
    expect(E.isLeft(forgotten)).toBe(true);
    // The right KEK still reads, and forgets, what it wrote.
    expect((await asPromises(right.store.forTenant(acmeId)).readStream('customer-1')).length).toBe(1);
    const ok = await right.encryption.forget(acmeId, 'c-1');
    expect(E.isRight(ok) && ok.right.existed).toBe(true);
    // A forget in a tenant without keys makes no check key: a wrong KEK there cannot lock the right one out later.
    const nothing = await wrong.encryption.forget(globexId, 'c-9');
    expect(E.isRight(nothing) && nothing.right.existed).toBe(false);
    expect(await keys.forTenant(globexId).get('k:check' as KeyRef)()).toEqual(E.right(null));
    await asPromises(right.store.forTenant(globexId)).appendToStream('customer-9', [
      registered('c-9', 'g@example.com'),
    ]);
  });

  it('opens sealed copies kept outside the log (snapshots, projections) and erases them with the subject', async () => {
    const { store, raw, encryption } = setup();
    await store.forTenant(acmeId).appendToStream('customer-1', [registered('c-1', 'ann@example.com')])();
    const [stored] = await asPromises(raw.forTenant(acmeId)).readStream('customer-1');
    const snapshot = { lastEmail: (stored!.data as JsonObject)['email']! };
    expect(await encryption.open(acmeId, snapshot)).toEqual(E.right({ lastEmail: 'ann@example.com' }));
    await encryption.forget(acmeId, 'c-1');
    expect(await encryption.open(acmeId, snapshot)).toEqual(E.right({ lastEmail: { $erased: true } }));
  });

  it('binds each ciphertext to its tenant, stream, event and field', () => {
    const key = randomBytes(32);
    const at = { tenant: 'acme', stream: 'customer-1', eventId: 'e-1', path: 'data.email' };
    const sealed = seal(key, 's:ref', at, 'ann@example.com');
    const envelope = asEnvelope(sealed)!;
    expect(open(key, 'acme', envelope)).toBe('ann@example.com');
    expect(open(key, 'globex', envelope)).toBeNull();
    for (const moved of [{ s: 'customer-2' }, { e: 'e-2' }, { p: 'data.name' }, { k: 's:other' }]) {
      expect(open(key, 'acme', { ...envelope, ...moved })).toBeNull();
    }
  });

  it('refuses a ciphertext moved to another event of the same tenant, rather than read it', async () => {
    const { store, raw } = setup();
    await store.forTenant(acmeId).appendToStream('customer-1', [registered('c-1', 'ann@example.com')])();
    const [stored] = await asPromises(raw.forTenant(acmeId)).readStream('customer-1');
    await raw.forTenant(acmeId).appendToStream('copy-1', [{ type: 'Note', data: stored!.data }])();
    const read = await store.forTenant(acmeId).readStream('copy-1')();
    expect(E.isLeft(read) && read.left.message).toContain('fails its integrity check');
    expect(E.isLeft(read) && read.left.message).not.toContain('ann');
  });

  it('fails reads, not silently, when the key-encryption key is wrong', async () => {
    const storage = createMemoryStorage();
    const keys = createMemoryKeyStore();
    const first = setup({ storage, keys });
    await first.store.forTenant(acmeId).appendToStream('customer-1', [registered('c-1', 'a@b.c')])();
    const second = setup({ storage, keys, kek: randomBytes(32).toString('base64') });
    const read = await second.store.forTenant(acmeId).readStream('customer-1')();
    expect(E.isLeft(read) && read.left.message).toContain('does not unwrap with key-encryption key kek-1');
  });

  it('refuses a key-encryption key that is not 32 bytes, without echoing it', () => {
    const bad = Kek.parse('k', 'c2hvcnQ=');
    expect(E.isLeft(bad) && bad.left.message).toContain('encryption.kek');
    expect(E.isLeft(bad) && bad.left.message).not.toContain('c2hvcnQ');
    expect(String(E.isRight(Kek.parse('k', KEK)) ? E.getOrElseW(() => null)(Kek.parse('k', KEK)) : '')).toBe('[kek k]');
  });

  it('creates each subject key once when writers race', async () => {
    const keyStore = createMemoryKeyStore();
    const kek = Kek.parse('k', KEK);
    if (E.isLeft(kek)) throw new Error('kek');
    const keys = [1, 2, 3].map(() => createDataKeys({ kek: kek.right, store: keyStore, cacheTtlMs: 0 }));
    const got = await Promise.all(keys.map((k) => k.getOrCreate(acmeId, 's:x')));
    const bytes = got.map((g) => (E.isRight(g) ? g.right.toString('hex') : 'error'));
    expect(new Set(bytes).size).toBe(1);
  });
});

describe('encryption at rest', () => {
  it('stores every payload sealed under the tenant key and reads it back', async () => {
    const { store, raw } = setup({ atRest: true });
    const acme = asPromises(store.forTenant(acmeId));
    await acme.appendToStream('s-1', [{ type: 'Note', data: { text: 'plain words' } }]);
    const [stored] = await asPromises(raw.forTenant(acmeId)).readStream('s-1');
    expect(asEnvelope(stored!.data)).toMatchObject({ k: 't:payload', p: 'data' });
    expect(JSON.stringify(stored)).not.toContain('plain words');
    expect((await acme.readStream('s-1'))[0]!.data).toEqual({ text: 'plain words' });
  });
});

describe('crypto-shredding with the audit log', () => {
  it('audit entries hold sealed fields only, and the chain still verifies after erasure', async () => {
    const keyStore = createMemoryKeyStore();
    const encryption = encryptionFromConfig(section({ at_rest: true }), keyStore, { cacheTtlMs: 0 });
    const policy = dataPolicyFrom({});
    if (E.isLeft(encryption) || E.isLeft(policy)) throw new Error('setup');
    const keys = testSigner();
    const auditor = createAuditor({
      signer: keys.signer,
      dataPolicy: policy.right,
      checkpointEvery: 2,
      viewStored: encryption.right.viewStored,
    });
    const store = new EventStore(createMemoryStorage(), {
      pipeline: encryption.right.pipeline,
      reader: encryption.right.reader,
      observer: auditor,
    });
    const acme = store.forTenant(acmeId);
    await acme.appendToStream('customer-1', [registered('c-1', 'ann@example.com')])();
    await acme.appendToStream('customer-2', [registered('c-2', 'bob@example.com')])();
    const audit = await asPromises(acme).readStream(AUDIT_STREAM);
    expect(JSON.stringify(audit)).not.toContain('ann@example.com');
    expect(JSON.stringify(audit)).toContain('"plan":"pro"'); // the rest of the event is there, readable

    const exportText = async () => {
      let text = '';
      const done = await exportAuditLog(acme, { signer: keys.signer }, (l) => void (text += jsonlLine(l)));
      expect(E.isRight(done)).toBe(true);
      return text;
    };
    const before = await exportText();
    await encryption.right.forget(acmeId, 'c-1');
    await auditor.record(acme, {
      actor: 'ops',
      action: 'subject.forget',
      outcome: 'success',
      details: { subject: encryption.right.subjectRef(acmeId, 'c-1') },
    })();
    const after = await exportText();
    expect(verifyJsonl(before, { keys: [keys.trusted] }).ok).toBe(true);
    const report = verifyJsonl(after, { keys: [keys.trusted] });
    expect(report.problems).toEqual([]);
    expect(after).not.toContain('ann@example.com');
    await store.close();
  });
});

describe('tenant isolation of erasure (property)', () => {
  it('forgetting subjects in one tenant never changes what another tenant reads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tenant: fc.constantFrom(acmeId, globexId), subject: fc.constantFrom('s1', 's2', 's3') }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.record({ tenant: fc.constantFrom(acmeId, globexId), subject: fc.constantFrom('s1', 's2', 's3') }), {
          maxLength: 4,
        }),
        async (writes, forgets) => {
          const { store, encryption } = setup();
          for (const [i, w] of writes.entries()) {
            await store.forTenant(w.tenant).appendToStream(`c-${i}`, [registered(w.subject, `${w.subject}-${i}@x`)])();
          }
          for (const f of forgets) await encryption.forget(f.tenant, f.subject);
          for (const [i, w] of writes.entries()) {
            const read = await store.forTenant(w.tenant).readStream(`c-${i}`)();
            if (E.isLeft(read)) throw new Error(read.left.message);
            const email = (read.right[0]!.data as JsonObject)['email'];
            const erased = forgets.some((f) => f.tenant === w.tenant && f.subject === w.subject);
            expect(email).toEqual(erased ? { $erased: true } : `${w.subject}-${i}@x`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
