import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { SCHEMA_VERSION } from './schema.js';
import { APP_ROLE, dropSchema, ensureTestDatabase, ownerUrl, uniqueSchema } from './test-database.spec-helper.js';

const BIN = fileURLToPath(new URL('../dist/migrate-bin.js', import.meta.url));

const run = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const schemas: string[] = [];
beforeAll(() => ensureTestDatabase());
afterEach(async () => {
  for (const s of schemas.splice(0)) await dropSchema(s);
});

describe('palisade-postgres-migrate', () => {
  it('migrates a schema, grants the runtime role, and reports nothing to do the second time', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const first = run(['--runtime-role', APP_ROLE, '--schema', schema, '--partitions', '4'], {
      PALISADE_POSTGRES_MIGRATION_URL: ownerUrl,
    });
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`migrated from version 0 to ${SCHEMA_VERSION}`);
    const second = run(['--url', ownerUrl, '--runtime-role', APP_ROLE, '--schema', schema]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('nothing to apply');
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    const granted = await client.query<{ ok: boolean }>(`SELECT has_table_privilege($1, $2, 'INSERT') AS ok`, [
      APP_ROLE,
      `"${schema}".events`,
    ]);
    expect(granted.rows[0]?.ok).toBe(true);
    const parts = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_inherits WHERE inhparent = $1::regclass`,
      [`"${schema}".events`],
    );
    await client.end();
    expect(Number(parts.rows[0]?.n)).toBe(4);
  });

  it('exits 2 naming each bad option, and 1 without the password when the server refuses', () => {
    const usage = run(['--url', 'mysql://x', '--runtime-role', 'Bad Role', '--schema', 'Nope', '--partitions', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--url');
    expect(usage.stderr).toContain('--runtime-role');
    expect(usage.stderr).toContain('--schema');
    expect(usage.stderr).toContain('--partitions');
    expect(run(['--bogus']).code).toBe(2);
    const refused = run(['--url', 'postgres://nobody:hunter2-pw@127.0.0.1:1/test', '--runtime-role', APP_ROLE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ECONNREFUSED');
    expect(refused.stdout + refused.stderr).not.toContain('hunter2');
  });
});
