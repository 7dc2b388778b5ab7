import 'reflect-metadata';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { container as rootContainer, inject, injectable, type DependencyContainer } from 'tsyringe';
import type { PalisadeConfig } from './config.js';
import { toIssues } from './decode.js';
import { configInvalid, type PalisadeError } from './errors.js';
import { EventStore, type EventStoreOptions, type TenantEventStore } from './event-store.js';
import { installedPlugin } from './installed-package.js';
import type { TenantId } from './ids.js';
import { memoryStoragePlugin } from './memory-storage.js';
import type { AnyStoragePlugin, AppendObserver, AppendPipeline, ReadTransform, StorageAdapter } from './ports.js';
import { startRetentionPurger, type RetentionPurger, type RetentionPurgerOptions } from './retention/purger.js';
import { retentionSettings } from './retention/settings.js';

/** DI tokens. Always injected by name (`@inject(Tokens.X)`): our toolchains emit no decorator metadata. */
export const Tokens = {
  Config: Symbol.for('@palisade/core/Config'),
  StorageAdapter: Symbol.for('@palisade/core/StorageAdapter'),
  EventStoreOptions: Symbol.for('@palisade/core/EventStoreOptions'),
  EventStore: Symbol.for('@palisade/core/EventStore'),
} as const;

@injectable()
class InjectedEventStore extends EventStore {
  constructor(
    @inject(Tokens.StorageAdapter) storage: StorageAdapter,
    @inject(Tokens.EventStoreOptions) options: EventStoreOptions,
  ) {
    super(storage, options);
  }
}

export interface RuntimeOptions {
  /** Storage plugins to choose from by `storage.kind`. Memory is always available. */
  readonly storagePlugins?: readonly AnyStoragePlugin[];
  /** Where `@palisade/storage-<kind>` is looked up when no plugin is passed, and relative paths resolve. */
  readonly baseDir?: string;
  /** The append pipeline (redaction, then encryption). */
  readonly pipeline?: AppendPipeline;
  /** Told every append's outcome (the audit log). */
  readonly observer?: AppendObserver;
  /** Where the observer's failures go. */
  readonly onObserverError?: (error: unknown) => void;
  /** Applied to every read (decryption, erased markers). */
  readonly reader?: ReadTransform;
}

export interface Runtime {
  readonly config: PalisadeConfig;
  readonly store: EventStore;
  /** The runtime's own child container; register request-scoped services in children of it. */
  readonly container: DependencyContainer;
  forTenant(tenant: TenantId): TenantEventStore;
  /**
   * Starts the background retention purge with the config's `retention`
   * section. `tenants` adds tenants to the ones the config names (e.g. from a
   * tenant registry, for `default_days`); `retentionFor` replaces the config's
   * lookup (e.g. with the data policy's `retention_days`). Stopped by `close()`.
   */
  startRetention(options?: {
    readonly tenants?: () => readonly TenantId[] | Promise<readonly TenantId[]>;
    readonly retentionFor?: RetentionPurgerOptions['retentionFor'];
    readonly onReport?: RetentionPurgerOptions['onReport'];
    readonly onError?: RetentionPurgerOptions['onError'];
    readonly onLookupError?: RetentionPurgerOptions['onLookupError'];
  }): RetentionPurger;
  close(): Promise<void>;
}

/**
 * Composes a runtime from config: picks and opens the storage adapter, wires the
 * event store with its limits and pipeline, all in a child container that
 * `close()` disposes. Nothing tenant-specific is registered: tenants get scopes.
 */
