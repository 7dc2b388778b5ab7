import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { parseDocument } from 'yaml';
import { PositiveInt, strict } from './codecs.js';
import { toIssues } from './decode.js';
import { configInvalid, type ConfigInvalid, type Issue } from './errors.js';
import { RetentionSection } from './retention/settings.js';
import { SecretsSection } from './secrets/config-section.js';
import { AuditSection, EncryptionSection } from './governance-config.js';

const StorageSection = t.intersection([t.type({ kind: t.string }), t.UnknownRecord], 'StorageConfig');

export const PalisadeConfig = strict(
  {},
  {
    /** Which adapter and its options: `{ kind: sqlite, path: ./data/palisade.db }`. Default: SQLite. */
    storage: StorageSection,
    limits: strict({}, { max_event_bytes: PositiveInt, max_batch_events: PositiveInt }, 'Limits'),
    subscriptions: strict({}, { poll_interval_ms: PositiveInt }, 'Subscriptions'),
    /** Secret backends in priority order; `${secret:NAME}` references are resolved through them. */
    secrets: SecretsSection,
    /** Retention purges: interval, batch size and days per tenant (see docs/retention.md). */
    retention: RetentionSection,
    /** The tamper-evident audit log (docs/governance.md). */
    audit: AuditSection,
    /** Field encryption, crypto-shredding and encryption at rest (docs/governance.md). */
    encryption: EncryptionSection,
    /*
     * The data policy sections. Core only checks that they are objects: their
     * contents are decoded, strictly, by @palisade/redaction
     * (createRedactionPipeline), so core holds no redaction logic.
     */
    /** The default data policy for every tenant. */
    data_policy: t.UnknownRecord,
    /** Per-tenant overrides: `{ <tenant>: { data_policy, workflows } }`. */
    tenants: t.UnknownRecord,
    /** Per-workflow overrides, selected by an event's `metadata.workflow`. */
    workflows: t.UnknownRecord,
    /** How redaction runs: worker pool settings, detector plugins, hash keys. */
    redaction: t.UnknownRecord,
  },
  'PalisadeConfig',
);
export type PalisadeConfig = t.TypeOf<typeof PalisadeConfig>;

export const CONFIG_FILE_NAMES = ['palisade.config.yaml', 'palisade.config.yml', 'palisade.config.json'] as const;

export interface LoadedConfig {
  readonly config: PalisadeConfig;
  /** The file it came from, or null when defaults were used. */
  readonly source: string | null;
  /** Where relative paths in the config are resolved from. */
  readonly baseDir: string;
}

/**
 * Finds, parses, interpolates and decodes the config. With no `path`, looks for
 * `palisade.config.yaml`, `.yml` or `.json` in `cwd`, and uses defaults when
 * there is none. An explicit path that does not exist is an error.
 */
