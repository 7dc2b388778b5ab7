export * from './errors.js';
export {
  EventId,
  EventType,
  ReadableStreamId,
  StreamId,
  SubscriberId,
  SystemStreamId,
  TenantId,
  type TenantIdBrand,
  categoryOf,
  isSystemStream,
  systemStream,
} from './ids.js';
export { Json, JsonObjectCodec, findNonJson, type JsonObject, type JsonPrimitive, type JsonValue } from './json.js';
export { decodeWith, toIssues } from './decode.js';
export { strict, PositiveInt, NonNegativeInt } from './codecs.js';
export * from './event.js';
export * from './ports.js';
export { checkExpectedVersion, decideAppend, type AppendDecision, type ExistingEvent } from './append-rules.js';
export { AppendNotifier } from './notifier.js';
export {
  EventStore,
  TenantEventStore,
  DEFAULT_LIMITS,
  contentHash,
  type EventStoreLimits,
  type EventStoreOptions,
} from './event-store.js';
export type { Subscription, SubscriptionEnd, SubscriptionOptions } from './subscription.js';
export { createMemoryStorage, memoryStoragePlugin } from './memory-storage.js';
export { ProjectionName, TenantStateStore, stateStorageOf } from './projections/state-store.js';
export {
  applyEvents,
  defineProjection,
  type Projection,
  type ProjectionDefinition,
  type ProjectionHandler,
} from './projections/projection.js';
export {
  TenantProjections,
  projectionsFor,
  type CatchUpResult,
  type ProjectionError,
  type ProjectionView,
  type RebuildResult,
} from './projections/tenant-projections.js';
export { InlineProjections, type InlineAppendResult, type InlineOutcome } from './projections/inline.js';
export {
  startAsyncProjection,
  type AsyncProjection,
  type AsyncProjectionEnd,
  type AsyncProjectionOptions,
} from './projections/async.js';
export {
  everyNEvents,
  loadAggregate,
  neverSnapshot,
  type AggregateView,
  type LoadAggregateOptions,
  type SnapshotPolicy,
} from './projections/snapshots.js';
export {
  CONFIG_FILE_NAMES,
  PalisadeConfig,
  loadConfig,
  parseConfig,
  parseConfigText,
  readConfigFile,
  interpolateConfig,
  collectSecretReferences,
  type LoadedConfig,
  type SecretReferenceLookup,
} from './config.js';
export {
  Tokens,
  createRuntime,
  decodePluginOptions,
  findStoragePlugin,
  type Runtime,
  type RuntimeOptions,
} from './runtime.js';
export { asPromises, unwrap, type TenantEventStoreAsync } from './promises.js';
export { parseTenantId } from './tenant.js';
export { Secret } from './secrets/secret-value.js';
export { parseSecretRef, formatSecretRef, type SecretRef } from './secrets/reference.js';
export {
  contentVersion,
  found,
  notFound,
  selectField,
  selectObjectField,
  type AnySecretBackendPlugin,
  type SecretBackend,
  type SecretBackendContext,
  type SecretBackendPlugin,
  type SecretLookup,
} from './secrets/port.js';
export {
  createSecretChain,
  type ResolvedSecret,
  type SecretChainOptions,
  type SecretError,
  type SecretSource,
} from './secrets/chain.js';
export { createSecretCache, DEFAULT_SECRET_CACHE, type SecretCacheOptions, type SecretEvent } from './secrets/cache.js';
export { createSecretResolver, type SecretResolverOptions } from './secrets/resolver.js';
export { SecretsSection, SecretBackendSection } from './secrets/config-section.js';
export { installedSecretPlugin } from './secrets/installed-plugin.js';
export {
  buildSecretBackends,
  loadConfigWithSecrets,
  resolveConfigSecrets,
  type LoadConfigWithSecretsOptions,
  type LoadedConfigWithSecrets,
  type ResolvedConfigTree,
  type SecretBinding,
} from './secrets/config-loader.js';
export {
  defineDetector,
  hintTestOf,
  isDetectorId,
  type Detector,
  type DetectorModule,
  type DetectorSpan,
  type HintTest,
} from './detector.js';
export {
  RetentionSection,
  retentionSettings,
  DEFAULT_PURGE_BATCH_SIZE,
  DEFAULT_PURGE_INTERVAL_MS,
  MAX_PURGE_BATCH_SIZE,
  type RetentionLookup,
  type RetentionSettings,
} from './retention/settings.js';
export {
  purgeTenant,
  PURGES_STREAM,
  EVENTS_PURGED,
  MAX_LISTED_STREAMS,
  type PurgeError,
  type PurgeOptions as TenantPurgeOptions,
  type PurgeReport,
} from './retention/purge.js';
export { startRetentionPurger, type RetentionPurger, type RetentionPurgerOptions } from './retention/purger.js';
export {
  KeyRef,
  WrappedKeyCodec,
  decodeStoredKey,
  type StoredKeyRow,
  createMemoryKeyStore,
  type KeyStore,
  type TenantKeyStore,
  type WrappedKey,
} from './key-store.js';
export { AuditSection, AuditDataPolicy, EncryptionSection, PersonalDataRule } from './governance-config.js';
export { parseFieldPath, getAtPath, mapAtPath, isSinglePath, type FieldPath, type PathSegment } from './field-path.js';
export { storedRowDecoders, StoredInt, type StoredRowDecoders } from './stored-rows.js';
export { eraseDerivedState, type DerivedStateErasure, type DerivedStateErasureResult } from './projections/erasure.js';
export { primeRegex } from './regex-priming.js';
