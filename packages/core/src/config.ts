import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { parseDocument } from 'yaml';
import { PositiveInt, strict } from './codecs.js';
import { toIssues } from './decode.js';
import { configInvalid, type ConfigInvalid, type Issue } from './errors.js';

const StorageSection = t.intersection([t.type({ kind: t.string }), t.UnknownRecord], 'StorageConfig');

export const PalisadeConfig = strict(
  {},
  {
    /** Which adapter and its options: `{ kind: sqlite, path: ./data/palisade.db }`. Default: SQLite. */
    storage: StorageSection,
    limits: strict({}, { max_event_bytes: PositiveInt, max_batch_events: PositiveInt }, 'Limits'),
    subscriptions: strict({}, { poll_interval_ms: PositiveInt }, 'Subscriptions'),
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
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file =
    options.path !== undefined
      ? resolve(cwd, options.path)
      : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
  if (file === undefined) return E.right({ config: {}, source: null, baseDir: cwd });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return E.left(configInvalid(file, [{ path: '', message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` }]));
  }
  return E.map((config: PalisadeConfig) => ({ config, source: file, baseDir: dirname(file) }))(
    parseConfig(text, file, env),
  );
};

/** Parses YAML or JSON text, resolves `${VAR}` references, and decodes it. */
export const parseConfig = (
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): E.Either<ConfigInvalid, PalisadeConfig> => {
  const raw = parseText(text, source);
  if (E.isLeft(raw)) return raw;
  const issues: Issue[] = [];
  const interpolated = interpolate(raw.right, '', env, issues);
  if (issues.length > 0) return E.left(configInvalid(source, issues));
  const decoded = PalisadeConfig.decode(interpolated);
  return E.isRight(decoded) ? decoded : E.left(configInvalid(source, toIssues(decoded.left)));
};

const parseText = (text: string, source: string): E.Either<ConfigInvalid, unknown> => {
  if (source.endsWith('.json')) {
    try {
      return E.right(JSON.parse(text) as unknown);
    } catch (e) {
      return E.left(configInvalid(source, [{ path: '', message: `is not valid JSON (${(e as Error).message})` }]));
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return E.left(
      configInvalid(
        source,
        doc.errors.map((err) => ({ path: '', message: `is not valid YAML: ${err.code} at line ${err.linePos?.[0].line ?? '?'}` })),
      ),
    );
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return E.right(value ?? {});
};

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` with the environment variable and `${NAME:-fallback}` with
 * it or the fallback. `$${` writes a literal `${`. An unset variable without a
 * fallback is an error naming the config path and the variable, not its value.
 */
const interpolate = (value: unknown, path: string, env: NodeJS.ProcessEnv, issues: Issue[]): unknown => {
  if (typeof value === 'string') {
    const parts = value.split('$${');
    return parts
      .map((part) =>
        part.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
          const found = env[name];
          if (found !== undefined) return found;
          if (fallback !== undefined) return fallback;
          issues.push({ path, message: `refers to environment variable ${name}, which is not set` });
          return '';
        }),
      )
      .join('${');
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, join(path, String(i)), env, issues));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, join(path, k), env, issues)]),
    );
  }
  return value;
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
