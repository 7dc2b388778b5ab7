import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '@palisade/core';
import { eventStoreConformance, tenantId } from '@palisade/storage-testkit';
import { createMongoStorage } from './mongo-storage.js';

/*
 * Runs the storage contract against a real MongoDB replica set named by
 * PALISADE_TEST_MONGO_URL (see README.md for the docker line). No server runs
 * in CI: without the variable the suite is skipped, and says so.
 */
const url = process.env.PALISADE_TEST_MONGO_URL;
const pluginModule = fileURLToPath(new URL('../dist/index.js', import.meta.url));

if (url === undefined || url === '') {
  console.info(
    '[mongo] SKIPPED: the MongoDB conformance suite did not run because PALISADE_TEST_MONGO_URL is not set ' +
      '(e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0); see packages/storage-mongo/README.md',
  );
}

describe.skipIf(url === undefined || url === '')('mongo against a real server (PALISADE_TEST_MONGO_URL)', () => {
  const serverUrl = url ?? '';
  let admin: MongoClient;
  beforeAll(async () => {
    admin = await new MongoClient(serverUrl).connect();
  });
  afterAll(async () => {
    await admin.close();
  });

  eventStoreConformance({
    name: 'mongo',
    open: async () => {
      // A database per test: cleanup drops it.
      const database = `palisade_test_${randomBytes(6).toString('hex')}`;
      const adapter = await createMongoStorage({ url: serverUrl, database })();
      if (E.isLeft(adapter)) throw new Error(adapter.left.message);
      const db = admin.db(database);
      return {
        adapter: adapter.right,
        // Every stored document as extended JSON: what reached the server.
        storedText: async () => {
          const parts: string[] = [];
          for (const c of await db.listCollections().toArray()) {
            parts.push(JSON.stringify(await db.collection(c.name).find().toArray()));
          }
          return parts.join('\n');
        },
        shared: { pluginModule, options: { url: serverUrl, database } },
        cleanup: async () => {
          await db.dropDatabase();
        },
      };
    },
  });

  it('refuses a stored document that does not decode, rather than hand it out', async () => {
    const database = `palisade_test_${randomBytes(6).toString('hex')}`;
    const adapter = await createMongoStorage({ url: serverUrl, database })();
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    const store = new EventStore(adapter.right);
    try {
      const acme = store.forTenant(tenantId('acme'));
      expect(E.isRight(await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])())).toBe(true);
      await admin
        .db(database)
        .collection('palisade_events')
        .updateOne({ tenant: 'acme' }, { $set: { type: 'not a type' } });
      const read = await acme.readLog()();
      expect(E.isLeft(read) && read.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
    } finally {
      await store.close();
      await admin.db(database).dropDatabase();
    }
  });

  it('wakes a subscriber of one adapter when another adapter appends (change stream)', async () => {
    const database = `palisade_test_${randomBytes(6).toString('hex')}`;
    const one = await createMongoStorage({ url: serverUrl, database })();
    const two = await createMongoStorage({ url: serverUrl, database })();
    if (E.isLeft(one) || E.isLeft(two)) throw new Error('cannot open');
    try {
      const hello = (await admin.db('admin').command({ hello: 1 })) as { setName?: string; msg?: string };
      if (hello.setName === undefined && hello.msg !== 'isdbgrid') {
        console.info('[mongo] standalone server: no change streams, wake-up test not applicable');
        return;
      }
      let woken = 0;
      one.right.onAppend(tenantId('acme'), () => void woken++);
      // The change stream opens asynchronously and sees only writes after it has: append until one wakes the
      // subscriber (a loaded machine may take seconds to open it), rather than guess how long opening takes.
      const acme = new EventStore(two.right).forTenant(tenantId('acme'));
      const deadline = Date.now() + 30_000;
      for (let i = 0; woken === 0 && Date.now() < deadline; i++) {
        await acme.appendToStream(`s-${i}`, [{ type: 'E', data: i }])();
        for (let j = 0; j < 25 && woken === 0; j++) await new Promise((r) => setTimeout(r, 20));
      }
      expect(woken).toBeGreaterThan(0);
    } finally {
      await one.right.close();
      await two.right.close();
      await admin.db(database).dropDatabase();
    }
  });
});

describe('mongo without a server', () => {
  it('fails to open with a retryable StorageUnavailable that does not quote the url', async () => {
    // Port 9 on loopback: nothing listens, so the real driver fails server selection quickly.
    const opened = await createMongoStorage({
      url: 'mongodb://palisade:hunter2@127.0.0.1:9/?directConnection=true',
      serverSelectionTimeoutMs: 300,
    })();
    expect(E.isLeft(opened) && opened.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: true });
    expect(JSON.stringify(opened)).not.toContain('hunter2');
  });

  it('refuses invalid options before connecting', async () => {
    const opened = await createMongoStorage({ url: 'mongodb://127.0.0.1:9', database: 'bad.name' })();
    expect(E.isLeft(opened) && opened.left).toMatchObject({ _tag: 'InvalidInput', issues: [{ path: 'database' }] });
  });
});
