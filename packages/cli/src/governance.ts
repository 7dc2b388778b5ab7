import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { auditorFromConfig, bypassAuditStream, type Auditor, type AuditSigner } from '@palisade/audit';
import {
  composePipelines,
  configInvalid,
  createMemoryKeyStore,
  decodePluginOptions,
  findStoragePlugin,
  type AnyStoragePlugin,
  type AppendObserver,
  type AppendPipeline,
  type EventStore,
  type KeyStore,
  type PalisadeConfig,
  type PalisadeError,
  type ReadTransform,
  type TenantId,
} from '@palisade/core';
import { encryptionFromConfig, type Encryption, type KeyEvent } from '@palisade/encryption';
import { createSqliteKeyStore, DEFAULT_SQLITE_PATH } from '@palisade/storage-sqlite';

/** The audit log and encryption, composed from config, ready to hand to the runtime. */
export interface Governance {
  readonly auditor: Auditor | null;
  readonly signer: AuditSigner | undefined;
  readonly encryption: Encryption | null;
  readonly pipeline: AppendPipeline | undefined;
  readonly observer: AppendObserver | undefined;
  readonly reader: ReadTransform | undefined;
  /** Call once the event store exists: key operations are audited through it. */
  attach(store: EventStore): void;
  /** Waits for audit entries still being written, then closes the key store. */
  close(): Promise<void>;
}

/**
 * Builds the audit log (`audit`) and encryption (`encryption`) from the
 * decoded config, its secret references already resolved. The user's
 * pipeline (redaction) runs first, encryption after it, so that the redactor
 * sees plain text and storage sees ciphertext.
 */
export const governanceFrom =
  (
    config: PalisadeConfig,
    baseDir: string,
    userPipeline: AppendPipeline | undefined,
    onError: (e: unknown) => void,
    storagePlugins: readonly AnyStoragePlugin[] = [],
  ): TE.TaskEither<PalisadeError, Governance> =>
  async () => {
    let store: EventStore | undefined;
    let auditor: Auditor | null = null;
    const pending = new Set<Promise<unknown>>();

    const onKeyEvent = (event: KeyEvent): void => {
      if (auditor === null || store === undefined) return;
      // Not awaited: a key can be created inside an append of the audit log itself (encryption at rest).
      const write = auditor
        .record(store.forTenant(event.tenant), {
          actor: 'palisade',
          action: event.action,
          outcome: 'success',
          details: { ref: event.ref, ...(event.action === 'key.destroy' ? { existed: event.existed } : {}) },
        })()
        .then((r) =>
          E.isLeft(r) ? onError(new Error(`audit of ${event.action} failed (${r.left.code})`)) : undefined,
        );
      pending.add(write);
      void write.finally(() => pending.delete(write));
    };

    let keyStore: KeyStore | null = null;
    let encryption: Encryption | null = null;
    if (config.encryption !== undefined) {
      // The sections are checked (KEK, rules, audit keys) before the key store is opened: a refused config creates
      // no database file.
      const checked = encryptionFromConfig(config.encryption, createMemoryKeyStore());
      if (E.isLeft(checked)) return checked;
      const auditChecked = auditorFromConfig(
        config.audit,
        {},
        {
          ...(config.data_policy !== undefined ? { data_policy: config.data_policy } : {}),
          ...(config.tenants !== undefined ? { tenants: config.tenants } : {}),
        },
      );
      if (E.isLeft(auditChecked)) return auditChecked;
      const ks = await keyStoreFrom(config, baseDir, storagePlugins)();
      if (E.isLeft(ks)) return ks;
      keyStore = ks.right;
      const built = encryptionFromConfig(config.encryption, keyStore, { onKeyEvent });
      if (E.isLeft(built)) {
        void keyStore.close();
        return built;
      }
      encryption = built.right;
    }
    const audit = auditorFromConfig(config.audit, encryption !== null ? { viewStored: encryption.viewStored } : {}, {
      ...(config.data_policy !== undefined ? { data_policy: config.data_policy } : {}),
      ...(config.tenants !== undefined ? { tenants: config.tenants } : {}),
    });
    if (E.isLeft(audit)) {
      void keyStore?.close();
      return audit;
    }
    auditor = audit.right?.auditor ?? null;

    // Palisade's own records ($audit, $purges) skip redaction, with or without an auditor.
    const redaction = userPipeline === undefined ? undefined : bypassAuditStream(userPipeline);
    const stages = [redaction, encryption?.pipeline].filter((p): p is AppendPipeline => p !== undefined);
    return E.right({
      auditor,
      signer: audit.right?.signer,
      encryption,
      pipeline: stages.length === 0 ? undefined : stages.length === 1 ? stages[0] : composePipelines(...stages),
      observer: auditor ?? undefined,
      reader: encryption?.reader,
      attach: (s) => {
        store = s;
      },
      close: async () => {
        while (pending.size > 0) await Promise.allSettled([...pending]);
        await keyStore?.close();
      },
    });
  };

