import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import Table from 'cli-table3';
import {
  auditVerificationFailed,
  configInvalid,
  invalidAt,
  type PalisadeError,
  type Runtime,
  type TenantEventStore,
} from '@palisade/core';
import {
  createVerifier,
  csvHeader,
  csvLine,
  exportAuditLog,
  jsonlLine,
  loadPublicKey,
  queryAuditLog,
  readAuditLog,
  verifyCsv,
  verifyJsonl,
  type TrustedKey,
  type VerifyOptions,
  type VerifyReport,
} from '@palisade/audit';
import { ExitCode } from './exit-codes.js';
import type { Governance } from './governance.js';
import { printError, type Output } from './output.js';

type Body<F> = (
  scope: TenantEventStore,
  flags: F,
  out: Output,
  runtime: Runtime,
  governance: Governance,
) => Promise<E.Either<PalisadeError, void>>;

export type WithTenant = <F extends { tenant: string }>(body: Body<F>) => (flags: F, command: Command) => Promise<void>;

interface Host {
  readonly withTenant: WithTenant;
  readonly makeOutput: (json: boolean) => Output;
  readonly setExitCode: (code: number) => void;
}

const defaultActor = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

const noAudit = () =>
  configInvalid('config', [{ path: 'audit', message: 'is not configured: add an audit section (docs/governance.md)' }]);

/** A file stream that is open (or the reason it cannot be): `createWriteStream` alone reports a bad path later, as an event. */
const openForWriting = (path: string): Promise<E.Either<ReturnType<typeof invalidAt>, WriteStream>> =>
  new Promise((resolve) => {
    const stream = createWriteStream(path);
    stream.once('open', () => resolve(E.right(stream)));
    stream.once('error', (e: NodeJS.ErrnoException) =>
      resolve(E.left(invalidAt('--out', `cannot be written (${e.code ?? 'error'})`))),
    );
  });

