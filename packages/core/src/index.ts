export * from './errors.js';
export {
  EventId,
  EventType,
  ReadableStreamId,
  StreamId,
  SubscriberId,
  SystemStreamId,
  TenantId,
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
export { Tokens, createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
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
export { defineDetector, isDetectorId, type Detector, type DetectorModule, type DetectorSpan } from './detector.js';
export {
  KeyRef,
  WrappedKeyCodec,
  createMemoryKeyStore,
  type KeyStore,
  type TenantKeyStore,
  type WrappedKey,
} from './key-store.js';
export { AuditSection, AuditDataPolicy, EncryptionSection, PersonalDataRule } from './governance-config.js';
export { parseFieldPath, getAtPath, mapAtPath, isSinglePath, type FieldPath, type PathSegment } from './field-path.js';
