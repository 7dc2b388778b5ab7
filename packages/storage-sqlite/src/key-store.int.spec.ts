import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { KeyRef, TenantId } from '@palisade/core';
import { keyStoreConformance } from '@palisade/storage-testkit';
import { createSqliteKeyStore } from './key-store.js';
import { createSqliteStorage } from './sqlite-storage.js';

keyStoreConformance({
  name: 'sqlite',
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-keys-'));
    const path = join(dir, 'palisade.db');
    const store = createSqliteKeyStore({ path });
    if (E.isLeft(store)) throw new Error(store.left.message);
    return Promise.resolve({
      store: store.right,
      storedText: () =>
        Promise.resolve(
          [path, `${path}-wal`]
            .filter((p) => existsSync(p))
            .map((p) => readFileSync(p).toString('latin1'))
            .join('\n'),
        ),
      cleanup: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
});

describe('sqlite key store', () => {
  it('refuses a path it cannot open with a typed error, for the key store and the event store alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-keys-'));
    try {
      const blocker = join(dir, 'a-file');
      writeFileSync(blocker, 'not a folder');
      const path = join(blocker, 'palisade.db'); // its folder is a file
      for (const opened of [createSqliteKeyStore({ path }), createSqliteStorage({ path })]) {
        expect(E.isLeft(opened) && opened.left).toMatchObject({
          code: 'PALISADE_STORAGE_UNAVAILABLE',
          retryable: false,
          message: expect.stringContaining('cannot open the database file') as unknown,
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares the event store file, each with its own tables', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-keys-'));
    const path = join(dir, 'palisade.db');
    try {
      const events = createSqliteStorage({ path });
      const keys = createSqliteKeyStore({ path });
      if (E.isLeft(events) || E.isLeft(keys)) throw new Error('open');
      const put = await keys.right
        .forTenant('acme' as TenantId)
        .putIfAbsent({ ref: 's:a' as KeyRef, material: 'AAAA', kekId: 'k', createdAt: new Date(0).toISOString() })();
      expect(E.isRight(put)).toBe(true);
      await keys.right.close();
      await events.right.close();
      const raw = new Database(path);
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      raw.close();
      expect(tables).toEqual(expect.arrayContaining([{ name: 'data_keys' }, { name: 'events' }]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a stored row that does not decode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-keys-'));
    const path = join(dir, 'k.db');
    try {
      const keys = createSqliteKeyStore({ path });
      if (E.isLeft(keys)) throw new Error('open');
      const raw = new Database(path);
      raw.prepare("INSERT INTO data_keys VALUES ('acme', 's:a', 'not base64!', 'k', 'x')").run();
      raw.close();
      const got = await keys.right.forTenant('acme' as TenantId).get('s:a' as KeyRef)();
      expect(E.isLeft(got) && got.left.message).toContain('malformed');
      expect(E.isLeft(got) && got.left.message).not.toContain('not base64');
      await keys.right.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