/** `palisade audit verify|export|query|checkpoint|public-key`. */
export const registerAuditCommands = (program: Command, host: Host): void => {
  const { withTenant } = host;
  const audit = program.command('audit').description('the tamper-evident audit log: verify, export, query');

  audit
    .command('verify')
    .description("verify a tenant's stored audit log (--tenant), or an export file with a public key alone (--file)")
    .option('-t, --tenant <id>', 'verify this tenant’s stored log')
    .option('--file <path>', 'verify an export (JSON Lines or CSV)')
    .addOption(
      new Option('--format <format>', 'the export format (default: from the file name)').choices(['jsonl', 'csv']),
    )
    .option('--public-key <file>', 'a PEM public key to trust (default: the configured signing key)')
    .option('--key-id <id>', 'the key id of --public-key (default: trust it for any key id)')
    .option('--anchor <seq:hash>', 'a checkpoint trusted from before: the log must reach it with this hash')
    .action(async (flags: VerifyFlags, command: Command) => {
      if (flags.file !== undefined) {
        const out = host.makeOutput(command.optsWithGlobals<{ json?: boolean }>().json === true);
        const result = verifyFile(flags);
        if (E.isLeft(result)) {
          printError(out, result.left);
          host.setExitCode(ExitCode.usage);
          return;
        }
        host.setExitCode(reportOutcome(out, result.right));
        return;
      }
      if (flags.tenant === undefined) {
        const out = host.makeOutput(command.optsWithGlobals<{ json?: boolean }>().json === true);
        printError(out, invalidAt('--tenant', 'or --file is required'));
        host.setExitCode(ExitCode.usage);
        return;
      }
      await withTenant<VerifyFlags & { tenant: string }>(async (scope, f, out, _runtime, governance) => {
        const keys = f.publicKey !== undefined ? readKey(f) : trustedFromSigner(governance);
        if (E.isLeft(keys)) return keys;
        const anchor = parseAnchor(f.anchor);
        if (E.isLeft(anchor)) return anchor;
        const verifier = createVerifier({
          ...keys.right,
          export: false,
          tenant: scope.tenant,
          ...(anchor.right !== undefined ? { anchor: anchor.right } : {}),
        });
        for await (const record of readAuditLog(scope)) {
          if (E.isLeft(record)) return record;
          verifier.push({ kind: 'entry', ...record.right });
        }
        const code = reportOutcome(out, verifier.finish());
        return code === ExitCode.ok ? E.right(undefined) : E.left(auditVerificationFailed(['see the report above']));
      })(flags as VerifyFlags & { tenant: string }, command);
    });

  audit
    .command('export')
    .description("export a tenant's audit log with its checkpoints and a signed seal, for verification anywhere")
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write here instead of stdout')
    .option('--actor <who>', 'who exports, for the audit log', defaultActor())
    .action(
      withTenant<{ tenant: string; format: 'jsonl' | 'csv'; out?: string; actor: string }>(
        async (scope, flags, out, _runtime, governance) => {
          if (governance.auditor === null) return E.left(noAudit());
          // Opened before anything is recorded: a path that cannot be written is bad input, and no export happened.
          let file: WriteStream | null = null;
          if (flags.out !== undefined) {
            const opened = await openForWriting(flags.out);
            if (E.isLeft(opened)) return opened;
            file = opened.right;
          }
          // The export is itself an operator action: recorded first, so the export holds it.
          const recorded = await governance.auditor.record(scope, {
            actor: flags.actor,
            action: 'audit.export',
            outcome: 'success',
            details: { format: flags.format },
          })();
          if (E.isLeft(recorded)) {
            file?.destroy();
            return recorded;
          }
          let writeError: NodeJS.ErrnoException | undefined;
          file?.on('error', (e: NodeJS.ErrnoException) => (writeError ??= e));
          // Listened for from the start: a failed write closes the stream at once, possibly before the export ends.
          const closed =
            file === null ? Promise.resolve() : new Promise<void>((resolve) => file.once('close', () => resolve()));
          const sink: NodeJS.WritableStream = file ?? process.stdout;
          // Waits for 'drain' when the sink is full, so a large log streams in constant memory; a write error
          // (disk full) ends the wait too, and the rest of the export is skipped.
          const write = (text: string): Promise<void> => {
            if (writeError !== undefined || sink.write(text)) return Promise.resolve();
            return new Promise((resolve) => {
              const settle = (): void => {
                sink.off('drain', settle);
                sink.off('error', settle);
                resolve();
              };
              sink.once('drain', settle);
              sink.once('error', settle);
            });
          };
          if (flags.format === 'csv') await write(csvHeader());
          const done = await exportAuditLog(
            scope,
            governance.signer !== undefined ? { signer: governance.signer } : {},
            (line) => write(flags.format === 'csv' ? csvLine(line) : jsonlLine(line)),
          );
          if (file !== null) {
            // 'close' comes after the last byte is written or after a failure, which may show only at this flush.
            if (writeError === undefined) file.end();
            else file.destroy();
            await closed;
          }
          if (writeError !== undefined) {
            return E.left(invalidAt('--out', `could not be written (${writeError.code ?? 'error'})`));
          }
          if (E.isRight(done) && file !== null) {
            out.write(
              out.json
                ? JSON.stringify(done.right)
                : `exported ${done.right.entries} entries to ${flags.out}${done.right.sealed ? ', sealed' : ', NOT sealed (no signing key)'}`,
            );
          }
          return E.map(() => undefined)(done);
        },
      ),
    );

  audit
    .command('query')
    .description('find audit entries by action, actor, outcome and time range')
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .option('--action <action>', "an action, or a prefix ending in '*' (policy.*)")
    .option('--actor <actor>', 'who')
    .option('--outcome <outcome>', 'success, replayed, refused or failed')
    .option('--from <time>', 'from this ISO-8601 time, inclusive')
    .option('--to <time>', 'until this ISO-8601 time, exclusive')
    .option('--limit <n>', 'most entries (default 1000)', (v) => Number(v))
    .action(
      withTenant<{
        tenant: string;
        action?: string;
        actor?: string;
        outcome?: string;
        from?: string;
        to?: string;
        limit?: number;
      }>(async (scope, flags, out) => {
        const { tenant: _t, ...query } = flags;
        const result = await queryAuditLog(scope, query);
        if (E.isLeft(result)) return result;
        const { entries, truncated } = result.right;
        if (out.json) out.write(JSON.stringify({ entries: entries.map((e) => e.entry), truncated }));
        else if (entries.length === 0) out.write('(no entries)');
        else {
          const table = new Table({ head: ['seq', 'at', 'actor', 'action', 'outcome'] });
          for (const e of entries) table.push([e.seq, e.entry.at, e.entry.actor, e.entry.action, e.entry.outcome]);
          out.write(`${table.toString()}${truncated ? '\nmore entries matched: raise --limit' : ''}`);
        }
        return E.right(undefined);
      }),
    );

  audit
    .command('checkpoint')
    .description('write a signed checkpoint now')
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .action(
      withTenant<{ tenant: string }>(async (scope, _flags, out, _runtime, governance) => {
        if (governance.auditor === null || governance.signer === undefined) return E.left(noAudit());
        const r = await governance.auditor.checkpoint(scope)();
        if (E.isRight(r)) {
          out.write(
            out.json
              ? JSON.stringify(r.right)
              : r.right === null
                ? 'already checkpointed'
                : `checkpoint at entry ${r.right.seq}`,
          );
        }
        return E.map(() => undefined)(r);
      }),
    );

  audit
    .command('public-key')
    .description('print the public key that verifies checkpoints and seals (PEM), and its key id')
    .requiredOption('-t, --tenant <id>', 'any tenant (the key is the same for all)')
    .action(
      withTenant<{ tenant: string }>((_scope, _flags, out, _runtime, governance) => {
        const signer = governance.signer;
        if (signer === undefined) return Promise.resolve(E.left(noAudit()));
        out.write(
          out.json
            ? JSON.stringify({ keyId: signer.keyId, publicKey: signer.publicKeyPem })
            : `# key id: ${signer.keyId}\n${signer.publicKeyPem}`,
        );
        return Promise.resolve(E.right(undefined));
      }),
    );
};

