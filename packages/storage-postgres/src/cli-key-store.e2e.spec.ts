import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  appUrl,
  asAdmin,
  dropSchema,
  ensureTestDatabase,
  ownerUrl,
  uniqueSchema,
} from './test-database.spec-helper.js';

const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/*
 * The CLI as a user drives it with `storage.kind: postgres` and encryption:
 * the key store comes from this package (installed in the user's project,
 * resolved like the storage plugin), so keys live beside the events and
 * `forget` destroys one tenant's key in PostgreSQL.
 */
describe('palisade forget on PostgreSQL storage', () => {
  let cwd: string;
  let schema: string;
  beforeAll(() => ensureTestDatabase());
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'palisade-pg-keys-'));
    schema = uniqueSchema();
    // What `npm install @palisade/storage-postgres` leaves in the project.
    mkdirSync(join(cwd, 'node_modules', '@palisade'), { recursive: true });
    symlinkSync(PACKAGE, join(cwd, 'node_modules', '@palisade', 'storage-postgres'), 'dir');
    const secrets = join(cwd, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    writeFileSync(join(secrets, 'kek'), randomBytes(32).toString('base64'), { mode: 0o600 });
    writeFileSync(
      join(cwd, 'palisade.config.yaml'),
      [
        'storage:',
        '  kind: postgres',
        `  url: ${appUrl}`,
        `  migration_url: ${ownerUrl}`,
        `  schema: ${schema}`,
        '  partitions: 2',
        'secrets:',
        '  backends:',
        '    - kind: file',
        '      dir: ./secrets',
        // The email is left to encryption (kept, forgettable) rather than masked by the data policy.
        'data_policy:',
        '  pii_detectors: [ssn, phone, credit_card, ip_address, aws_access_key, aws_secret_key, api_secret, iban]',
        'encryption:',
        '  kek: ${secret:kek}',
        '  kek_id: kek-1',
        '  personal_data:',
        '    - event_type: CustomerRegistered',
        '      subject: data.customerId',
        '      fields: [data.email]',
        '',
      ].join('\n'),
    );
  });
  afterEach(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await dropSchema(schema);
  });

  const palisade = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const register = (tenant: string, customer: string, email: string) =>
    palisade(
      'append',
      '-t',
      tenant,
      '-s',
      `customer-${customer}`,
      '--type',
      'CustomerRegistered',
      '--data',
      JSON.stringify({ customerId: customer, email }),
    ).code;
  const read = (tenant: string, stream: string) =>
    (JSON.parse(palisade('--json', 'read', '-t', tenant, '-s', stream).stdout) as { data: unknown }[])[0]!.data;
  const keysByTenant = () =>
    asAdmin(async (admin) => {
      const rows = await admin.query<{ tenant_id: string }>(
        // Subjects' keys only (refs `s:...`): each tenant also has its KEK check key, `k:check`.
        `SELECT tenant_id FROM "${schema}".data_keys WHERE key_ref LIKE 's:%' ORDER BY tenant_id`,
      );
      return rows.rows.map((r) => r.tenant_id);
    });

  it('keeps the keys in PostgreSQL and forgets a subject in one tenant only', async () => {
    expect(register('acme', 'c-1', 'ann@example.com')).toBe(0);
    expect(register('globex', 'c-1', 'ann@globex.example')).toBe(0);
    expect(await keysByTenant()).toEqual(['acme', 'globex']);
    // Ciphertext in the events table, not the address.
    const events = await asAdmin((admin) => admin.query(`SELECT data FROM "${schema}".events`));
    expect(JSON.stringify(events.rows)).not.toContain('ann@example.com');

    const forgot = palisade('--json', 'forget', '-t', 'acme', '--subject', 'c-1', '--actor', 'dpo:eve');
    expect(forgot.code).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({ existed: true });
    expect(await keysByTenant()).toEqual(['globex']);
    expect(read('acme', 'customer-c-1')).toEqual({ customerId: 'c-1', email: { $erased: true } });
    expect(read('globex', 'customer-c-1')).toEqual({ customerId: 'c-1', email: 'ann@globex.example' });
  });

  it('names the storage option that is wrong when the key store cannot be built from it', () => {
    writeFileSync(
      join(cwd, 'palisade.config.yaml'),
      [
        'storage: { kind: postgres, url: "mysql://nope" }',
        'encryption:',
        '  kek: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        '  kek_id: kek-1',
        '',
      ].join('\n'),
    );
    const r = palisade('read', '-t', 'acme', '-s', 's-1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('storage.url');
    expect(r.stderr).not.toContain('mysql://nope');
  });
});
