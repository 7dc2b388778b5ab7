import { parseArgs } from 'node:util';
import pg from 'pg';
import { SCHEMA_NAME } from './postgres-storage.js';
import { describePgError } from './errors.js';
import { migrate } from './schema.js';

/*
 * `palisade-postgres-migrate`: applies the schema as a deploy step, with the
 * owner's credentials, so the runtime never needs them. The URL comes from
 * --url or PALISADE_POSTGRES_MIGRATION_URL (an environment variable keeps a
 * password out of the process list); PGPASSWORD is honoured by the driver.
 */

export const USAGE = `Usage: palisade-postgres-migrate --runtime-role <role> [--url <owner url>] [--schema <name>] [--partitions <n>]

Applies Palisade's PostgreSQL migrations to <schema> (default: palisade) as the
schema owner, and grants the runtime role what it needs. Safe to run twice and
from two machines at once.

  --url           owner connection URL (or PALISADE_POSTGRES_MIGRATION_URL)
  --runtime-role  the role the runtime connects as (granted access, owns nothing)
  --schema        schema name (default: palisade)
  --partitions    hash partitions per table when the schema is created (default: 16)
`;

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Runs the command; returns the exit code (0 done, 1 failed, 2 usage). */
export const runMigrateCommand = async (argv: readonly string[], io: CommandIo): Promise<number> => {
  let values: {
    url?: string | undefined;
    'runtime-role'?: string | undefined;
    schema?: string | undefined;
    partitions?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        url: { type: 'string' },
        'runtime-role': { type: 'string' },
        schema: { type: 'string' },
        partitions: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch {
    io.err('palisade-postgres-migrate: unknown or malformed option');
    io.err(USAGE);
    return 2;
  }
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  const url = values.url ?? io.env.PALISADE_POSTGRES_MIGRATION_URL;
  const role = values['runtime-role'];
  const schema = values.schema ?? 'palisade';
  const partitions = values.partitions === undefined ? undefined : Number(values.partitions);
  const problems = [
    url === undefined || !/^postgres(ql)?:\/\//.test(url)
      ? '--url (or PALISADE_POSTGRES_MIGRATION_URL) must be a postgres:// URL'
      : null,
    role === undefined || !ROLE_NAME.test(role) ? '--runtime-role must name a role (lower-case identifier)' : null,
    SCHEMA_NAME.test(schema) ? null : "--schema must be 1 to 48 lower-case letters, digits or '_'",
    partitions === undefined || (Number.isSafeInteger(partitions) && partitions >= 1 && partitions <= 1024)
      ? null
      : '--partitions must be an integer from 1 to 1024',
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) {
    for (const p of problems) io.err(`palisade-postgres-migrate: ${p}`);
    return 2;
  }
  const client = new pg.Client({ connectionString: url, application_name: 'palisade-migrate' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const outcome = await migrate(client, schema, role!, partitions === undefined ? {} : { partitions });
    io.out(
      outcome.from === outcome.to
        ? `schema ${schema} is at version ${outcome.to}: nothing to apply; grants to ${role} checked`
        : `schema ${schema} migrated from version ${outcome.from} to ${outcome.to}; grants to ${role} applied`,
    );
    return 0;
  } catch (e) {
    io.err(`palisade-postgres-migrate: failed (${describePgError(e)})`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
};