/** `palisade forget --tenant T --subject S`: crypto-shreds a data subject, audited. */
export const registerForgetCommand = (program: Command, withTenant: WithTenant): void => {
  program
    .command('forget')
    .description('erase a data subject: destroy their key, so their personal fields read as erased everywhere')
    .requiredOption('-t, --tenant <id>', 'the tenant')
    .requiredOption('--subject <id>', "the data subject's id")
    .option('--actor <who>', 'who asks, for the audit log', defaultActor())
    .option('--reason <text>', 'why (e.g. a request reference), for the audit log')
    .action(
      withTenant<{ tenant: string; subject: string; actor: string; reason?: string }>(
        async (scope, flags, out, _runtime, governance) => {
          const encryption = governance.encryption;
          if (encryption === null) {
            return E.left(
              configInvalid('config', [
                { path: 'encryption', message: 'is not configured: nothing is encrypted per subject' },
              ]),
            );
          }
          const done = await encryption.forget(scope.tenant, flags.subject);
          const ref = encryption.subjectRef(scope.tenant, flags.subject);
          if (governance.auditor !== null) {
            // The subject id itself is personal data: the entry names the key ref only.
            const recorded = await governance.auditor.record(scope, {
              actor: flags.actor,
              action: 'subject.forget',
              outcome: E.isRight(done) ? 'success' : 'failed',
              details: {
                ref,
                ...(E.isRight(done) ? { existed: done.right.existed } : { error: done.left.code }),
                ...(flags.reason !== undefined ? { reason: flags.reason.slice(0, 500) } : {}),
              },
            })();
            if (E.isLeft(recorded)) return recorded;
          }
          if (E.isLeft(done)) return done;
          out.write(
            out.json
              ? JSON.stringify({ ref, existed: done.right.existed })
              : done.right.existed
                ? `forgotten: key ${ref} destroyed; the subject's fields now read as erased`
                : `no key for this subject (${ref}): nothing was stored for them, or they were forgotten before`,
          );
          return E.right(undefined);
        },
      ),
    );
};

