import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  loadConfigWithSecrets,
  PalisadeConfig,
  type AnySecretBackendPlugin,
  type AnyStoragePlugin,
  type ConfigInvalid,
  type LoadedConfigWithSecrets,
} from '@palisade/core';
import { RedactionSection } from '@palisade/redaction';

const FENCE = /```yaml\n# example: ([a-z0-9-]+)\n([\s\S]*?)```/g;

/**
 * The YAML examples of a Markdown file, by id: every ```yaml block whose first
 * line is `# example: <id>`. Tests load them through the real config loader so
 * that documentation cannot drift from what the code accepts.
 */
export const readDocExamples = async (markdownFile: string): Promise<ReadonlyMap<string, string>> => {
  const text = await readFile(markdownFile, 'utf8');
  const examples = new Map<string, string>();
  for (const m of text.matchAll(FENCE)) {
    const [, id, body] = m as unknown as [string, string, string];
    if (examples.has(id)) throw new Error(`${markdownFile}: example '${id}' appears twice`);
    examples.set(id, body);
  }
  return examples;
};

/**
 * PalisadeConfig with its `redaction` section decoded by the redaction package's
 * own codec, so examples are checked as strictly as a real host checks them.
 */
export const DocsExampleConfig = new t.Type<PalisadeConfig, unknown, unknown>(
  'DocsExampleConfig',
  PalisadeConfig.is,
  (u, c) => {
    const base = PalisadeConfig.validate(u, c);
    if (E.isLeft(base) || base.right.redaction === undefined) return base;
    const section = base.right.redaction;
    const r = RedactionSection.validate(section, t.appendContext(c, 'redaction', RedactionSection, section));
    return E.isLeft(r) ? r : base;
  },
  t.identity,
);

export type DocsExample = LoadedConfigWithSecrets<t.TypeOf<typeof DocsExampleConfig>>;

/**
 * Writes one example as `palisade.config.yaml` in a fresh directory and loads
 * it with `loadConfigWithSecrets`, as a host would. The caller closes the result.
 */
export const loadDocExample = async (
  yaml: string,
  options: { readonly plugins: readonly AnySecretBackendPlugin[]; readonly env?: NodeJS.ProcessEnv },
): Promise<E.Either<ConfigInvalid, DocsExample>> => {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-doc-example-'));
  try {
    await writeFile(join(dir, 'palisade.config.yaml'), yaml);
    return await loadConfigWithSecrets({
      cwd: dir,
      plugins: options.plugins,
      codec: DocsExampleConfig,
      ...(options.env !== undefined ? { env: options.env } : {}),
    })();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * The `storage` section of a documented example, loaded through the real
 * config loader (its secrets from the given backends and environment) and
 * decoded by the storage plugin's own options codec: what an adapter's README
 * promises.
 */
export const documentedStorageOptions = async (
  markdownFile: string,
  id: string,
  plugin: AnyStoragePlugin,
  secrets: { readonly plugins: readonly AnySecretBackendPlugin[]; readonly env: Readonly<Record<string, string>> },
): Promise<{ readonly kind: unknown; readonly options: E.Either<t.Errors, unknown> }> => {
  const example = (await readDocExamples(markdownFile)).get(id);
  if (example === undefined) throw new Error(`${markdownFile} has no example ${id}`);
  // Secret backends such as `env` read the process environment itself: set it for the load, then put it back.
  const saved = Object.keys(secrets.env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, secrets.env);
  try {
    const loaded = await loadDocExample(example, { plugins: secrets.plugins });
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    try {
      const { kind, ...options } = loaded.right.config.storage as Record<string, unknown>;
      return { kind, options: plugin.options.decode(options) };
    } finally {
      await loaded.right.close();
    }
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
};
