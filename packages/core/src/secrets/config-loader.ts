import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type * as t from 'io-ts';
import {
  collectSecretReferences,
  interpolateConfig,
  PalisadeConfig,
  parseConfigText,
  readConfigFile,
} from '../config.js';
import { toIssues } from '../decode.js';
import { configInvalid, type ConfigInvalid, type Issue } from '../errors.js';
import type { SecretEvent } from './cache.js';
import type { ResolvedSecret, SecretError, SecretSource } from './chain.js';
import { SecretsSection } from './config-section.js';
import type { AnySecretBackendPlugin, SecretBackend } from './port.js';
import { createSecretResolver } from './resolver.js';

/** Where a secret was used in the config: the path, the reference and the version resolved. */
export interface SecretBinding {
  readonly path: string;
  readonly reference: string;
  readonly backend: string;
  readonly version: string;
}

export interface ResolvedConfigTree {
  /** The config tree with every reference replaced, not yet decoded. */
  readonly tree: unknown;
  readonly bindings: readonly SecretBinding[];
}

/**
 * Resolves every `${secret:NAME}` (and `${ENV}`) anywhere in a parsed config
 * tree through `secrets`. Errors name the config path and the secret, never a
 * value; all references are tried so one error lists every problem.
 */
export const resolveConfigSecrets =
  (
    raw: unknown,
    secrets: SecretSource,
    source: string,
    env: NodeJS.ProcessEnv = process.env,
  ): TE.TaskEither<ConfigInvalid, ResolvedConfigTree> =>
  async () => {
    const references = collectSecretReferences(raw);
    const unique = [...new Set(references.map((r) => r.reference))];
    const outcomes = new Map<string, E.Either<SecretError, ResolvedSecret>>();
    await Promise.all(
      unique.map(async (reference) => {
        outcomes.set(reference, await secrets.resolve(reference)());
      }),
    );
    const bindings: SecretBinding[] = [];
    const issues: Issue[] = [];
    const tree = interpolateConfig(raw, '', env, issues, (reference, path, found) => {
      const outcome = outcomes.get(reference);
      if (outcome === undefined || E.isLeft(outcome)) {
        found.push({
          path,
          message: `refers to secret ${reference}, which could not be resolved: ${outcome === undefined ? 'not looked up' : describeSecretError(outcome.left)}`,
        });
        return undefined;
      }
      bindings.push({ path, reference, backend: outcome.right.backend, version: outcome.right.version });
      // The one place config secrets are revealed: the decoded config must hold the plain string.
      return outcome.right.value.reveal();
    });
    return issues.length > 0 ? E.left(configInvalid(source, issues)) : E.right({ tree, bindings });
  };

const describeSecretError = (e: SecretError): string =>
  e._tag === 'SecretBackendFailed'
    ? `backend ${e.backend} failed (${e.reason}, ${e.code})`
    : e._tag === 'SecretNotFound'
      ? `not found in ${e.backends.length === 0 ? 'any backend (none configured)' : e.backends.join(', ')} (${e.code})`
      : `${e.message} (${e.code})`;

/** Builds the backends named in `secrets.backends` from the plugins given. */
export const buildSecretBackends = (
  section: SecretsSection,
  plugins: readonly AnySecretBackendPlugin[],
  source: string,
  baseDir: string,
): E.Either<ConfigInvalid, SecretBackend[]> => {
  const issues: Issue[] = [];
  const backends: SecretBackend[] = [];
  const names = new Set<string>();
  (section.backends ?? []).forEach((entry, i) => {
    const path = `secrets.backends.${i}`;
    const plugin = plugins.find((p) => p.kind === entry.kind);
    if (plugin === undefined) {
      issues.push({
        path: `${path}.kind`,
        message: `no secret backend plugin of kind '${entry.kind}' is installed (install @palisade/secrets-${entry.kind}; available: ${plugins.map((p) => p.kind).join(', ') || 'none'})`,
      });
      return;
    }
    const name = entry.name ?? entry.kind;
    if (names.has(name)) {
      issues.push({
        path: `${path}.name`,
        message: `backend name '${name}' is used twice; give each backend a distinct name`,
      });
      return;
    }
    names.add(name);
    const { kind: _kind, name: _name, ...options } = entry;
    const decoded = plugin.options.decode(options);
    if (E.isLeft(decoded)) {
      issues.push(...toIssues(decoded.left, path));
      return;
    }
    const created = plugin.create(decoded.right, { name, baseDir });
    if (E.isLeft(created)) {
      issues.push({ path, message: `${entry.kind} backend could not be created: ${created.left.message}` });
      return;
    }
    backends.push(created.right);
  });
  if (issues.length > 0) {
    void Promise.allSettled(backends.map((b) => b.close()));
    return E.left(configInvalid(source, issues));
  }
  return E.right(backends);
};

export interface LoadConfigWithSecretsOptions<C> {
  readonly path?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The secret backend plugins that `secrets.backends[].kind` may name. */
  readonly plugins: readonly AnySecretBackendPlugin[];
  /**
   * Finds a plugin for a kind that `plugins` lacks, e.g. `installedSecretPlugin`,
   * which loads `@palisade/secrets-<kind>` from the user's project.
   */
  readonly resolvePlugin?: (kind: string, baseDir: string) => Promise<AnySecretBackendPlugin | undefined>;
  /** The codec to decode with; defaults to PalisadeConfig. Hosts with config sections of their own pass a wider one. */
  readonly codec?: t.Type<C, unknown, unknown>;
  readonly now?: () => number;
  readonly onEvent?: (event: SecretEvent) => void;
}

