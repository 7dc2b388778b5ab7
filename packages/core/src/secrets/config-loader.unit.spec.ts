import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { afterEach, describe, expect, it } from 'vitest';
import { strict } from '../codecs.js';
import { parseConfig } from '../config.js';
import { secretBackendFailed } from '../errors.js';
import { loadConfigWithSecrets } from './config-loader.js';
import { found, notFound, type SecretBackendPlugin } from './port.js';

/** An in-memory plugin: `{ kind: map, values: {...}, failing: [...] }`. The real backends run against real peers in their packages. */
const mapPlugin: SecretBackendPlugin<{ values: Record<string, string>; failing?: string[] }> = {
  kind: 'map',
  options: strict({ values: t.record(t.string, t.string) }, { failing: t.array(t.string) }, 'MapOptions'),
  create: (o, ctx) =>
    E.right({
      name: ctx.name,
      lookup: (ref) =>
        o.failing?.includes(ref.name) === true
          ? TE.left(secretBackendFailed(ctx.name, ref.name, 'denied', 'HTTP 403'))
          : TE.right(o.values[ref.name] === undefined ? notFound : found(o.values[ref.name] ?? '', 'v1')),
      close: () => Promise.resolve(),
    }),
};

describe('loadConfigWithSecrets', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const withConfig = (config: unknown, name = 'palisade.config.json'): string => {
    const d = mkdtempSync(join(tmpdir(), 'palisade-secrets-config-'));
    dirs.push(d);
    writeFileSync(join(d, name), typeof config === 'string' ? config : JSON.stringify(config));
    return d;
  };
  const load = (cwd: string, env: NodeJS.ProcessEnv = {}) =>
    loadConfigWithSecrets({ cwd, env, plugins: [mapPlugin] })();
  const issues = async (cwd: string, env: NodeJS.ProcessEnv = {}) => {
    const r = await load(cwd, env);
    return E.isLeft(r) ? r.left.issues : [];
  };

  it('resolves secret and environment references anywhere in the tree, keeps $${ literal', async () => {
    const cwd = withConfig(
      'secrets:\n  backends:\n    - kind: map\n      name: primary\n      values:\n        db/password: pw-value\n        a: A\n' +
        'storage:\n  kind: sqlite\n  dsn: "postgres://app:${secret:db/password}@${HOST}/db"\n  list: ["${secret:a}", "$${secret:a}"]\n',
      'palisade.config.yaml',
    );
    const r = await load(cwd, { HOST: 'db.internal' });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.config.storage).toEqual({
      kind: 'sqlite',
      dsn: 'postgres://app:pw-value@db.internal/db',
      list: ['A', '${secret:a}'],
    });
    expect(r.right.bindings).toEqual([
      { path: 'storage.dsn', reference: 'db/password', backend: 'primary', version: 'v1' },
      { path: 'storage.list.0', reference: 'a', backend: 'primary', version: 'v1' },
    ]);
  });

  it('the sync parseConfig refuses secret references instead of keeping them as literal text', () => {
    const r = parseConfig('storage:\n  kind: sqlite\n  password: ${secret:db/password}\n', 'x.yaml', {});
    expect(E.isLeft(r) && r.left.issues).toEqual([
      { path: 'storage.password', message: expect.stringContaining('loadConfigWithSecrets') as unknown },
    ]);
  });

  it('names the path and the secret for not found and failed lookups, and lists every problem', async () => {
    const cwd = withConfig({
      secrets: { backends: [{ kind: 'map', values: {}, failing: ['locked'] }] },
      storage: { kind: 'x', a: '${secret:missing}', b: '${secret:locked}', c: '${secret:../escape}' },
    });
    expect(await issues(cwd)).toEqual([
      { path: 'storage.a', message: expect.stringMatching(/missing.*not found in map/) as unknown },
      { path: 'storage.b', message: expect.stringMatching(/locked.*backend map failed \(denied/) as unknown },
      { path: 'storage.c', message: expect.stringContaining('PALISADE_INVALID_INPUT') as unknown },
    ]);
  });

  it('a secret that decodes to the wrong type is an error naming the path, not the value', async () => {
    const cwd = withConfig({
      secrets: { backends: [{ kind: 'map', values: { n: 'not-a-number-value' } }] },
      limits: { max_event_bytes: '${secret:n}' },
    });
    const r = await load(cwd);
    expect(E.isLeft(r) && r.left.issues.map((i) => i.path)).toEqual(['limits.max_event_bytes']);
    expect(JSON.stringify(r)).not.toContain('not-a-number-value');
  });

  it('refuses secret references inside the secrets section, which is read before any backend exists', async () => {
    const cwd = withConfig({ secrets: { backends: [{ kind: 'map', values: { a: '${secret:b}' } }] } });
    expect(await issues(cwd)).toEqual([
      { path: 'secrets.backends.0.values.a', message: expect.stringContaining('use ${ENV} here') as unknown },
    ]);
  });

  it('reports unknown kinds, duplicate names, wrong option types and wrong cache types with their paths', async () => {
    const cwd = withConfig({
      secrets: {
        backends: [
          { kind: 'map', values: {} },
          { kind: 'map', values: {} },
          { kind: 'ldap' },
          { kind: 'map', name: 'm2', values: { a: 1 }, extra: true },
        ],
        cache: { ttl_ms: '1s', stale_if_error_ms: -1 },
        fall_through_on_error: 'yes',
      },
    });
    const found = (await issues(cwd)).map((i) => i.path);
    expect(found).toEqual(['secrets.cache.ttl_ms', 'secrets.cache.stale_if_error_ms', 'secrets.fall_through_on_error']);
    const cwd2 = withConfig({
      secrets: {
        backends: [
          { kind: 'map', values: {} },
          { kind: 'map', values: {} },
          { kind: 'ldap' },
          { kind: 'map', name: 'm2', values: { a: 1 } },
          { kind: 'map', name: 'm3', values: {}, extra: true },
        ],
      },
    });
    const paths = (await issues(cwd2)).map((i) => i.path);
    expect(paths).toEqual([
      'secrets.backends.1.name',
      'secrets.backends.2.kind',
      'secrets.backends.3.values.a',
      'secrets.backends.4.extra',
    ]);
  });

  it('reports a malformed config file without quoting it', async () => {
    for (const text of [
      '{"secrets": {"backends": [ "leaky-secret-text" ',
      '{"storage": {"password": leaky-secret-text}}',
    ]) {
      const r = await load(withConfig(text, 'palisade.config.json'));
      expect(E.isLeft(r) && r.left.code).toBe('PALISADE_CONFIG_INVALID');
      expect(JSON.stringify(r)).not.toContain('leaky');
    }
  });

  it('uses defaults when there is no config file', async () => {
    const d = mkdtempSync(join(tmpdir(), 'palisade-secrets-none-'));
    dirs.push(d);
    const r = await load(d);
    expect(E.isRight(r) && r.right.config).toEqual({});
  });
});
