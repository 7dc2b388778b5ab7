import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  createRuntime,
  installedSecretPlugin,
  invalidAt,
  loadConfigWithSecrets,
  parseTenantId,
  purgeTenant,
  retentionSettings,
  type AnySecretBackendPlugin,
  type AnyStoragePlugin,
  type AppendPipeline,
  type ExpectedVersion,
  type LoadedConfigWithSecrets,
  type PalisadeConfig,
  type NewEventInput,
  type PalisadeError,
  type Runtime,
  type TenantEventStore,
} from '@palisade/core';
import { createRedactionPipeline } from '@palisade/redaction';
import { envSecretsPlugin } from '@palisade/secrets-env';
import { fileSecretsPlugin } from '@palisade/secrets-file';
import { storagePlugin as sqlitePlugin } from '@palisade/storage-sqlite';
import { registerAuditCommands, registerForgetCommand } from './audit-commands.js';
import { governanceFrom, type Governance } from './governance.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { consoleOutput, eventLine, eventTable, printError, purgeReport, streamTable, type Output } from './output.js';

export interface CliOptions {
  /** Storage plugins besides the built-in SQLite and memory ones. */
  readonly storagePlugins?: readonly AnyStoragePlugin[];
  /**
   * Secret backend plugins `secrets.backends[].kind` may name (default: env and file); other kinds are loaded
   * from `@palisade/secrets-<kind>` installed in the user's project.
   */
  readonly secretPlugins?: readonly AnySecretBackendPlugin[];
  /**
   * Builds the append pipeline from the loaded config, its secrets resolved.
   * Default: the config's data policy through `@palisade/redaction` (the
   * built-in detectors in mask mode when the config sets none). Return
   * `undefined` to store events as given.
   */
  readonly pipelineFor?: (
    loaded: LoadedConfigWithSecrets<PalisadeConfig>,
  ) => TE.TaskEither<PalisadeError, AppendPipeline | undefined>;
  /** Where output goes; defaults to the console. */
  readonly output?: (json: boolean) => Output;
}

/** An open runtime with the audit log and encryption composed from config. */
export interface Opened {
  readonly runtime: Runtime;
  readonly governance: Governance;
  close(): Promise<void>;
}

interface GlobalFlags {
  readonly config?: string;
  readonly json?: boolean;
}