export interface LoadedConfigWithSecrets<C> {
  readonly config: C;
  readonly source: string | null;
  readonly baseDir: string;
  /** The resolver built from `secrets`, for secrets the code asks for by name. */
  readonly secrets: SecretSource;
  readonly bindings: readonly SecretBinding[];
  /**
   * Resolves every reference again (through the cache: after the TTL, or at
   * once after `secrets.invalidate()`) and decodes anew; `changed` lists the
   * config paths whose secret version changed.
   */
  refresh(): TE.TaskEither<
    ConfigInvalid,
    { readonly config: C; readonly bindings: readonly SecretBinding[]; readonly changed: readonly string[] }
  >;
  close(): Promise<void>;
}

/**
 * `loadConfig` with secrets: reads the file, builds the secret backends from
 * its `secrets` section (which may use `${ENV}` but not `${secret:...}`),
 * resolves every `${secret:NAME}` in the rest of the tree and then decodes.
 */
export function loadConfigWithSecrets(
  options: LoadConfigWithSecretsOptions<PalisadeConfig> & { readonly codec?: undefined },
): TE.TaskEither<ConfigInvalid, LoadedConfigWithSecrets<PalisadeConfig>>;
export function loadConfigWithSecrets<C>(
  options: LoadConfigWithSecretsOptions<C> & { readonly codec: t.Type<C, unknown, unknown> },
): TE.TaskEither<ConfigInvalid, LoadedConfigWithSecrets<C>>;
export function loadConfigWithSecrets<C>(
  options: LoadConfigWithSecretsOptions<C>,
): TE.TaskEither<ConfigInvalid, LoadedConfigWithSecrets<C>> {
  return async () => {
    const env = options.env ?? process.env;
    const codec = (options.codec ?? PalisadeConfig) as t.Type<C, unknown, unknown>;
    const read = readConfigFile(options);
    if (E.isLeft(read)) return read;
    const { file, text, baseDir } = read.right;
    const source = file ?? '(defaults)';
    const parsed = file === null ? E.right<ConfigInvalid, unknown>({}) : parseConfigText(text, source);
    if (E.isLeft(parsed)) return parsed;
    const raw = parsed.right;

    const sectionIssues: Issue[] = [];
    const rawSection =
      typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['secrets'] : undefined;
    const sectionTree = interpolateConfig(
      rawSection ?? {},
      'secrets',
      env,
      sectionIssues,
      (reference, path, issues) => {
        issues.push({
          path,
          message: `refers to secret ${reference}, but the secrets section is read before any secret backend exists: use \${ENV} here`,
        });
        return undefined;
      },
    );
    if (sectionIssues.length > 0) return E.left(configInvalid(source, sectionIssues));
    const section = SecretsSection.decode(sectionTree);
    if (E.isLeft(section)) return E.left(configInvalid(source, toIssues(section.left, 'secrets')));
    const plugins = [...options.plugins];
    if (options.resolvePlugin !== undefined) {
      for (const kind of new Set((section.right.backends ?? []).map((b) => b.kind))) {
        if (plugins.some((p) => p.kind === kind)) continue;
        const found = await options.resolvePlugin(kind, baseDir);
        if (found !== undefined) plugins.push(found);
      }
    }
    const backends = buildSecretBackends(section.right, plugins, source, baseDir);
    if (E.isLeft(backends)) return backends;

    const secrets = createSecretResolver(backends.right, {
      ...(section.right.fall_through_on_error !== undefined
        ? { fallThroughOnError: section.right.fall_through_on_error }
        : {}),
      cache: {
        ...(section.right.cache?.ttl_ms !== undefined ? { ttlMs: section.right.cache.ttl_ms } : {}),
        ...(section.right.cache?.stale_if_error_ms !== undefined
          ? { staleIfErrorMs: section.right.cache.stale_if_error_ms }
          : {}),
      },
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    });

    const build = async (): Promise<E.Either<ConfigInvalid, { config: C; bindings: readonly SecretBinding[] }>> => {
      const resolved = await resolveConfigSecrets(raw, secrets, source, env)();
      if (E.isLeft(resolved)) return resolved;
      const decoded = codec.decode(resolved.right.tree);
      return E.isLeft(decoded)
        ? E.left(configInvalid(source, toIssues(decoded.left)))
        : E.right({ config: decoded.right, bindings: resolved.right.bindings });
    };

    const first = await build();
    if (E.isLeft(first)) {
      await secrets.close();
      return first;
    }
    let current = first.right.bindings;
    return E.right({
      config: first.right.config,
      source: file,
      baseDir,
      secrets,
      bindings: current,
      refresh: () => async () => {
        const next = await build();
        if (E.isLeft(next)) return next;
        const before = new Map(current.map((b) => [b.path + '\u0000' + b.reference, b.version]));
        const changed = [
          ...new Set(
            next.right.bindings
              .filter((b) => before.get(b.path + '\u0000' + b.reference) !== b.version)
              .map((b) => b.path),
          ),
        ];
        current = next.right.bindings;
        return E.right({ config: next.right.config, bindings: current, changed });
      },
      close: () => secrets.close(),
    });
  };
}