/**
 * The key store: `encryption.key_store` when given, else one beside the
 * events (`storage`). Memory and SQLite are built in; any other kind comes
 * from its storage plugin's `createKeyStore` (given, or `@palisade/storage-<kind>`
 * resolved from the project like storage plugins are), so that the CLI loads
 * no database driver it does not use.
 */
const keyStoreFrom =
  (
    config: PalisadeConfig,
    baseDir: string,
    plugins: readonly AnyStoragePlugin[],
  ): TE.TaskEither<PalisadeError, KeyStore> =>
  async () => {
    const explicit = config.encryption?.key_store;
    const chosen = explicit ?? config.storage ?? { kind: 'sqlite' };
    const at = explicit !== undefined ? 'encryption.key_store' : 'storage';
    // The built-in kinds take `path` (sqlite) and nothing else: a typo must not quietly put the keys beside the events.
    if (explicit !== undefined && (explicit.kind === 'memory' || explicit.kind === 'sqlite')) {
      const allowed = explicit.kind === 'sqlite' ? ['kind', 'path'] : ['kind'];
      const issues = Object.keys(explicit)
        .filter((key) => !allowed.includes(key))
        .map((key) => ({ path: `${at}.${key}`, message: `is not a known key for kind '${explicit.kind}'` }));
      if (explicit['path'] !== undefined && typeof explicit['path'] !== 'string') {
        issues.push({ path: `${at}.path`, message: 'must be a file path (a string)' });
      }
      if (issues.length > 0) return E.left(configInvalid('config', issues));
    }
    if (chosen.kind === 'memory') return E.right(createMemoryKeyStore());
    if (chosen.kind === 'sqlite') {
      const path = typeof chosen['path'] === 'string' ? chosen['path'] : DEFAULT_SQLITE_PATH;
      const ks = createSqliteKeyStore({ path, baseDir });
      return E.isLeft(ks)
        ? E.left(configInvalid('config', [{ path: 'encryption.key_store', message: ks.left.message }]))
        : ks;
    }
    const noKeyStore = configInvalid('config', [
      {
        path: 'encryption.key_store',
        message: `no key store for kind '${chosen.kind}': set encryption.key_store to { kind: sqlite, path: ... }`,
      },
    ]);
    const plugin = await findStoragePlugin(chosen.kind, plugins, baseDir)();
    if (E.isLeft(plugin) || plugin.right.createKeyStore === undefined) return E.left(noKeyStore);
    const { kind: _kind, ...options } = chosen;
    const decoded = decodePluginOptions(plugin.right, options, at);
    if (E.isLeft(decoded)) return decoded;
    return plugin.right.createKeyStore(decoded.right, { baseDir })();
  };

/** Runs an audited operator action for the CLI. */
export const recordOperatorAction = (
  governance: Governance,
  store: EventStore,
  tenant: TenantId,
  input: Parameters<Auditor['record']>[1],
): TE.TaskEither<PalisadeError, unknown> | null =>
  governance.auditor === null ? null : governance.auditor.record(store.forTenant(tenant), input);
