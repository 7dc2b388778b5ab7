import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { EventStoreDBClient, FORWARDS } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { EventStore } from '@palisade/core';
import { eventStoreConformance, tenantId } from '@palisade/storage-testkit';
import { createEventStoreStorage } from './eventstore-storage.js';
import { streamNames } from './stream-names.js';

/*
 * Runs the storage contract against a real EventStoreDB / KurrentDB named by
 * PALISADE_TEST_EVENTSTORE_URL (see README.md for the docker line). No server
 * runs in CI: without the variable the suite is skipped, and says so.
 */
const url = process.env.PALISADE_TEST_EVENTSTORE_URL;
const pluginModule = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const missing = url === undefined || url === '';

if (missing) {
  console.info(
    '[eventstore] SKIPPED: the EventStoreDB conformance suite did not run because PALISADE_TEST_EVENTSTORE_URL is not set ' +
      '(e.g. esdb://127.0.0.1:2113?tls=false); see packages/storage-eventstore/README.md',
  );
}

/** A namespace per opened storage: the server has no databases, so each test gets its own stream names. */
const freshNamespace = () => `t${randomBytes(6).toString('hex')}`;

describe.skipIf(missing)('eventstore against a real server (PALISADE_TEST_EVENTSTORE_URL)', () => {
  const connectionString = url ?? '';

  eventStoreConformance({
    name: 'eventstore',
    open: async () => {
      const namespace = freshNamespace();
      const adapter = await createEventStoreStorage({ connectionString, namespace })();
      if (E.isLeft(adapter)) throw new Error(adapter.left.message);
      return {
        adapter: adapter.right,
        shared: { pluginModule, options: { connection_string: connectionString, namespace } },
      };
    },
  });

  it('writes a tenant stream under <category>-<tenant>.<rest>, as links to the tenant log', async () => {
    const namespace = freshNamespace();
    const adapter = await createEventStoreStorage({ connectionString, namespace })();
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    const store = new EventStore(adapter.right);
    const client = EventStoreDBClient.connectionString(connectionString);
    try {
      const acme = store.forTenant(tenantId('acme'));
      expect(E.isRight(await acme.appendToStream('order-42', [{ type: 'Placed', data: { n: 1 } }])())).toBe(true);
      const names = streamNames(namespace);
      const linked = [];
      for await (const r of client.readStream(names.stream(tenantId('acme'), 'order-42' as never), {
        direction: FORWARDS,
        resolveLinkTos: true,
      })) {
        linked.push(r);
      }
      expect(linked).toHaveLength(1);
      expect(linked[0]!.link?.type).toBe('$>');
      expect(linked[0]!.event?.streamId).toBe(names.log(tenantId('acme')));
      expect(linked[0]!.event?.type).toBe('Placed');
    } finally {
      await store.close();
      await client.dispose();
    }
  });

  it('repairs the stream index after a writer died between the log write and the links', async () => {
    const namespace = freshNamespace();
    const names = streamNames(namespace);
    const client = EventStoreDBClient.connectionString(connectionString);
    const adapter = await createEventStoreStorage({ connectionString, namespace })();
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    const store = new EventStore(adapter.right);
    try {
      const acme = store.forTenant(tenantId('acme'));
      await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])();
      // What a killed writer leaves: an event in the log that no index links to yet.
      const { toLogEvent } = await import('./envelope.js');
      const orphan = toLogEvent(
        {
          id: '0b6f5a3e-9999-4c1e-9d55-0c8a3f1b2e09' as never,
          type: 'E' as never,
          data: 2,
          metadata: {},
          dataJson: '2',
          metadataJson: '{}',
          contentHash: 'h',
        },
        's-1' as never,
        1,
        new Date().toISOString(),
      );
      await client.appendToStream(names.log(tenantId('acme')), [orphan as never], { expectedRevision: 0n });
      const read = await acme.readStream('s-1')();
      expect(E.isRight(read) && read.right.map((e) => e.position)).toEqual([1, 2]);
      expect(await acme.streamVersion('s-1')()).toEqual(E.right(1));
    } finally {
      await store.close();
      await client.dispose();
    }
  });
});

describe('eventstore without a server', () => {
  it('fails to open with a retryable StorageUnavailable that does not quote the connection string', async () => {
    // Port 9 on loopback: nothing listens, so the real client fails its first call.
    const opened = await createEventStoreStorage({
      connectionString: 'esdb://palisade:hunter2@127.0.0.1:9?tls=false&defaultDeadline=2000&maxDiscoverAttempts=1',
    })();
    expect(E.isLeft(opened) && opened.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: true });
    expect(JSON.stringify(opened)).not.toContain('hunter2');
  }, 20_000);

  it('refuses a malformed connection string without quoting it', async () => {
    const opened = await createEventStoreStorage({ connectionString: 'esdb://user:hunter2@[bad' })();
    expect(E.isLeft(opened) && opened.left).toMatchObject({
      _tag: 'InvalidInput',
      issues: [{ path: 'connection_string' }],
    });
    expect(JSON.stringify(opened)).not.toContain('hunter2');
  });
});
