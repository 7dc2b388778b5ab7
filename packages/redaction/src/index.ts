export { createRedactionPipeline, type RedactionPipeline, type RedactionPipelineOptions } from './pipeline.js';
export {
  createRedactionPool,
  createRedactionService,
  DEFAULTS as REDACTION_DEFAULTS,
  type RedactionService,
  type RedactionServiceOptions,
} from './service.js';
export type { Finding, RedactionReport } from './engine.js';
export {
  DataPolicy,
  RedactionConfig,
  RedactionSection,
  RedactionMode,
  DetectorAction,
  REPORT_METADATA_KEY,
  WORKFLOW_METADATA_KEY,
} from './policy.js';
export { BUILT_IN_DETECTORS } from './detector-modules.js';
