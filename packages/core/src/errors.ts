/**
 * Expected failures are values, not exceptions. Each one has a stable `_tag`
 * (for pattern matching), a stable `code` (for logs, exit codes and clients in
 * other languages), a human message and whether retrying can help.
 *
 * Messages never contain event payloads, secrets or tokens: they name paths,
 * ids, sizes and versions only.
 */

export interface Issue {
  /** Where the problem is, as a dotted path from the input's root, e.g. `events.2.data`. */
  readonly path: string;
  /** What is wrong there, without echoing the value. */
  readonly message: string;
}

export type ExpectedVersionSpec = 'any' | 'no_stream' | 'stream_exists' | number;

interface ErrorBase<Tag extends string, Code extends string> {
  readonly _tag: Tag;
  readonly code: Code;
  readonly message: string;
  readonly retryable: boolean;
}

export interface InvalidInput extends ErrorBase<'InvalidInput', 'PALISADE_INVALID_INPUT'> {
  readonly issues: readonly Issue[];
}

export interface WrongExpectedVersion extends ErrorBase<'WrongExpectedVersion', 'PALISADE_WRONG_EXPECTED_VERSION'> {
  readonly stream: string;
  readonly expected: ExpectedVersionSpec;
  /** The stream's current version, or null when the stream does not exist. */
  readonly actual: number | null;
}

export interface EventTooLarge extends ErrorBase<'EventTooLarge', 'PALISADE_EVENT_TOO_LARGE'> {
  readonly index: number;
  readonly bytes: number;
  readonly limit: number;
}

export interface BatchTooLarge extends ErrorBase<'BatchTooLarge', 'PALISADE_BATCH_TOO_LARGE'> {
  readonly count: number;
  readonly limit: number;
}

export interface DuplicateEventId extends ErrorBase<'DuplicateEventId', 'PALISADE_DUPLICATE_EVENT_ID'> {
  readonly eventId: string;
}

export interface StorageUnavailable extends ErrorBase<'StorageUnavailable', 'PALISADE_STORAGE_UNAVAILABLE'> {
  readonly adapter: string;
}

export interface TenantAccessDenied extends ErrorBase<'TenantAccessDenied', 'PALISADE_TENANT_ACCESS_DENIED'> {
  readonly tenant: string;
}

export interface ConfigInvalid extends ErrorBase<'ConfigInvalid', 'PALISADE_CONFIG_INVALID'> {
  readonly source: string;
  readonly issues: readonly Issue[];
}

export interface PolicyBlocked extends ErrorBase<'PolicyBlocked', 'PALISADE_POLICY_BLOCKED'> {
  /** Which detector or field rule blocked, and where; never the value. */
  readonly findings: readonly { readonly detector: string; readonly path: string }[];
}

export interface RedactionFailed extends ErrorBase<'RedactionFailed', 'PALISADE_REDACTION_FAILED'> {
  readonly reason: 'worker_crashed' | 'timeout' | 'detector_error' | 'protocol';
}

export interface Overloaded extends ErrorBase<'Overloaded', 'PALISADE_OVERLOADED'> {
  readonly queued: number;
  readonly limit: number;
}

export interface SubscriptionFailed extends ErrorBase<'SubscriptionFailed', 'PALISADE_SUBSCRIPTION_FAILED'> {
  readonly subscriber: string;
}

/** Why a projection could not be read, updated or rebuilt. */
export type ProjectionFailureReason = 'handler' | 'state_invalid' | 'conflict' | 'version_active';

export interface ProjectionFailed extends ErrorBase<'ProjectionFailed', 'PALISADE_PROJECTION_FAILED'> {
  readonly projection: string;
  readonly version: number;
  readonly reason: ProjectionFailureReason;
}

export interface Closed extends ErrorBase<'Closed', 'PALISADE_CLOSED'> {
  readonly resource: string;
}

/** Why a secret backend could not answer; never carries the value. */
export type SecretFailureReason =
  'unreachable' | 'denied' | 'malformed' | 'missing_key' | 'unsupported' | 'insecure' | 'misconfigured' | 'closed';

export interface SecretNotFound extends ErrorBase<'SecretNotFound', 'PALISADE_SECRET_NOT_FOUND'> {
  /** The secret's name as referenced (e.g. `db/password`), never its value. */
  readonly secret: string;
  /** The backends asked, in order. */
  readonly backends: readonly string[];
}

