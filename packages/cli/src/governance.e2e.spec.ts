import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe('palisade audit and forget, as a user drives them', () => {
  let cwd: string;
  let privateKeyPem: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'palisade-gov-'));
    const secrets = join(cwd, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    privateKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(join(secrets, 'audit-signing'), privateKeyPem, { mode: 0o600 });
    writeFileSync(join(secrets, 'kek'), randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(secrets, 0o700);
    writeFileSync(
      join(cwd, 'palisade.config.yaml'),
      [
        'secrets:',
        '  backends:',
        '    - kind: file',
        '      dir: ./secrets',
        'audit:',
        '  signing:',
        '    key: ${secret:audit-signing}',
        '    key_id: audit-2026',
        '  checkpoint_every: 4',
        '  data_policy:',
        '    retain_prompts: false',
        // Personal fields are kept encrypted (and forgettable), not masked: the data policy leaves them to encryption.
        'data_policy:',
        '  pii_detectors: [ssn, phone, credit_card, ip_address, aws_access_key, aws_secret_key, api_secret, iban]',
        'encryption:',
        '  kek: ${secret:kek}',
        '  kek_id: kek-1',
        '  personal_data:',
        '    - event_type: CustomerRegistered',
        '      subject: data.customerId',
        '      fields: [data.name]',
        '',
      ].join('\n'),
    );
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const palisade = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  // The personal field is a name: no detector of the data policy touches it, so encryption is what protects it.
  const register = (tenant: string, customer: string, name: string) =>
    palisade(
      'append',
      '-t',
      tenant,
      '-s',
      `customer-${customer}`,
      '--type',
      'CustomerRegistered',
      '--data',
      JSON.stringify({ customerId: customer, name }),
      '--metadata',
      '{"actor":"user:7"}',
    );

  it('audits appends, forgets a subject in one tenant only, and the export verifies outside with the public key', () => {
    expect(register('acme', 'c-1', 'Ann Lovelace').code).toBe(0);
    expect(register('acme', 'c-2', 'Bob Babbage').code).toBe(0);
    expect(register('globex', 'c-1', 'Ann of Globex').code).toBe(0);
    expect(
      palisade(
        'append',
        '-t',
        'acme',
        '-s',
        'run-1',
        '--type',
        'ModelCalled',
        '--data',
        '{"prompt":"hello model","tokens":12}',
      ).code,
    ).toBe(0);

    const forgot = palisade('--json', 'forget', '-t', 'acme', '--subject', 'c-1', '--actor', 'dpo:eve');
    expect(forgot.code).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({ existed: true });
    const read = (tenant: string, stream: string) =>
      (JSON.parse(palisade('--json', 'read', '-t', tenant, '-s', stream).stdout) as { data: unknown }[])[0]!.data;
    expect(read('acme', 'customer-c-1')).toEqual({ customerId: 'c-1', name: { $erased: true } });
    expect(read('acme', 'customer-c-2')).toEqual({ customerId: 'c-2', name: 'Bob Babbage' });
    expect(read('globex', 'customer-c-1')).toEqual({ customerId: 'c-1', name: 'Ann of Globex' });

    // Query: by action and actor.
    const q = JSON.parse(palisade('--json', 'audit', 'query', '-t', 'acme', '--action', 'subject.*').stdout) as {
      entries: { actor: string; details: { ref: string } }[];
    };
    expect(q.entries.map((e) => e.actor)).toEqual(['dpo:eve']);
    expect(JSON.stringify(q)).not.toContain('c-1');
    const byActor = JSON.parse(palisade('--json', 'audit', 'query', '-t', 'acme', '--actor', 'user:7').stdout) as {
      entries: { action: string }[];
    };
    expect(byActor.entries.map((e) => e.action)).toEqual(['event.append', 'event.append']);

    // A path that cannot be written is bad input (exit 2), named, and no export is recorded.
    const entriesBefore = palisade('--json', 'audit', 'query', '-t', 'acme', '--action', 'audit.export').stdout;
    const bad = palisade('audit', 'export', '-t', 'acme', '--out', join(cwd, 'no-such-dir', 'x.jsonl'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--out');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(palisade('--json', 'audit', 'query', '-t', 'acme', '--action', 'audit.export').stdout).toBe(entriesBefore);

    // A disk that fills up mid-export: exit 2 naming --out and the reason, not a silent exit. The log is made
    // larger than a stream's buffer first, so that the failure comes while the export is still writing.
    const bulk = Array.from({ length: 150 }, (_, i) => ({ type: 'Noted', data: { text: `${i} ${'x'.repeat(200)}` } }));
    writeFileSync(join(cwd, 'bulk.json'), JSON.stringify(bulk));
    expect(palisade('append', '-t', 'acme', '-s', 'bulk-1', '--events', 'bulk.json').code).toBe(0);
    if (existsSync('/dev/full')) {
      const full = palisade('audit', 'export', '-t', 'acme', '--out', '/dev/full');
      expect(full.code).toBe(2);
      expect(full.stderr).toContain('--out');
      expect(full.stderr).toContain('ENOSPC');
    }

    // Export and verify with nothing but the export and the public key.
    expect(palisade('audit', 'export', '-t', 'acme', '--out', 'acme.jsonl').code).toBe(0);
    expect(palisade('audit', 'export', '-t', 'acme', '--format', 'csv', '--out', 'acme.csv').code).toBe(0);
    const pub = palisade('audit', 'public-key', '-t', 'acme');
    writeFileSync(join(cwd, 'pub.pem'), pub.stdout);
    rmSync(join(cwd, 'palisade.config.yaml'));
    rmSync(join(cwd, '.palisade'), { recursive: true });
    const ok = palisade(
      '--json',
      'audit',
      'verify',
      '--file',
      'acme.jsonl',
      '--public-key',
      'pub.pem',
      '--key-id',
      'audit-2026',
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, tenant: 'acme', sealed: true });
    expect(palisade('audit', 'verify', '--file', 'acme.csv', '--public-key', 'pub.pem').code).toBe(0);

    const text = readFileSync(join(cwd, 'acme.jsonl'), 'utf8');
    expect(text).not.toContain('Ann Lovelace');
    expect(text).not.toContain('hello model'); // retain_prompts: false
    expect(text).toContain('"tokens":12');

    // Tampering: one changed character, a removed line, a cut-off end.
    const lines = text.trimEnd().split('\n');
    const tamper = (name: string, body: string) => {
      writeFileSync(join(cwd, name), body);
      return palisade('audit', 'verify', '--file', name, '--public-key', 'pub.pem');
    };
    expect(tamper('changed.jsonl', text.replace('user:7', 'user:8')).code).toBe(5);
    expect(tamper('deleted.jsonl', [...lines.slice(0, 3), ...lines.slice(4)].join('\n') + '\n').code).toBe(5);
    const cut = tamper('cut.jsonl', lines.slice(0, -2).join('\n') + '\n');
    expect(cut.code).toBe(5);
    expect(cut.stdout).toContain('unsealed');
  }, 120_000);

  it('forgets a subject whose id is an e-mail address that redaction masks in the stored event', () => {
    const configPath = join(cwd, 'palisade.config.yaml');
    writeFileSync(
      configPath,
      readFileSync(configPath, 'utf8')
        .replace(/ {2}pii_detectors: \[.*\]\n/, '  pii_detectors: [email]\n')
        .replace('subject: data.customerId', 'subject: data.email'),
    );
    const registerByEmail = (email: string, name: string) =>
      palisade(
        'append',
        '-t',
        'acme',
        '-s',
        `customer-${name.split(' ')[0]!.toLowerCase()}`,
        '--type',
        'CustomerRegistered',
        '--data',
        JSON.stringify({ email, name }),
      );
    // Both addresses mask to b***@example.com: the key must still be each person's own.
    expect(registerByEmail('bob@example.com', 'Bob Babbage').code).toBe(0);
    expect(registerByEmail('bill@example.com', 'Bill Gates').code).toBe(0);
    const forgot = palisade('--json', 'forget', '-t', 'acme', '--subject', 'bob@example.com', '--actor', 'dpo:eve');
    expect(forgot.code).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({ existed: true });
    const read = (stream: string) =>
      (JSON.parse(palisade('--json', 'read', '-t', 'acme', '-s', stream).stdout) as { data: unknown }[])[0]!.data;
    expect(read('customer-bob')).toEqual({ email: 'b***@example.com', name: { $erased: true } });
    expect(read('customer-bill')).toEqual({ email: 'b***@example.com', name: 'Bill Gates' });
  });

  it('verifies the stored log, and refuses verify without a key or a tenant', () => {
    register('acme', 'c-1', 'Ann Lovelace');
    const stored = palisade('--json', 'audit', 'verify', '-t', 'acme');
    expect(stored.code).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({ ok: true, tenant: 'acme' });
    expect(palisade('audit', 'verify').code).toBe(2);
    expect(palisade('audit', 'verify', '--file', 'x.jsonl').code).toBe(2);
    expect(existsSync(join(cwd, '.palisade', 'palisade.db'))).toBe(true);
  }, 60_000);

  it('names the config path, never the value, when the signing key is not a key', () => {
    writeFileSync(join(cwd, 'secrets', 'audit-signing'), 'not-a-key-but-secret-text', { mode: 0o600 });
    const r = palisade('streams', '-t', 'acme');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('audit.signing.key');
    expect(r.stderr).not.toContain('secret-text');
  });
});
