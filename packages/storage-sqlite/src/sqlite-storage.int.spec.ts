import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { EventStore, type StorageAdapter, type TenantEventStore } from '@palisade/core';
import { eventStoreConformance, tenantId } from '@palisade/storage-testkit';
import { createSqliteStorage, PURGE_SQL } from './sqlite-storage.js';

const pluginModule = fileURLToPath(new URL('../dist/index.js', import.meta.url));

eventStoreConformance({
  name: 'sqlite',
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sqlite-'));
    const path = join(dir, 'palisade.db');
    const adapter = createSqliteStorage({ path });
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    return Promise.resolve({
      adapter: adapter.right,
      // The raw bytes of the database and its write-ahead log: what reached the disk.
      storedText: () =>
        Promise.resolve(
          [path, `${path}-wal`]
            .filter((p) => existsSync(p))
            .map((p) => readFileSync(p).toString('latin1'))
            .join('\n'),
        ),
      shared: { pluginModule, options: { path } },
      cleanup: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
});

describe('sqlite storage', () => {
  it('creates its file, and the directories above it, with zero set-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sqlite-'));
    try {
      const adapter = createSqliteStorage({ baseDir: dir });
      expect(E.isRight(adapter)).toBe(true);
      if (E.isRight(adapter)) await adapter.right.close();
      expect(existsSync(join(dir, '.palisade', 'palisade.db'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with StorageUnavailable, not an exception, when the file cannot be opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sqlite-'));
    try {
      const adapter = createSqliteStorage({ path: dir });
      expect(E.isLeft(adapter) && adapter.left._tag).toBe('StorageUnavailable');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A fresh database file with tenant `acme` open on it, and a raw connection to edit rows behind its back. */
  const withAcme = async (
    body: (t: { adapter: StorageAdapter; acme: TenantEventStore; raw: Database.Database }) => Promise<void>,
  ): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sqlite-'));
    const path = join(dir, 'p.db');
    const adapter = createSqliteStorage({ path });
    if (E.isLeft(adapter)) throw new Error(adapter.left.message);
    const store = new EventStore(adapter.right);
    const raw = new Database(path);
    try {
      await body({ adapter: adapter.right, acme: store.forTenant(tenantId('acme')), raw });
    } finally {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const eventCount = (raw: Database.Database): number =>
    (raw.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;

  it('refuses a stored row that does not decode, rather than hand it out', () =>
    withAcme(async ({ acme, raw }) => {
      expect(E.isRight(await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])())).toBe(true);
      raw.prepare("UPDATE events SET type = 'not a type' WHERE tenant_id = 'acme'").run();
      const read = await acme.readLog()();
      expect(E.isLeft(read) && read.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
      expect(E.isLeft(read) && read.left.message).toContain("a stored row in 'events' is malformed");
    }));

  it('rolls a purge batch back, deleting nothing, when a row it would delete does not decode', () =>
    withAcme(async ({ adapter, acme, raw }) => {
      for (const s of ['s-1', 's-2', 's-3']) {
        expect(E.isRight(await acme.appendToStream(s, [{ type: 'E', data: 1 }])())).toBe(true);
      }
      raw.prepare("UPDATE events SET recorded_at = '2000-01-01T00:00:00.000Z'").run();
      raw.prepare("UPDATE events SET version = 0.5 WHERE stream_id = 's-3'").run();
      const purged = await adapter.forTenant(tenantId('acme')).purgeExpired!({
        before: '2001-01-01T00:00:00.000Z',
        limit: 10,
        keep: [],
        purgedAt: '2026-01-01T00:00:00.000Z',
      })();
      expect(E.isLeft(purged) && purged.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: false });
      expect(eventCount(raw)).toBe(3);
    }));

  it('refuses to append on a stream whose stored version is not an integer, writing nothing', () =>
    withAcme(async ({ acme, raw }) => {
      expect(E.isRight(await acme.appendToStream('s-1', [{ type: 'E', data: 1 }])())).toBe(true);
      raw.prepare("UPDATE streams SET version = 1.5 WHERE stream_id = 's-1'").run();
      const appended = await acme.appendToStream('s-1', [{ type: 'E', data: 2 }])();
      expect(E.isLeft(appended) && appended.left.message).toContain("a stored row in 'streams' is malformed");
      expect(E.isLeft(await acme.streamVersion('s-1')())).toBe(true);
      expect(eventCount(raw)).toBe(1);
    }));

  it('purges a batch by rowid and the time index, never by scanning the tenant', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sqlite-'));
    const path = join(dir, 'p.db');
    try {
      const adapter = createSqliteStorage({ path });
      if (E.isLeft(adapter)) throw new Error(adapter.left.message);
      void adapter.right.close();
      const raw = new Database(path);
      const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${PURGE_SQL}`).all('a', 'a', 'z', '[]', 10) as { detail: string }[])
        .map((r) => r.detail)
        .join('\n');
      raw.close();
      expect(plan).toContain('USING INTEGER PRIMARY KEY (rowid=?)');
      expect(plan).toContain('USING INDEX events_by_time (tenant_id=? AND recorded_at<?)');
      expect(plan).not.toContain('events_by_position');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