export interface SecretBackendFailed extends ErrorBase<'SecretBackendFailed', 'PALISADE_SECRET_BACKEND_FAILED'> {
  readonly backend: string;
  readonly secret: string;
  readonly reason: SecretFailureReason;
}

export interface AuditVerificationFailed extends ErrorBase<
  'AuditVerificationFailed',
  'PALISADE_AUDIT_VERIFICATION_FAILED'
> {
  /** How many problems were found; the first ones are in the message (positions and kinds, never content). */
  readonly problems: number;
}

export type PalisadeError =
  | InvalidInput
  | WrongExpectedVersion
  | EventTooLarge
  | BatchTooLarge
  | DuplicateEventId
  | StorageUnavailable
  | TenantAccessDenied
  | ConfigInvalid
  | PolicyBlocked
  | RedactionFailed
  | Overloaded
  | SubscriptionFailed
  | ProjectionFailed
  | Closed
  | SecretNotFound
  | SecretBackendFailed
  | AuditVerificationFailed;

export type ErrorCode = PalisadeError['code'];

/** Errors an append can end with. */
export type AppendError =
  | InvalidInput
  | WrongExpectedVersion
  | EventTooLarge
  | BatchTooLarge
  | DuplicateEventId
  | StorageUnavailable
  | PolicyBlocked
  | RedactionFailed
  | Overloaded
  | Closed;

/** Errors a read can end with. */
export type ReadError = InvalidInput | StorageUnavailable | Closed;