export const createRuntime = (
  config: PalisadeConfig,
  options: RuntimeOptions = {},
): TE.TaskEither<PalisadeError, Runtime> => {
  const baseDir = options.baseDir ?? process.cwd();
  const { kind = 'sqlite', ...storageOptions } = config.storage ?? { kind: 'sqlite' };
  return pipe(
    findStoragePlugin(kind, options.storagePlugins ?? [], baseDir),
    TE.chainW((plugin) =>
      pipe(
        TE.fromEither(decodePluginOptions(plugin, storageOptions)),
        TE.chainW((decoded) => plugin.create(decoded, { baseDir })),
      ),
    ),
    TE.map((storage) => {
      const container = rootContainer.createChildContainer();
      const storeOptions: EventStoreOptions = {
        limits: {
          ...(config.limits?.max_event_bytes !== undefined ? { maxEventBytes: config.limits.max_event_bytes } : {}),
          ...(config.limits?.max_batch_events !== undefined ? { maxBatchEvents: config.limits.max_batch_events } : {}),
        },
        ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
        ...(options.observer !== undefined ? { observer: options.observer } : {}),
        ...(options.onObserverError !== undefined ? { onObserverError: options.onObserverError } : {}),
        ...(options.reader !== undefined ? { reader: options.reader } : {}),
        ...(config.subscriptions?.poll_interval_ms !== undefined
          ? { pollIntervalMs: config.subscriptions.poll_interval_ms }
          : {}),
      };
      container.register(Tokens.Config, { useValue: config });
      container.register(Tokens.StorageAdapter, { useValue: storage });
      container.register(Tokens.EventStoreOptions, { useValue: storeOptions });
      container.registerSingleton(Tokens.EventStore, InjectedEventStore);
      const store = container.resolve<EventStore>(Tokens.EventStore);
      const purgers: RetentionPurger[] = [];
      return {
        config,
        store,
        container,
        forTenant: (tenant: TenantId) => store.forTenant(tenant),
        startRetention: (retention = {}) => {
          const settings = retentionSettings(config);
          const purger = startRetentionPurger({
            store,
            tenants: async () => [...new Set([...settings.tenants, ...((await retention.tenants?.()) ?? [])])],
            retentionFor: retention.retentionFor ?? settings.retentionFor,
            intervalMs: settings.intervalMs,
            batchSize: settings.batchSize,
            ...(retention.onReport !== undefined ? { onReport: retention.onReport } : {}),
            ...(retention.onError !== undefined ? { onError: retention.onError } : {}),
            ...(retention.onLookupError !== undefined ? { onLookupError: retention.onLookupError } : {}),
          });
          purgers.push(purger);
          return purger;
        },
        close: async () => {
          await Promise.all(purgers.map((p) => p.stop()));
          await store.close();
          await container.dispose();
        },
      };
    }),
  );
};

/** Decodes a storage section (less its `kind`) with the plugin's codec; issues are named under `at`. */
export const decodePluginOptions = (plugin: AnyStoragePlugin, raw: Record<string, unknown>, at = 'storage') => {
  const result = plugin.options.decode(raw);
  return E.isRight(result)
    ? result
    : E.left(
        configInvalid(
          'config',
          toIssues(result.left).map((i) => ({ ...i, path: i.path === '' ? at : `${at}.${i.path}` })),
        ),
      );
};

/**
 * The plugin for a storage kind: the built-in memory one, one of `plugins`, or
 * `@palisade/storage-<kind>` resolved from `baseDir` (the user's project).
 */
export const findStoragePlugin = (
  kind: string,
  plugins: readonly AnyStoragePlugin[],
  baseDir: string,
): TE.TaskEither<PalisadeError, AnyStoragePlugin> => {
  const given = [memoryStoragePlugin, ...plugins].find((p) => p.kind === kind);
  if (given !== undefined) return TE.right(given);
  const unknownKind = configInvalid('config', [
    {
      path: 'storage.kind',
      message: `names '${kind}', but no such storage plugin is installed (@palisade/storage-${kind})`,
    },
  ]);
  return async () => {
    const installed = await installedPlugin<AnyStoragePlugin>('storage', kind, 'storagePlugin', baseDir).catch(
      () => undefined,
    );
    return installed === undefined ? E.left(unknownKind) : E.right(installed);
  };
};
