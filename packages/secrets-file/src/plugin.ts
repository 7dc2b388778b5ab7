import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PositiveInt, strict, type SecretBackendPlugin } from '@palisade/core';
import { createFileSecrets } from './file-backend.js';

const FileSecretsConfig = strict(
  { dir: t.string },
  {
    allow_group_read: t.boolean,
    allow_other_read: t.boolean,
    trim_trailing_newline: t.boolean,
    max_bytes: PositiveInt,
  },
  'FileSecretsOptions',
);
export type FileSecretsConfig = t.TypeOf<typeof FileSecretsConfig>;

/** `secrets: { backends: [ { kind: file, dir: /var/run/secrets/palisade } ] }`; a relative `dir` is resolved from the config file. */
export const fileSecretsPlugin: SecretBackendPlugin<FileSecretsConfig> = {
  kind: 'file',
  options: FileSecretsConfig,
  create: (options, context) =>
    E.right(
      createFileSecrets({
        name: context.name,
        dir: options.dir,
        baseDir: context.baseDir,
        ...(options.allow_group_read !== undefined ? { allowGroupRead: options.allow_group_read } : {}),
        ...(options.allow_other_read !== undefined ? { allowOtherRead: options.allow_other_read } : {}),
        ...(options.trim_trailing_newline !== undefined ? { trimTrailingNewline: options.trim_trailing_newline } : {}),
        ...(options.max_bytes !== undefined ? { maxBytes: options.max_bytes } : {}),
      }),
    ),
};
