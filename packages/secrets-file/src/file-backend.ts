import { open, realpath } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import {
  contentVersion,
  describeDriverError,
  notFound,
  secretBackendFailed,
  selectField,
  type SecretBackend,
  type SecretBackendFailed,
  type SecretLookup,
  type SecretRef,
} from '@palisade/core';

export interface FileSecretsOptions {
  /** The directory holding one file per secret (`db/password` is `<dir>/db/password`). */
  readonly dir: string;
  /** Where a relative `dir` is resolved from; default the working directory. */
  readonly baseDir?: string;
  /** Accept files readable by their group. Default false. */
  readonly allowGroupRead?: boolean;
  /** Accept files readable by everyone. Default false. */
  readonly allowOtherRead?: boolean;
  /** Drop one trailing `\n` (or `\r\n`), as `echo` and editors add. Default true. */
  readonly trimTrailingNewline?: boolean;
  /** Files larger than this are refused as malformed. Default 64 KiB. */
  readonly maxBytes?: number;
  readonly name?: string;
}

const DEFAULT_MAX_BYTES = 64 * 1024;
// Kubernetes swaps `..data` and then removes the old directory: a read that
// races the swap may find its resolved path gone, and is simply retried.
const SWAP_RETRIES = 3;

/**
 * Secrets from a directory of files, such as a Kubernetes secret volume:
 * `<dir>/password -> ..data/password`, `..data -> ..2024_01_01_00_00_00.123`,
 * with `..data` replaced atomically on rotation. Every lookup opens the path
 * anew, so a rotation is seen without a restart (the chain's cache decides how
 * soon). Refuses files whose resolved path leaves the directory and files
 * readable by group or others unless allowed.
 */
export const createFileSecrets = (options: FileSecretsOptions): SecretBackend => {
  const name = options.name ?? 'file';
  const dir = isAbsolute(options.dir) ? options.dir : resolve(options.baseDir ?? process.cwd(), options.dir);
  const trim = options.trimTrailingNewline ?? true;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const forbiddenBits = (options.allowGroupRead === true ? 0 : 0o040) | (options.allowOtherRead === true ? 0 : 0o004);
  const fail = (
    ref: SecretRef,
    reason: SecretBackendFailed['reason'],
    what: string,
  ): E.Either<SecretBackendFailed, SecretLookup> => E.left(secretBackendFailed(name, ref.name, reason, what));

  const readOnce = async (
    ref: SecretRef,
    lastAttempt: boolean,
  ): Promise<E.Either<SecretBackendFailed, SecretLookup> | 'retry'> => {
    let root: string;
    try {
      root = await realpath(dir);
    } catch (e) {
      return fail(ref, 'misconfigured', `the secrets directory cannot be opened (${describeDriverError(e)})`);
    }
    let target: string;
    try {
      target = await realpath(join(dir, ...ref.name.split('/')));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Missing, or gone for a moment while `..data` is swapped: only the last attempt may say "not found", which
      // would let a chain fall through to the next backend.
      if (code === 'ENOENT' || code === 'ENOTDIR') return lastAttempt ? E.right(notFound) : 'retry';
      if (code === 'EACCES' || code === 'EPERM') return fail(ref, 'denied', `the file cannot be reached (${code})`);
      return fail(ref, 'unreachable', `the file cannot be resolved (${describeDriverError(e)})`);
    }
    if (!target.startsWith(root + sep))
      return fail(ref, 'insecure', 'the file resolves to a path outside the secrets directory');
    let handle;
    try {
      // O_NOFOLLOW: the path was resolved above; a symlink appearing in its place now is refused. O_NONBLOCK: a FIFO
      // opens at once (and is refused below as not a regular file) instead of waiting for a writer forever.
      handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'retry';
      if (code === 'EACCES' || code === 'EPERM') return fail(ref, 'denied', `the file cannot be opened (${code})`);
      if (code === 'ELOOP') return 'retry';
      return fail(ref, 'unreachable', `the file cannot be opened (${describeDriverError(e)})`);
    }
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) return E.right(notFound);
      if (!stat.isFile()) return fail(ref, 'malformed', 'is not a regular file');
      if ((stat.mode & forbiddenBits) !== 0) {
        return fail(
          ref,
          'insecure',
          `the file is readable by ${(stat.mode & 0o004) !== 0 ? 'others' : 'its group'} (mode ${(stat.mode & 0o777).toString(8)}); tighten it or set allow_group_read/allow_other_read`,
        );
      }
      if (stat.size > maxBytes)
        return fail(ref, 'malformed', `the file is ${stat.size} bytes, over the limit of ${maxBytes}`);
      let text = (await handle.readFile()).toString('utf8');
      if (trim) text = text.replace(/\r?\n$/, '');
      return selectField(name, ref, text, contentVersion(text));
    } catch (e) {
      return fail(ref, 'unreachable', `the file cannot be read (${describeDriverError(e)})`);
    } finally {
      await handle.close();
    }
  };

  return {
    name,
    lookup:
      (ref: SecretRef): TE.TaskEither<SecretBackendFailed, SecretLookup> =>
      async () => {
        if (ref.version !== undefined) return fail(ref, 'unsupported', 'files have no versions');
        for (let attempt = 0; attempt < SWAP_RETRIES; attempt++) {
          const outcome = await readOnce(ref, attempt === SWAP_RETRIES - 1);
          if (outcome !== 'retry') return outcome;
        }
        return fail(ref, 'unreachable', 'the file kept changing while it was read');
      },
    close: () => Promise.resolve(),
  };
};