const formatIssues = (issues: readonly Issue[]): string =>
  issues
    .slice(0, 5)
    .map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`))
    .join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');

export const invalidInput = (issues: readonly Issue[]): InvalidInput => ({
  _tag: 'InvalidInput',
  code: 'PALISADE_INVALID_INPUT',
  message: `invalid input: ${formatIssues(issues)}`,
  retryable: false,
  issues,
});

export const invalidAt = (path: string, message: string): InvalidInput => invalidInput([{ path, message }]);

const describeExpected = (e: ExpectedVersionSpec): string => (typeof e === 'number' ? `version ${e}` : e);

export const wrongExpectedVersion = (
  stream: string,
  expected: ExpectedVersionSpec,
  actual: number | null,
): WrongExpectedVersion => ({
  _tag: 'WrongExpectedVersion',
  code: 'PALISADE_WRONG_EXPECTED_VERSION',
  message: `stream '${stream}' expected ${describeExpected(expected)} but is at ${
    actual === null ? 'no_stream' : `version ${actual}`
  }`,
  retryable: false,
  stream,
  expected,
  actual,
});

export const eventTooLarge = (index: number, bytes: number, limit: number): EventTooLarge => ({
  _tag: 'EventTooLarge',
  code: 'PALISADE_EVENT_TOO_LARGE',
  message: `event ${index} is ${bytes} bytes, over the limit of ${limit} bytes`,
  retryable: false,
  index,
  bytes,
  limit,
});

export const batchTooLarge = (count: number, limit: number): BatchTooLarge => ({
  _tag: 'BatchTooLarge',
  code: 'PALISADE_BATCH_TOO_LARGE',
  message: `an append of ${count} events is over the limit of ${limit} events`,
  retryable: false,
  count,
  limit,
});

export const duplicateEventId = (eventId: string, why: string): DuplicateEventId => ({
  _tag: 'DuplicateEventId',
  code: 'PALISADE_DUPLICATE_EVENT_ID',
  message: `event id ${eventId} ${why}`,
  retryable: false,
  eventId,
});

export const storageUnavailable = (adapter: string, what: string, retryable = true): StorageUnavailable => ({
  _tag: 'StorageUnavailable',
  code: 'PALISADE_STORAGE_UNAVAILABLE',
  message: `${adapter} storage failed: ${what}`,
  retryable,
  adapter,
});

export const tenantAccessDenied = (tenant: string, why: string): TenantAccessDenied => ({
  _tag: 'TenantAccessDenied',
  code: 'PALISADE_TENANT_ACCESS_DENIED',
  message: `access to tenant '${tenant}' denied: ${why}`,
  retryable: false,
  tenant,
});

export const configInvalid = (source: string, issues: readonly Issue[]): ConfigInvalid => ({
  _tag: 'ConfigInvalid',
  code: 'PALISADE_CONFIG_INVALID',
  message: `invalid configuration in ${source}: ${formatIssues(issues)}`,
  retryable: false,
  source,
  issues,
});

/** The path of a `PolicyBlocked` finding in the stream id (which cannot be rewritten, so a match there refuses). */
export const STREAM_FINDING_PATH = 'stream';

export const policyBlocked = (
  findings: readonly { readonly detector: string; readonly path: string }[],
): PolicyBlocked => ({
  _tag: 'PolicyBlocked',
  code: 'PALISADE_POLICY_BLOCKED',
  message: `blocked by data policy: ${findings
    .slice(0, 5)
    .map((f) => `${f.detector} at ${f.path}`)
    .join(', ')}${findings.length > 5 ? ` and ${findings.length - 5} more` : ''}`,
  retryable: false,
  findings,
});

export const redactionFailed = (reason: RedactionFailed['reason'], what: string): RedactionFailed => ({
  _tag: 'RedactionFailed',
  code: 'PALISADE_REDACTION_FAILED',
  message: `redaction failed (${reason}): ${what}; nothing was written`,
  retryable: reason === 'worker_crashed' || reason === 'timeout',
  reason,
});

export const overloaded = (queued: number, limit: number): Overloaded => ({
  _tag: 'Overloaded',
  code: 'PALISADE_OVERLOADED',
  message: `overloaded: ${queued} tasks queued, limit ${limit}; retry later`,
  retryable: true,
  queued,
  limit,
});

export const subscriptionFailed = (subscriber: string, what: string): SubscriptionFailed => ({
  _tag: 'SubscriptionFailed',
  code: 'PALISADE_SUBSCRIPTION_FAILED',
  message: `subscription '${subscriber}' stopped: ${what}`,
  retryable: true,
  subscriber,
});

/** `what` names positions, event types and paths only, never state or event values. */
export const projectionFailed = (
  projection: string,
  version: number,
  reason: ProjectionFailureReason,
  what: string,
): ProjectionFailed => ({
  _tag: 'ProjectionFailed',
  code: 'PALISADE_PROJECTION_FAILED',
  message: `projection '${projection}' version ${version} failed (${reason}): ${what}`,
  retryable: reason === 'conflict',
  projection,
  version,
  reason,
});

export const closed = (resource: string): Closed => ({
  _tag: 'Closed',
  code: 'PALISADE_CLOSED',
  message: `${resource} is closed`,
  retryable: false,
  resource,
});

export const secretNotFound = (secret: string, backends: readonly string[]): SecretNotFound => ({
  _tag: 'SecretNotFound',
  code: 'PALISADE_SECRET_NOT_FOUND',
  message:
    backends.length === 0
      ? `secret '${secret}' not found: no secret backend is configured`
      : `secret '${secret}' not found in ${backends.join(', ')}`,
  retryable: false,
  secret,
  backends,
});

/** `what` must describe the failure (status, error class), never the value or a token. */
export const secretBackendFailed = (
  backend: string,
  secret: string,
  reason: SecretFailureReason,
  what: string,
): SecretBackendFailed => ({
  _tag: 'SecretBackendFailed',
  code: 'PALISADE_SECRET_BACKEND_FAILED',
  message: `secret backend '${backend}' failed to look up '${secret}' (${reason}): ${what}`,
  retryable: reason === 'unreachable',
  backend,
  secret,
  reason,
});

export const auditVerificationFailed = (problems: readonly string[]): AuditVerificationFailed => ({
  _tag: 'AuditVerificationFailed',
  code: 'PALISADE_AUDIT_VERIFICATION_FAILED',
  message: `audit log verification failed with ${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}${
    problems.length > 3 ? `; and ${problems.length - 3} more` : ''
  }`,
  retryable: false,
  problems: problems.length,
});

/**
 * The Promise API throws this; it carries the tagged error unchanged so callers
 * can branch on `err.error._tag` or `err.code`.
 */
export class PalisadeFailure extends Error {
  readonly code: ErrorCode;
  constructor(readonly error: PalisadeError) {
    super(error.message);
    this.name = 'PalisadeFailure';
    this.code = error.code;
  }
}

export const isPalisadeError = (u: unknown): u is PalisadeError =>
  typeof u === 'object' &&
  u !== null &&
  typeof (u as { _tag?: unknown })._tag === 'string' &&
  typeof (u as { code?: unknown }).code === 'string' &&
  (u as { code: string }).code.startsWith('PALISADE_');

/** A driver's own message may quote SQL parameters (our payloads): keep only its class and code. */
export const describeDriverError = (e: unknown): string => {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number' ? `${e.name} ${String(code)}` : e.name;
  }
  return 'unknown error';
};
