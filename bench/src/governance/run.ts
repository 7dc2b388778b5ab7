/*
 * Audit log and encryption benchmark: the append overhead of auditing and of
 * field encryption (and encryption at rest), as ratios against plain appends
 * on SQLite, and the audit verifier's speed. Run: pnpm bench:governance
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  EventStore,
  TenantId,
  composePipelines,
  createMemoryStorage,
  type EventStoreOptions,
  type NewEventInput,
} from '@palisade/core';
import { createAuditor, dataPolicyFrom, exportAuditLog, jsonlLine, testSigner, verifyJsonl } from '@palisade/audit';
import { encryptionFromConfig } from '@palisade/encryption';
import { createSqliteKeyStore, createSqliteStorage } from '@palisade/storage-sqlite';
import { oneKiBEvent } from '../workload.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-gov-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tenant = (() => {
  const t = TenantId.decode('bench');
  if (E.isLeft(t)) throw new Error('tenant');
  return t.right;
})();
const signer = testSigner('bench').signer;
const policy = (() => {
  const p = dataPolicyFrom({});
  if (E.isLeft(p)) throw new Error('policy');
  return p.right;
})();
const KEK = randomBytes(32).toString('base64');

/** The same 1 KiB event, as a personal-data event type: two of its fields belong to one of 50 customers. */
const personalEvent = (i: number): NewEventInput => {
  const e = oneKiBEvent(i);
  return {
    ...e,
    type: 'CustomerMessage',
    data: { ...(e.data as object), customerId: `c-${i % 50}`, email: `c${i % 50}@example.com`, name: 'Ann Example' },
  };
};

type Setup = 'plain' | 'audit' | 'encryption' | 'audit + encryption' | 'audit + encryption + at rest';

const open = (name: string, setup: Setup) => {
  const path = join(dir, `${name}.db`);
  const adapter = createSqliteStorage({ path });
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  const options: { -readonly [K in keyof EventStoreOptions]: EventStoreOptions[K] } = {};
  let closeKeys = async (): Promise<void> => undefined;
  if (setup.includes('encryption')) {
    const keys = createSqliteKeyStore({ path });
    if (E.isLeft(keys)) throw new Error(keys.left.message);
    closeKeys = () => keys.right.close();
    const encryption = encryptionFromConfig(
      {
        kek: KEK,
        kek_id: 'kek-1',
        at_rest: setup.includes('at rest'),
        personal_data: [
          { event_type: 'CustomerMessage', subject: 'data.customerId', fields: ['data.email', 'data.name'] },
        ],
      },
      keys.right,
    );
    if (E.isLeft(encryption)) throw new Error(encryption.left.message);
    options.pipeline = composePipelines(encryption.right.pipeline);
    options.reader = encryption.right.reader;
    if (setup.includes('audit')) {
      options.observer = createAuditor({ signer, dataPolicy: policy, viewStored: encryption.right.viewStored });
    }
  } else if (setup.includes('audit')) {
    options.observer = createAuditor({ signer, dataPolicy: policy });
  }
  options.onObserverError = (e) => {
    throw e;
  };
  const store = new EventStore(adapter.right, options);
  return {
    scope: store.forTenant(tenant),
    close: async () => {
      await store.close();
      await closeKeys();
    },
  };
};

const appendRate = async (setup: Setup, run: number, appends: number, batch: number): Promise<number> => {
  const { scope, close } = open(`${setup.replaceAll(' ', '')}-${batch}-${run}`, setup);
  const make = setup === 'plain' || setup === 'audit' ? oneKiBEvent : personalEvent;
  const batches = Array.from({ length: appends }, (_, a) =>
    Array.from({ length: batch }, (_, i) => make(a * batch + i)),
  );
  const started = process.hrtime.bigint();
  for (let a = 0; a < appends; a++) {
    const r = await scope.appendToStream(`s-${a % 50}`, batches[a]!)();
    if (E.isLeft(r)) throw new Error(r.left.message);
  }
  const rate = (appends * batch) / (Number(process.hrtime.bigint() - started) / 1e9);
  await close();
  return rate;
};

try {
  console.log(
    `Audit log and encryption, 1 KiB events on SQLite (durability normal). ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}\n`,
  );
  const setups: Setup[] = ['plain', 'audit', 'encryption', 'audit + encryption', 'audit + encryption + at rest'];
  for (const [label, appends, batch] of [
    ['single-event appends', 2000, 1],
    ['batched appends, 100 per append', 100, 100],
  ] as const) {
    const rates = new Map<Setup, number>();
    for (const setup of setups) {
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) runs.push(await appendRate(setup, r, appends, batch));
      rates.set(setup, median(runs));
      console.log(
        `${`${label}: ${setup}`.padEnd(62)} ${fmt(median(runs)).padStart(8)} events/s  ratio ${(median(runs) / rates.get('plain')!).toFixed(2)}   (runs: ${runs.map(fmt).join(', ')})`,
      );
    }
  }

  // Verification speed: an audit log of 10,000 appends (plus its checkpoints), exported and verified in memory.
  const store = new EventStore(createMemoryStorage(), {
    observer: createAuditor({ signer, dataPolicy: policy, checkpointEvery: 1000 }),
  });
  const scope = store.forTenant(tenant);
  for (let i = 0; i < 10_000; i++) await scope.appendToStream(`s-${i % 50}`, [oneKiBEvent(i)])();
  let text = '';
  await exportAuditLog(scope, { signer }, (l) => void (text += jsonlLine(l)));
  const benchKey = { keyId: 'bench', publicKey: createPublicKey(signer.publicKeyPem) };
  const rates: number[] = [];
  let entries = 0;
  for (let r = 0; r < 5; r++) {
    const started = process.hrtime.bigint();
    const report = verifyJsonl(text, { keys: [benchKey] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!report.ok) throw new Error('the benchmark log does not verify');
    entries = report.entries;
    rates.push(report.entries / seconds);
  }
  console.log(
    `\n${`audit verification, JSONL export of ${fmt(entries)} entries (${(text.length / 1e6).toFixed(1)} MB)`.padEnd(62)} ${fmt(median(rates)).padStart(8)} entries/s   (runs: ${rates.map(fmt).join(', ')})`,
  );
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
