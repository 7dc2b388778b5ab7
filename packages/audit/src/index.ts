export { canonicalJson } from './canonical-json.js';
export {
  AUDIT_STREAM,
  CHECKPOINT_TYPE,
  ENTRY_TYPE,
  AuditEntryData,
  checkpointStatement,
  entryHash,
  genesisHash,
  type AuditAction,
  type AuditOutcome,
  type AuditRecord,
} from './entry.js';
export { loadSigner, loadPublicKey, verifySignature, type AuditSigner, type TrustedKey } from './signing.js';
export {
  DEFAULT_OUTPUT_FIELDS,
  DEFAULT_PROMPT_FIELDS,
  applyDataPolicy,
  dataPolicyFrom,
  hashCredential,
  hashTokens,
  type AuditDataPolicy,
  type AuditDataPolicyInput,
} from './data-policy.js';
export {
  AuditWriteFailed,
  bypassAuditStream,
  createAuditor,
  redactionFindings,
  type Auditor,
  type AuditorOptions,
  type AuditError,
  type AuditHead,
  type AuditRecordInput,
} from './auditor.js';
export {
  CSV_COLUMNS,
  EXPORT_FORMAT,
  csvHeader,
  csvLine,
  exportAuditLog,
  jsonlLine,
  readAuditLog,
  type ExportLine,
} from './export.js';
export { parseCsv } from './csv.js';
export {
  createVerifier,
  verifyCsv,
  verifyJsonl,
  type Problem,
  type ProblemKind,
  type VerifyOptions,
  type VerifyReport,
} from './verify.js';
export { AuditQuery, auditFilter, queryAuditLog, type AuditQueryResult } from './query.js';
export { auditorFromConfig, type DataPolicySections } from './from-config.js';
export { testSigner } from './test-support.js';