export const loadConfig = (
  options: { readonly path?: string; readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): E.Either<ConfigInvalid, LoadedConfig> => {
  const env = options.env ?? process.env;
  const read = readConfigFile(options);
  if (E.isLeft(read)) return read;
  const { file, text, baseDir } = read.right;
  if (file === null) return E.right({ config: {}, source: null, baseDir });
  return E.map((config: PalisadeConfig) => ({ config, source: file, baseDir }))(parseConfig(text, file, env));
};

/** Finds and reads the config file; `file` is null when there is none and defaults apply. */
export const readConfigFile = (options: {
  readonly path?: string;
  readonly cwd?: string;
}): E.Either<ConfigInvalid, { readonly file: string | null; readonly text: string; readonly baseDir: string }> => {
  const cwd = options.cwd ?? process.cwd();
  const file =
    options.path !== undefined
      ? resolve(cwd, options.path)
      : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  if (file === undefined) return E.right({ file: null, text: '', baseDir: cwd });
  try {
    return E.right({ file, text: readFileSync(file, 'utf8'), baseDir: dirname(file) });
  } catch (e) {
    return E.left(
      configInvalid(file, [{ path: '', message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` }]),
    );
  }
};

/** Parses YAML or JSON text, resolves `${VAR}` references, and decodes it. */
export const parseConfig = (
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): E.Either<ConfigInvalid, PalisadeConfig> => {
  const raw = parseConfigText(text, source);
  if (E.isLeft(raw)) return raw;
  const issues: Issue[] = [];
  const interpolated = interpolateConfig(raw.right, '', env, issues);
  if (issues.length > 0) return E.left(configInvalid(source, issues));
  const decoded = PalisadeConfig.decode(interpolated);
  return E.isRight(decoded) ? decoded : E.left(configInvalid(source, toIssues(decoded.left)));
};

export const parseConfigText = (text: string, source: string): E.Either<ConfigInvalid, unknown> => {
  if (source.endsWith('.json')) {
    try {
      return E.right(JSON.parse(text) as unknown);
    } catch (e) {
      // V8's message can quote the text around the error, and config text may hold a secret: keep the position only.
      const position = /at position (\d+)/.exec((e as Error).message)?.[1];
      return E.left(
        configInvalid(source, [
          { path: '', message: `is not valid JSON${position !== undefined ? ` (at position ${position})` : ''}` },
        ]),
      );
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return E.left(
      configInvalid(
        source,
        doc.errors.map((err) => ({
          path: '',
          message: `is not valid YAML: ${err.code} at line ${err.linePos?.[0].line ?? '?'}`,
        })),
      ),
    );
  }
  let value: unknown;
  try {
    // maxAliasCount refuses alias bombs (a few lines that expand to gigabytes) by throwing.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const what = e instanceof Error ? e.message.split('.')[0] : 'it cannot be read';
    return E.left(configInvalid(source, [{ path: '', message: `is not valid YAML: ${what}` }]));
  }
  return E.right(value ?? {});
};

const REFERENCE = /\$\{(?:secret:([^}]*)|([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?)\}/g;

/**
 * Looks up a `${secret:NAME}` reference met at `path`: the value, or undefined
 * after pushing an issue. Without one, any secret reference is an error: a
 * literal `${secret:...}` must never become a key or a password.
 */
export type SecretReferenceLookup = (reference: string, path: string, issues: Issue[]) => string | undefined;

const noSecrets: SecretReferenceLookup = (reference, path, issues) => {
  issues.push({
    path,
    message: `refers to secret ${reference}; load the config with loadConfigWithSecrets to resolve it`,
  });
  return undefined;
};

/**
 * Replaces `${NAME}` with the environment variable, `${NAME:-fallback}` with
 * it or the fallback, and `${secret:NAME}` through `secrets`. `$${` writes a
 * literal `${`. An unset variable without a fallback is an error naming the
 * config path and the variable, not its value.
 */
export const interpolateConfig = (
  value: unknown,
  path: string,
  env: NodeJS.ProcessEnv,
  issues: Issue[],
  secrets: SecretReferenceLookup = noSecrets,
): unknown => {
  if (typeof value === 'string') {
    const parts = value.split('$${');
    return parts
      .map((part) =>
        part.replace(REFERENCE, (_match, secret: string | undefined, name: string, fallback: string | undefined) => {
          if (secret !== undefined) return secrets(secret, path, issues) ?? '';
          const found = env[name];
          if (found !== undefined) return found;
          if (fallback !== undefined) return fallback;
          issues.push({ path, message: `refers to environment variable ${name}, which is not set` });
          return '';
        }),
      )
      .join('${');
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolateConfig(v, join(path, String(i)), env, issues, secrets));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateConfig(v, join(path, k), env, issues, secrets)]),
    );
  }
  return value;
};

/** Every `${secret:NAME}` reference in a parsed config tree, with the path where it appears. */
export const collectSecretReferences = (
  value: unknown,
  path = '',
): { readonly path: string; readonly reference: string }[] => {
  if (typeof value === 'string') {
    return value
      .split('$${')
      .flatMap((part) => [...part.matchAll(REFERENCE)])
      .flatMap((m) => (m[1] !== undefined ? [{ path, reference: m[1] }] : []));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => collectSecretReferences(v, join(path, String(i))));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => collectSecretReferences(v, join(path, k)));
  }
  return [];
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
