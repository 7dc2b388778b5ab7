import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
// The SQLite driver the adapter uses, to age events as the clock would (the CLI has no way to backdate them).
const Database = createRequire(new URL('../../storage-sqlite/package.json', import.meta.url))('better-sqlite3') as new (
  path: string,
) => {
  prepare(sql: string): { run(): unknown };
  close(): void;
};
const SECRETS_ENV = fileURLToPath(new URL('../../secrets-env', import.meta.url));

describe('palisade CLI', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'palisade-cli-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const palisade = (...args: string[]) => palisadeWith({}, ...args);
  const palisadeWith = (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('resolves ${secret:...} in its config through a backend installed in the project', () => {
    // As a user would: `npm install @palisade/secrets-env` puts it in the project's node_modules.
    mkdirSync(join(cwd, 'node_modules', '@palisade'), { recursive: true });
    symlinkSync(SECRETS_ENV, join(cwd, 'node_modules', '@palisade', 'secrets-env'), 'dir');
    writeFileSync(
      join(cwd, 'palisade.config.yaml'),
      [
        'secrets:',
        '  backends: [{ kind: env, prefix: CLI_SECRET_ }]',
        'storage:',
        '  kind: sqlite',
        '  path: ${secret:db/file}',
        '',
      ].join('\n'),
    );
    const env = { CLI_SECRET_DB_FILE: 'from-secret.db' };
    expect(palisadeWith(env, 'append', '-t', 'acme', '-s', 'o-1', '--type', 'Placed', '--data', '{}').code).toBe(0);
    expect(existsSync(join(cwd, 'from-secret.db'))).toBe(true);

    const missing = palisadeWith({}, 'read', '-t', 'acme', '-s', 'o-1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('db/file');

    writeFileSync(join(cwd, 'palisade.config.yaml'), 'secrets:\n  backends: [{ kind: gcp }]\n');
    const uninstalled = palisade('read', '-t', 'acme', '-s', 'o-1');
    expect(uninstalled.code).toBe(2);
    expect(uninstalled.stderr, uninstalled.stderr).toContain('install @palisade/secrets-gcp');
  });

  it('appends and reads back with zero set-up, in tables and in JSON', () => {
    expect(palisade('append', '-t', 'acme', '-s', 'order-1', '--type', 'Placed', '--data', '{"total":10}').code).toBe(
      0,
    );
    const table = palisade('read', '-t', 'acme', '-s', 'order-1');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('Placed');
    expect(table.stdout).toContain('{"total":10}');
    const json = palisade('--json', 'read', '-t', 'acme', '-s', 'order-1');
    expect(JSON.parse(json.stdout)).toMatchObject([
      { tenant: 'acme', stream: 'order-1', version: 0, position: 1, data: { total: 10 } },
    ]);
  });

  it('keeps tenants apart', () => {
    palisade('append', '-t', 'acme', '-s', 'order-1', '--type', 'Placed', '--data', '{"who":"acme"}');
    palisade('append', '-t', 'globex', '-s', 'order-1', '--type', 'Placed', '--data', '{"who":"globex"}');
    const log = JSON.parse(palisade('--json', 'log', '-t', 'globex').stdout) as { events: { data: unknown }[] };
    expect(log.events.map((e) => e.data)).toEqual([{ who: 'globex' }]);
    const streams = JSON.parse(palisade('--json', 'streams', '-t', 'acme', '--prefix', 'order-').stdout) as unknown;
    expect(streams).toEqual({ streams: [{ stream: 'order-1', version: 0 }], next: null });
  });

  it('appends a batch from a file atomically, and refuses a bad one whole', () => {
    const good = join(cwd, 'good.json');
    writeFileSync(
      good,
      JSON.stringify([
        { type: 'A', data: 1 },
        { type: 'B', data: 2 },
      ]),
    );
    expect(palisade('append', '-t', 'acme', '-s', 's-1', '--events', good).code).toBe(0);
    const bad = join(cwd, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify([
        { type: 'C', data: 3 },
        { type: 'not valid', data: 4 },
      ]),
    );
    const refused = palisade('--json', 'append', '-t', 'acme', '-s', 's-1', '--events', bad);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr)).toMatchObject({
      error: { code: 'PALISADE_INVALID_INPUT', issues: [{ path: 'events.1.type' }] },
    });
    expect(JSON.parse(palisade('--json', 'read', '-t', 'acme', '-s', 's-1').stdout)).toHaveLength(2);
  });

  it('tells usage errors, conflicts and failures apart by exit code', () => {
    expect(palisade('append', '-t', 'acme', '-s', 's-1', '--type', 'A', '--data', '{oops').code).toBe(2);
    expect(palisade('append', '-t', 'acme', '-s', 's-1', '--type', 'A', '--data', '{oops').stderr).toContain(
      'data: is not valid JSON',
    );
    expect(palisade('read', '-s', 's-1').code).toBe(2);
    expect(palisade('read', '-t', 'Not A Tenant', '-s', 's-1').code).toBe(2);
    expect(palisade('read', '-t', 'acme', '-s', 's-1', '--limit', 'ten').code).toBe(2);
    expect(palisade('frobnicate').code).toBe(2);
    // Under --json, usage errors too are one JSON line on stderr.
    for (const args of [
      ['--json', 'read', '-t', 'acme'],
      ['--json', 'frobnicate'],
      ['--json', 'audit', 'verify'],
      ['--json'],
      ['--json', 'audit'],
    ]) {
      const usage = palisade(...args);
      expect(usage.code).toBe(2);
      const parsed = JSON.parse(usage.stderr.trim()) as { error: { code: string; message: string } };
      expect(parsed.error.code).toBe('PALISADE_INVALID_INPUT');
    }
    expect(
      palisade('append', '-t', 'acme', '-s', 's-1', '--type', 'A', '--data', '1', '--expected', 'no_stream').code,
    ).toBe(0);
    const conflict = palisade(
      'append',
      '-t',
      'acme',
      '-s',
      's-1',
      '--type',
      'A',
      '--data',
      '1',
      '--expected',
      'no_stream',
    );
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toContain('PALISADE_WRONG_EXPECTED_VERSION');
    writeFileSync(join(cwd, 'palisade.config.yaml'), 'storage:\n  kind: sqlite\n  path: ${NOPE}\n');
    const config = palisade('log', '-t', 'acme');
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('storage.path: refers to environment variable NOPE');
  });

  it('applies the data policy from the config file: redacts, blocks, and refuses a bad policy', () => {
    expect(
      palisade('append', '-t', 'acme', '-s', 'c-1', '--type', 'Signup', '--data', '{"email":"john@example.com"}').code,
    ).toBe(0);
    writeFileSync(
      join(cwd, 'palisade.config.yaml'),
      [
        'data_policy:',
        '  pii_fields: ["$.customer.name"]',
        '  actions: { aws_access_key: block }',
        'tenants:',
        '  globex:',
        '    data_policy: { redaction_mode: remove }',
        '',
      ].join('\n'),
    );
    const data = '{"customer":{"name":"Jane Roe","email":"jane@example.com"}}';
    expect(palisade('append', '-t', 'acme', '-s', 'c-1', '--type', 'Signup', '--data', data).code).toBe(0);
    expect(palisade('append', '-t', 'globex', '-s', 'c-1', '--type', 'Signup', '--data', data).code).toBe(0);
    const blocked = palisade(
      'append',
      '-t',
      'acme',
      '-s',
      'c-1',
      '--type',
      'Key',
      '--data',
      '{"k":"AKIAIOSFODNN7EXAMPLE"}',
    );
    expect(blocked.code).toBe(4);
    expect(blocked.stderr).toContain('PALISADE_POLICY_BLOCKED');
    expect(blocked.stderr).toContain('aws_access_key at $[0].data.k');
    expect(blocked.stderr).not.toContain('AKIA');
    const read = (tenant: string) =>
      (JSON.parse(palisade('--json', 'read', '-t', tenant, '-s', 'c-1').stdout) as { data: unknown }[]).map(
        (e) => e.data,
      );
    expect(read('acme')).toEqual([
      { email: 'j***@example.com' },
      { customer: { name: '**** ***', email: 'j***@example.com' } },
    ]);
    expect(read('globex')).toEqual([{ customer: { email: '[email]' } }]);

    writeFileSync(join(cwd, 'palisade.config.yaml'), 'data_policy:\n  pii_detectors: [email, passport]\n');
    const bad = palisade('append', '-t', 'acme', '-s', 'c-1', '--type', 'X', '--data', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("data_policy.pii_detectors.1: unknown detector 'passport'");
  });

  it('prints help for every command', () => {
    for (const command of ['append', 'read', 'log', 'follow', 'streams', 'purge']) {
      const help = palisade(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--tenant');
    }
  });

  it('follows a tenant log live until it has seen enough', async () => {
    palisade('append', '-t', 'acme', '-s', 's-1', '--type', 'Old', '--data', '1');
    const follower = spawn(process.execPath, [BIN, '--json', 'follow', '-t', 'acme', '--count', '2'], { cwd });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 500));
    palisade('append', '-t', 'acme', '-s', 's-2', '--type', 'New', '--data', '2');
    const code = await new Promise<number | null>((resolve) => follower.on('exit', resolve));
    expect(code).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toEqual(['Old', 'New']);
  });

  it('stops after --count events exactly, and a durable follower resumes right after the last one it printed', () => {
    for (let i = 1; i <= 4; i++) palisade('append', '-t', 'acme', '-s', `s-${i}`, '--type', `E${i}`, '--data', '1');
    const follow = () => palisade('--json', 'follow', '-t', 'acme', '--count', '1', '--subscriber', 'tail');
    const types = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type);
    const first = follow();
    expect(first.code).toBe(0);
    expect(types(first.stdout)).toEqual(['E1']);
    expect(types(follow().stdout)).toEqual(['E2']);
  });

  it('purges what is past the retention, after a dry run that shows what would go', () => {
    writeFileSync(join(cwd, 'palisade.config.yaml'), 'retention:\n  batch_size: 2\n  tenants:\n    acme: 30\n');
    for (const stream of ['chat-1', 'chat-1', 'chat-2', 'chat-3']) {
      palisade('append', '-t', 'acme', '-s', stream, '--type', 'Said', '--data', '{"text":"private words"}');
    }
    palisade('append', '-t', 'globex', '-s', 'chat-1', '--type', 'Said', '--data', '{"text":"theirs"}');
    // Age everything but chat-3 by 40 days, in both tenants.
    const db = new Database(join(cwd, '.palisade', 'palisade.db'));
    db.prepare(
      "UPDATE events SET recorded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-40 days') WHERE stream_id <> 'chat-3'",
    ).run();
    db.close();

    const dry = palisade('purge', '-t', 'acme', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete 3 event(s) from 2 stream(s)');
    expect(dry.stdout).toContain('chat-1');
    expect(dry.stdout).not.toContain('private words');
    expect((JSON.parse(palisade('--json', 'log', '-t', 'acme').stdout) as { events: unknown[] }).events).toHaveLength(
      4,
    );

    const purged = JSON.parse(palisade('--json', 'purge', '-t', 'acme').stdout) as Record<string, unknown>;
    expect(purged).toMatchObject({ tenant: 'acme', dryRun: false, events: 3, streamCount: 2, batches: 2 });
    const log = JSON.parse(palisade('--json', 'log', '-t', 'acme').stdout) as { events: { stream: string }[] };
    expect(log.events.map((e) => e.stream)).toEqual(['chat-3', '$purges', '$purges']);
    const records = JSON.parse(palisade('--json', 'read', '-t', 'acme', '-s', '$purges').stdout) as {
      data: { events: number };
    }[];
    expect(records.map((r) => r.data.events)).toEqual([2, 1]);
    expect(JSON.stringify(records)).not.toContain('private words');
    // Another tenant's aged events are untouched: it has no retention, and says so.
    expect((JSON.parse(palisade('--json', 'log', '-t', 'globex').stdout) as { events: unknown[] }).events).toHaveLength(
      1,
    );
    const none = palisade('purge', '-t', 'globex', '--dry-run');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no retention is configured');
    expect(palisade('purge', '-t', 'globex', '--days', '0').code).toBe(2);
    expect(JSON.parse(palisade('--json', 'purge', '-t', 'globex', '--days', '10').stdout)).toMatchObject({ events: 1 });
  }, 90_000); // a dozen CLI processes, each starting Node and opening the database
});
