import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from './config.js';

const issuesOf = (result: ReturnType<typeof parseConfig>) =>
  E.isLeft(result) ? result.left.issues.map((i) => `${i.path}: ${i.message}`) : [];

describe('config', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'palisade-config-'));
    dirs.push(d);
    return d;
  };

  it('decodes YAML with environment references and fallbacks', () => {
    const text =
      'storage:\n  kind: sqlite\n  path: ${DATA_DIR}/p.db\nlimits:\n  max_event_bytes: 4096\nsubscriptions:\n  poll_interval_ms: ${POLL:-100}\n';
    const result = parseConfig(text.replace('${POLL:-100}', '100'), 'x.yaml', { DATA_DIR: '/srv' });
    expect(result).toEqual(
      E.right({
        storage: { kind: 'sqlite', path: '/srv/p.db' },
        limits: { max_event_bytes: 4096 },
        subscriptions: { poll_interval_ms: 100 },
      }),
    );
    const fallback = parseConfig('storage:\n  kind: ${KIND:-memory}\n', 'x.yaml', {});
    expect(fallback).toEqual(E.right({ storage: { kind: 'memory' } }));
    const literal = parseConfig('storage:\n  kind: sqlite\n  path: "$${HOME}/x"\n', 'x.yaml', { HOME: '/root' });
    expect(literal).toEqual(E.right({ storage: { kind: 'sqlite', path: '${HOME}/x' } }));
  });

  it('names the config path and the variable when a reference is unset, never a value', () => {
    const result = parseConfig('storage:\n  kind: sqlite\n  path: ${MISSING_VAR}\n', 'x.yaml', {
      OTHER: 'secret-value',
    });
    expect(issuesOf(result)).toEqual(['storage.path: refers to environment variable MISSING_VAR, which is not set']);
  });

  it('refuses unknown keys, wrong types and malformed files with the path', () => {
    expect(issuesOf(parseConfig('limitz: {}\n', 'x.yaml'))[0]).toMatch(/^limitz: is not a known key/);
    expect(issuesOf(parseConfig('limits:\n  max_event_bytes: -1\n', 'x.yaml'))).toEqual([
      'limits.max_event_bytes: must be a positive integer',
    ]);
    expect(issuesOf(parseConfig('limits:\n  max_event_bytes: "big"\n', 'x.yaml'))).toEqual([
      'limits.max_event_bytes: must be a positive integer',
    ]);
    expect(issuesOf(parseConfig('storage: [1, 2\n', 'x.yaml'))[0]).toMatch(/is not valid YAML/);
    expect(issuesOf(parseConfig('a: 1\na: 2\n', 'x.yaml'))[0]).toMatch(/is not valid YAML/);
    // An alias bomb: six levels of ten aliases each would expand to a million nodes.
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      .concat(['b', 'c', 'd', 'e', 'f'].map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`))
      .join('\n');
    expect(issuesOf(parseConfig(bomb, 'x.yaml'))[0]).toMatch(/is not valid YAML: Excessive alias count/);
    expect(issuesOf(parseConfig('{"storage": ', 'x.json'))[0]).toMatch(/is not valid JSON/);
    const result = parseConfig('limitz: 1\n', '/etc/palisade.config.yaml');
    expect(E.isLeft(result) && result.left).toMatchObject({
      _tag: 'ConfigInvalid',
      code: 'PALISADE_CONFIG_INVALID',
      source: '/etc/palisade.config.yaml',
    });
  });

  it('finds palisade.config.yaml in the working directory and uses defaults without one', () => {
    const dir = tempDir();
    expect(loadConfig({ cwd: dir })).toEqual(E.right({ config: {}, source: null, baseDir: dir }));
    writeFileSync(join(dir, 'palisade.config.yaml'), 'storage:\n  kind: memory\n');
    const found = loadConfig({ cwd: dir });
    expect(E.isRight(found) && found.right.config).toEqual({ storage: { kind: 'memory' } });
    const json = join(dir, 'other.json');
    writeFileSync(json, '{"storage": {"kind": "memory"}}');
    expect(E.isRight(loadConfig({ cwd: dir, path: 'other.json' }))).toBe(true);
    const missing = loadConfig({ cwd: dir, path: 'nope.yaml' });
    expect(E.isLeft(missing) && missing.left.message).toMatch(/cannot be read \(ENOENT\)/);
  });
});
