import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryKeyStore,
  memoryStoragePlugin,
  parseConfig,
  type KeyRef,
  type KeyStore,
  type StoragePlugin,
  type TenantId,
} from '@palisade/core';
import { storagePlugin as sqlitePlugin } from '@palisade/storage-sqlite';
import { governanceFrom } from './governance.js';

const KEK = Buffer.alloc(32, 7).toString('base64');

const configWith = (storage: string, keyStore = '') => {
  const parsed = parseConfig(
    [storage, 'encryption:', `  kek: ${KEK}`, '  kek_id: kek-1', keyStore, ''].join('\n'),
    'palisade.config.yaml',
    {},
  );
  if (E.isLeft(parsed)) throw new Error(parsed.left.message);
  return parsed.right;
};

/** A storage plugin of a kind that is not installed, with a key store, recording the options it was given. */
const pluginWithKeys = (given: unknown[], keys: KeyStore): StoragePlugin<{ path?: string }> => ({
  kind: 'fancydb',
  // Any codec will do: SQLite's (a `path` string).
  options: sqlitePlugin.options,
  create: () => memoryStoragePlugin.create({}, { baseDir: '.' }),
  createKeyStore: (options) => {
    given.push(options);
    return TE.right(keys);
  },
});

describe('the key store the CLI builds for encryption', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-ks-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("comes from the storage plugin's createKeyStore, with the storage options, when storage is of its kind", async () => {
    const given: unknown[] = [];
    const keys = createMemoryKeyStore();
    const g = await governanceFrom(
      configWith('storage: { kind: fancydb, path: fancy-secret.db }'),
      dir,
      undefined,
      () => undefined,
      [pluginWithKeys(given, keys)],
    )();
    if (E.isLeft(g)) throw new Error(g.left.message);
    expect(given).toEqual([{ path: 'fancy-secret.db' }]);
    // Encryption really uses that store: a key put there under a subject's ref is what `forget` destroys.
    const first = await g.right.encryption!.forget('acme' as TenantId, 'c-1');
    if (E.isLeft(first)) throw new Error(first.left.message);
    expect(first.right.existed).toBe(false);
    await keys.forTenant('acme' as TenantId).putIfAbsent({
      ref: first.right.ref as KeyRef,
      material: 'AAAA',
      kekId: 'kek-1',
      createdAt: new Date(0).toISOString(),
    })();
    const second = await g.right.encryption!.forget('acme' as TenantId, 'c-1');
    expect(E.isRight(second) && second.right.existed).toBe(true);
    await g.right.close();
    const after = await keys.forTenant('acme' as TenantId).get(first.right.ref as KeyRef)();
    expect(E.isLeft(after) && after.left._tag).toBe('Closed');
  });

  it('names encryption.key_store when it is given and the plugin refuses its options', async () => {
    const g = await governanceFrom(
      configWith('storage: { kind: memory }', '  key_store: { kind: fancydb, path: 5 }'),
      dir,
      undefined,
      () => undefined,
      [pluginWithKeys([], createMemoryKeyStore())],
    )();
    expect(E.isLeft(g) && g.left.message).toContain('encryption.key_store.path');
  });

  it('refuses a built-in key store with an unknown option or a path that is not text, naming it', async () => {
    for (const [section, named] of [
      ['  key_store: { kind: sqlite, pathh: ./keys.db }', 'encryption.key_store.pathh'],
      ['  key_store: { kind: sqlite, path: 42 }', 'encryption.key_store.path'],
      ['  key_store: { kind: memory, path: ./keys.db }', 'encryption.key_store.path'],
    ] as const) {
      const g = await governanceFrom(
        configWith('storage: { kind: memory }', section),
        dir,
        undefined,
        () => undefined,
      )();
      expect(E.isLeft(g) && g.left.code).toBe('PALISADE_CONFIG_INVALID');
      expect(E.isLeft(g) && g.left.message).toContain(named);
    }
  });

  it('refuses a bad KEK or audit key before it opens the key store, so no database file is created', async () => {
    const here = mkdtempSync(join(tmpdir(), 'palisade-gov-kek-'));
    try {
      for (const [kek, audit, named] of [
        ['too-short', [], 'encryption.kek'],
        [KEK, ['audit:', '  signing:', '    key: not-a-pem', '    key_id: k1'], 'audit.signing.key'],
      ] as const) {
        const parsed = parseConfig(
          [
            'storage: { kind: memory }',
            ...audit,
            'encryption:',
            `  kek: ${kek}`,
            '  kek_id: kek-1',
            '  key_store: { kind: sqlite, path: keys.db }',
            '',
          ].join('\n'),
          'palisade.config.yaml',
          {},
        );
        if (E.isLeft(parsed)) throw new Error(parsed.left.message);
        const g = await governanceFrom(parsed.right, here, undefined, () => undefined)();
        expect(E.isLeft(g) && g.left.message).toContain(named);
        expect(readdirSync(here)).toEqual([]);
      }
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });

  it('is refused, naming encryption.key_store, for a kind without one (plugin lacks it, or is not installed)', async () => {
    const full = pluginWithKeys([], createMemoryKeyStore());
    const withoutKeys: StoragePlugin<{ path?: string }> = {
      kind: full.kind,
      options: full.options,
      create: (options, context) => full.create(options, context),
    };
    for (const plugins of [[withoutKeys], []]) {
      const g = await governanceFrom(
        configWith('storage: { kind: fancydb, path: fancy-secret.db }'),
        dir,
        undefined,
        () => undefined,
        plugins,
      )();
      expect(E.isLeft(g) && g.left.code).toBe('PALISADE_CONFIG_INVALID');
      expect(E.isLeft(g) && g.left.message).toContain('encryption.key_store');
      expect(E.isLeft(g) && g.left.message).not.toContain('fancy-secret.db');
    }
  });
});