const integer =
  (flag: string, min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${flag} must be an integer of at least ${min}`);
    }
    return n;
  };

const expectedVersion = (value: string): ExpectedVersion => {
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  return integer('--expected', 0)(value);
};

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit code. */
export const runCli = async (argv: readonly string[], options: CliOptions = {}): Promise<number> => {
  let exitCode: number = ExitCode.ok;
  const makeOutput = options.output ?? consoleOutput;

  /** Opens the runtime, runs `body` in the tenant's scope, closes, and records the exit code. */
  const withTenant =
    <F extends { tenant: string }>(
      body: (
        scope: TenantEventStore,
        flags: F,
        out: Output,
        runtime: Runtime,
        governance: Governance,
      ) => Promise<E.Either<PalisadeError, void>>,
    ) =>
    async (flags: F, command: Command): Promise<void> => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const out = makeOutput(globals.json === true);
      const tenant = parseTenantId(flags.tenant);
      if (E.isLeft(tenant)) {
        printError(out, tenant.left);
        exitCode = ExitCode.usage;
        return;
      }
      const opened = await openRuntime(globals, options, out)();
      if (E.isLeft(opened)) {
        printError(out, opened.left);
        exitCode = exitCodeFor(opened.left);
        return;
      }
      const { runtime, governance } = opened.right;
      try {
        const result = await body(runtime.forTenant(tenant.right), flags, out, runtime, governance);
        if (E.isLeft(result)) {
          printError(out, result.left);
          exitCode = exitCodeFor(result.left);
        }
      } finally {
        await opened.right.close();
      }
    };

  // Read before parsing: a parse error (a missing option, say) is reported before any flag is.
  const jsonErrors = argv.includes('--json');
  const program = new Command('palisade')
    .description('Palisade: tenant-isolated event streams for agents and workflows.')
    .option('-c, --config <path>', 'config file (default: palisade.config.yaml/.yml/.json in the working directory)')
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError(!jsonErrors)
    .exitOverride();
  if (jsonErrors) {
    // Usage errors as the same `{"error": ...}` line every other error is under --json.
    program.configureOutput({
      outputError: (text) => printError(makeOutput(true), invalidAt('arguments', text.replace(/^error: /, '').trim())),
      // Help shown for an error (a command or subcommand is missing) is written here; plain help goes to stdout.
      writeErr: () => printError(makeOutput(true), invalidAt('arguments', 'a known command is required (see --help)')),
    });
  }

  program
    .command('append')
    .description('append events to a stream, atomically')
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .requiredOption('-s, --stream <id>', 'the stream, e.g. order-42')
    .option('--type <type>', 'the event type (with --data)')
    .option('--data <json>', 'the event data as JSON (with --type)')
    .option('--metadata <json>', 'event metadata as a JSON object (with --type)')
    .option('--id <uuid>', 'the event id, to make retries idempotent (with --type)')
    .option('--events <file>', "a JSON array of events ({type, data, metadata?, id?}); '-' reads stdin")
    .addOption(
      new Option('--expected <version>', 'any, no_stream, stream_exists or a version')
        .argParser(expectedVersion)
        .default('any'),
    )
    .action(
      withTenant<{
        tenant: string;
        stream: string;
        type?: string;
        data?: string;
        metadata?: string;
        id?: string;
        events?: string;
        expected: ExpectedVersion;
      }>(async (scope, flags, out) => {
        const events = eventsFromFlags(flags);
        if (E.isLeft(events)) return events;
        const result = await scope.appendToStream(flags.stream, events.right, { expected: flags.expected })();
        if (E.isRight(result)) {
          const r = result.right;
          out.write(
            out.json
              ? JSON.stringify(r)
              : `${r.idempotentReplay ? 'already appended (idempotent retry): ' : 'appended '}${r.events.length} event(s) to ${flags.stream}; stream version ${r.nextExpectedVersion}, last position ${r.lastPosition}`,
          );
        }
        return E.map(() => undefined)(result);
      }),
    );

  program
    .command('read')
    .description("read a stream's events in version order")
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .requiredOption('-s, --stream <id>', 'the stream')
    .option('--backwards', 'newest first')
    .option('--from <version>', 'first version to read', integer('--from', 0))
    .option('--limit <n>', 'most events to read (default 1000)', integer('--limit', 1))
    .action(
      withTenant<{ tenant: string; stream: string; backwards?: boolean; from?: number; limit?: number }>(
        async (scope, flags, out) => {
          const result = await scope.readStream(flags.stream, {
            direction: flags.backwards === true ? 'backwards' : 'forwards',
            ...(flags.from !== undefined ? { fromVersion: flags.from } : {}),
            ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          })();
          if (E.isRight(result)) out.write(out.json ? JSON.stringify(result.right) : eventTable(result.right));
          return E.map(() => undefined)(result);
        },
      ),
    );

  program
    .command('log')
    .description("read a tenant's log: every stream, in position order, a page at a time")
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .option('--after <position>', 'start after this position (default 0)', integer('--after', 0))
    .option('--limit <n>', 'page size (default 1000)', integer('--limit', 1))
    .action(
      withTenant<{ tenant: string; after?: number; limit?: number }>(async (scope, flags, out) => {
        const result = await scope.readLog({
          ...(flags.after !== undefined ? { after: flags.after } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        })();
        if (E.isRight(result)) {
          const page = result.right;
          out.write(
            out.json
              ? JSON.stringify(page)
              : `${eventTable(page.events)}${page.more ? `\nmore: run again with --after ${page.next}` : ''}`,
          );
        }
        return E.map(() => undefined)(result);
      }),
    );

  program
    .command('follow')
    .description("follow a tenant's log live: history first, then new events as they are appended (Ctrl-C stops)")
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .option('--after <position>', 'start after this position (default 0)', integer('--after', 0))
    .option('--subscriber <name>', 'keep a durable checkpoint under this name and resume from it')
    .option('--count <n>', 'stop after this many events', integer('--count', 1))
    .action(
      withTenant<{ tenant: string; after?: number; subscriber?: string; count?: number }>(async (scope, flags, out) => {
        let seen = 0;
        let stop: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => (stop = resolve));
        const subscription = scope.subscribe({
          ...(flags.subscriber !== undefined ? { subscriber: flags.subscriber } : {}),
          ...(flags.after !== undefined ? { from: flags.after } : {}),
          handler: (event) => {
            // The rest of a batch after the count: refused, so neither printed nor past the durable checkpoint.
            if (flags.count !== undefined && seen >= flags.count) throw new Error('count reached');
            out.write(out.json ? JSON.stringify(event) : eventLine(event));
            seen++;
            if (flags.count !== undefined && seen >= flags.count) stop();
          },
        });
        if (E.isLeft(subscription)) return subscription;
        const onSignal = (): void => stop();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const ended = await Promise.race([finished.then(() => null), subscription.right.done]);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await subscription.right.stop();
        return ended === null ? E.right(undefined) : ended;
      }),
    );

  program
    .command('streams')
    .description("list a tenant's streams, optionally by prefix (category)")
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .option('--prefix <text>', 'only streams starting with this, e.g. order-')
    .option('--after <stream>', 'resume after this stream id')
    .option('--limit <n>', 'page size (default 1000)', integer('--limit', 1))
    .action(
      withTenant<{ tenant: string; prefix?: string; after?: string; limit?: number }>(async (scope, flags, out) => {
        const result = await scope.listStreams({
          ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
          ...(flags.after !== undefined ? { after: flags.after } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        })();
        if (E.isRight(result)) {
          const page = result.right;
          out.write(
            out.json
              ? JSON.stringify(page)
              : `${streamTable(page.streams)}${page.next !== null ? `\nmore: run again with --after ${page.next}` : ''}`,
          );
        }
        return E.map(() => undefined)(result);
      }),
    );

  program
    .command('purge')
    .description(
      "delete a tenant's events older than its retention (config retention.tenants / default_days, or --days); each batch is recorded in $purges",
    )
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .option('--dry-run', 'show what would be deleted; delete and record nothing')
    .option('--days <n>', "retention in days, instead of the config's", integer('--days', 1))
    .option(
      '--batch-size <n>',
      'events per delete batch (default: retention.batch_size or 1000)',
      integer('--batch-size', 1),
    )
    .action(
      withTenant<{ tenant: string; dryRun?: boolean; days?: number; batchSize?: number }>(
        async (scope, flags, out, runtime) => {
          const settings = retentionSettings(runtime.config);
          const days = flags.days ?? settings.retentionFor(scope.tenant);
          if (days === null) {
            return E.left(
              invalidAt(
                '--days',
                `is required: no retention is configured for tenant '${scope.tenant}' (retention.tenants or retention.default_days)`,
              ),
            );
          }
          const result = await purgeTenant(scope, {
            days,
            batchSize: flags.batchSize ?? settings.batchSize,
            dryRun: flags.dryRun === true,
          })();
          if (E.isRight(result)) out.write(out.json ? JSON.stringify(result.right) : purgeReport(result.right));
          return E.map(() => undefined)(result);
        },
      ),
    );

  registerAuditCommands(program, {
    withTenant,
    makeOutput,
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  registerForgetCommand(program, withTenant);

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; every other parse failure is a usage error.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    throw e;
  }
  return exitCode;
};

const openRuntime =
  (globals: GlobalFlags, options: CliOptions, out: Output): TE.TaskEither<PalisadeError, Opened> =>
  async () => {
    // `${secret:...}` references resolve through the backends the config names: env and file are built in,
    // others are loaded from the user's project (`@palisade/secrets-<kind>`).
    const loaded = await loadConfigWithSecrets({
      ...(globals.config !== undefined ? { path: globals.config } : {}),
      plugins: options.secretPlugins ?? [envSecretsPlugin, fileSecretsPlugin],
      resolvePlugin: installedSecretPlugin,
    })();
    if (E.isLeft(loaded)) return loaded;
    const { config, baseDir } = loaded.right;
    const pipeline = await (options.pipelineFor ?? dataPolicyPipeline)(loaded.right)();
    if (E.isLeft(pipeline)) {
      await loaded.right.close();
      return pipeline;
    }
    const warn = (e: unknown) => out.error(`warning: ${e instanceof Error ? e.message : 'audit failure'}`);
    const storagePlugins = [sqlitePlugin, ...(options.storagePlugins ?? [])];
    const governance = await governanceFrom(config, baseDir, pipeline.right, warn, storagePlugins)();
    // The runtime holds what it needs; the secret cache's timers must not keep the CLI alive.
    await loaded.right.close();
    if (E.isLeft(governance)) return governance;
    const g = governance.right;
    const runtime = await createRuntime(config, {
      storagePlugins,
      baseDir,
      ...(g.pipeline !== undefined ? { pipeline: g.pipeline } : {}),
      ...(g.observer !== undefined ? { observer: g.observer } : {}),
      ...(g.reader !== undefined ? { reader: g.reader } : {}),
      onObserverError: warn,
    })();
    if (E.isLeft(runtime)) {
      await g.close();
      return runtime;
    }
    g.attach(runtime.right.store);
    return E.right({
      runtime: runtime.right,
      governance: g,
      close: async () => {
        await g.close();
        await runtime.right.close();
      },
    });
  };

/** A CLI process makes one append: starting worker threads would cost more than it saves, unless the config asks for them. */
const dataPolicyPipeline = (
  loaded: LoadedConfigWithSecrets<PalisadeConfig>,
): TE.TaskEither<PalisadeError, AppendPipeline | undefined> =>
  createRedactionPipeline(loaded.config, {
    baseDir: loaded.baseDir,
    source: loaded.source ?? '(defaults)',
    secrets: loaded.secrets,
    defaultMode: 'in_thread',
  });

const parseJson = (text: string, path: string): E.Either<PalisadeError, unknown> => {
  try {
    return E.right(JSON.parse(text) as unknown);
  } catch {
    return E.left(invalidAt(path, 'is not valid JSON'));
  }
};

const eventsFromFlags = (flags: {
  type?: string;
  data?: string;
  metadata?: string;
  id?: string;
  events?: string;
}): E.Either<PalisadeError, NewEventInput[]> => {
  if (flags.events !== undefined) {
    if (flags.type !== undefined || flags.data !== undefined) {
      return E.left(invalidAt('--events', 'cannot be combined with --type/--data'));
    }
    let text: string;
    try {
      text = readFileSync(flags.events === '-' ? 0 : flags.events, 'utf8');
    } catch (e) {
      return E.left(invalidAt('--events', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`));
    }
    // The event store decodes the array and names the path of anything wrong in it.
    return E.map((u: unknown) => u as NewEventInput[])(parseJson(text, 'events'));
  }
  if (flags.type === undefined || flags.data === undefined) {
    return E.left(invalidAt('--type', 'and --data are required unless --events is given'));
  }
  const type = flags.type;
  const id = flags.id;
  return E.chain((data: unknown) =>
    E.map((metadata: unknown) => [
      {
        type,
        data: data as NewEventInput['data'],
        ...(metadata !== undefined ? { metadata: metadata as NonNullable<NewEventInput['metadata']> } : {}),
        ...(id !== undefined ? { id } : {}),
      },
    ])(flags.metadata === undefined ? E.right(undefined) : parseJson(flags.metadata, 'metadata')),
  )(parseJson(flags.data, 'data'));
};