interface VerifyFlags {
  tenant?: string;
  file?: string;
  format?: 'jsonl' | 'csv';
  publicKey?: string;
  keyId?: string;
  anchor?: string;
}

const readKey = (flags: VerifyFlags): E.Either<PalisadeError, Pick<VerifyOptions, 'keys' | 'anyKeyId'>> => {
  let pem: string;
  try {
    pem = readFileSync(flags.publicKey!, 'utf8');
  } catch (e) {
    return E.left(invalidAt('--public-key', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`));
  }
  const key = loadPublicKey(flags.keyId ?? '', pem);
  if (E.isLeft(key)) return E.left(invalidAt('--public-key', key.left));
  return E.right({ keys: [key.right], anyKeyId: flags.keyId === undefined });
};

const trustedFromSigner = (governance: Governance): E.Either<PalisadeError, { keys: TrustedKey[] }> => {
  const signer = governance.signer;
  if (signer === undefined) return E.right({ keys: [] });
  const key = loadPublicKey(signer.keyId, signer.publicKeyPem);
  return E.isLeft(key) ? E.left(invalidAt('audit.signing.key', key.left)) : E.right({ keys: [key.right] });
};

const parseAnchor = (text: string | undefined): E.Either<PalisadeError, { seq: number; head: string } | undefined> => {
  if (text === undefined) return E.right(undefined);
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text);
  return m === null
    ? E.left(invalidAt('--anchor', 'must be <seq>:<sha256 hex>, as a previous verification printed'))
    : E.right({ seq: Number(m[1]), head: m[2]! });
};

const verifyFile = (flags: VerifyFlags): E.Either<PalisadeError, VerifyReport> => {
  if (flags.publicKey === undefined) return E.left(invalidAt('--public-key', 'is required to verify a file'));
  const keys = readKey(flags);
  if (E.isLeft(keys)) return keys;
  const anchor = parseAnchor(flags.anchor);
  if (E.isLeft(anchor)) return anchor;
  let text: string;
  try {
    text = readFileSync(flags.file!, 'utf8');
  } catch (e) {
    return E.left(invalidAt('--file', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`));
  }
  const options: VerifyOptions = { ...keys.right, ...(anchor.right !== undefined ? { anchor: anchor.right } : {}) };
  const csv = flags.format === 'csv' || (flags.format === undefined && flags.file!.endsWith('.csv'));
  return E.right(csv ? verifyCsv(text, options) : verifyJsonl(text, options));
};

/** Prints the report; returns the exit code. */
const reportOutcome = (out: Output, report: VerifyReport): number => {
  if (out.json) out.write(JSON.stringify(report));
  else {
    const lines = [
      report.ok ? 'OK: the audit log verifies' : `FAILED: ${report.problems.length} problem(s)`,
      `tenant: ${report.tenant ?? '?'}; entries: ${report.entries}; checkpoints: ${report.checkpoints}; sealed: ${report.sealed}`,
      report.head === null
        ? 'empty log'
        : report.ok
          ? `head (keep as --anchor next time): ${report.head.seq}:${report.head.hash}`
          : `last entry read: ${report.head.seq}`,
      `entries after the last checkpoint: ${report.uncheckpointed}`,
      ...report.problems
        .slice(0, 20)
        .map((p) => `  line ${p.line}${p.seq !== undefined ? ` (entry ${p.seq})` : ''}: ${p.kind}: ${p.message}`),
    ];
    out.write(lines.join('\n'));
  }
  return report.ok ? ExitCode.ok : ExitCode.tampered;
};
