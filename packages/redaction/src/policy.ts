import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, strict } from '@palisade/core';
import { CustomRegexDetectorSpec } from '@palisade/pii-detectors';

/*
 * The data policy and the redaction settings, as io-ts codecs. Every object is
 * strict: a misspelt key is an error naming its path, never silently ignored,
 * because a policy key that is ignored is personal data that is stored.
 */

export const RedactionMode = t.keyof({ mask: null, hash: null, remove: null }, 'RedactionMode');
export type RedactionMode = t.TypeOf<typeof RedactionMode>;

export const DetectorAction = t.keyof({ redact: null, block: null, warn: null }, 'DetectorAction');
export type DetectorAction = t.TypeOf<typeof DetectorAction>;

const Confidence = t.refinement(t.number, (n) => n >= 0 && n <= 1, 'Confidence');
const Reveal = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0 && n <= 8, 'Reveal');

/** A field redacted whole: a JSONPath (RFC 9535) into the event's `data`, with an optional mode and mask tail. */
export const PiiField = t.union(
  [t.string, strict({ path: t.string }, { mode: RedactionMode, reveal: Reveal }, 'PiiFieldRule')],
  'PiiField',
);
export type PiiField = t.TypeOf<typeof PiiField>;

/**
 * A regex detector declared in config: `{ id, pattern, flags?, hints?, type?, confidence? }`,
 * compiled by `@palisade/pii-detectors`, which refuses patterns that can backtrack catastrophically.
 */
export const CustomDetector = CustomRegexDetectorSpec;
export type CustomDetector = t.TypeOf<typeof CustomDetector>;

const policyProps = {
  /** Detector ids to run over every string. Default: every built-in detector. */
  pii_detectors: t.array(t.string),
  /** JSONPaths into `data` whose values are redacted whole, whatever they hold. */
  pii_fields: t.array(PiiField),
  /** The mode for every detector and field without its own. Default `mask`. */
  redaction_mode: RedactionMode,
  /** Per-detector modes, e.g. `{ ssn: hash }`; the key `field` sets the mode of `pii_fields`. */
  modes: t.record(t.string, RedactionMode),
  /** Per-detector actions; `redact` when absent. */
  actions: t.record(t.string, DetectorAction),
  /** Characters left visible at the end of a masked match (at the start of an email's local part), 0..8. */
  mask_reveal: t.record(t.string, Reveal),
  /** Spans a detector reports with lower confidence are ignored. Default 0.5. */
  min_confidence: Confidence,
  /** Regex detectors of this policy, enabled wherever the policy applies. */
  custom_detectors: t.array(CustomDetector),
  /** Read by retention and by the agent runtime, not by the redaction engine. */
  retain_prompts: t.boolean,
  retain_outputs: t.boolean,
  retention_days: PositiveInt,
};

/** A whole policy or an override of some of its keys: every key is optional. */
export const DataPolicy = strict({}, policyProps, 'DataPolicy');
export type DataPolicy = t.TypeOf<typeof DataPolicy>;

export const WorkflowSection = strict({}, { data_policy: DataPolicy }, 'WorkflowConfig');

export const WorkflowsSection = t.record(t.string, WorkflowSection, 'WorkflowsConfig');

export const TenantSection = strict({}, { data_policy: DataPolicy, workflows: WorkflowsSection }, 'TenantConfig');

export const TenantsSection = t.record(t.string, TenantSection, 'TenantsConfig');

export const HashKeys = strict({ active: t.string, keys: t.record(t.string, t.string) }, {}, 'HashKeys');
export type HashKeys = t.TypeOf<typeof HashKeys>;

export const RedactionSection = strict(
  {},
  {
    /** `pool` (worker threads, the default) or `in_thread`. */
    mode: t.keyof({ pool: null, in_thread: null }),
    /** Worker threads; default: the machine's available parallelism. */
    workers: PositiveInt,
    /** Tasks waiting for a worker before appends are refused with Overloaded. */
    max_queue: NonNegativeInt,
    /** Most events in one task; larger appends are cut into several tasks. */
    batch_size: PositiveInt,
    /** A task that takes longer fails the append and its worker is replaced. */
    task_timeout_ms: PositiveInt,
    /** Time the detectors may spend on one event before the append fails closed. */
    event_budget_ms: PositiveInt,
    /** Module specifiers of detector plugins, loaded inside every worker. */
    detector_modules: t.array(t.string),
    /** HMAC keys for `hash` mode: `{ active: k1, keys: { k1: '${secret:redaction/k1}' } }`. */
    hash_keys: HashKeys,
  },
  'RedactionConfig',
);
export type RedactionSection = t.TypeOf<typeof RedactionSection>;

/** The parts of the Palisade config this package reads; other sections are left to their owners. */
export const RedactionConfig = t.partial(
  {
    data_policy: DataPolicy,
    tenants: TenantsSection,
    workflows: WorkflowsSection,
    redaction: RedactionSection,
  },
  'PalisadeRedactionConfig',
);
export type RedactionConfig = t.TypeOf<typeof RedactionConfig>;

/** Metadata key naming the workflow an event belongs to; selects `workflows.<name>` overrides. */
export const WORKFLOW_METADATA_KEY = 'workflow';

/** Metadata key under which every processed event carries its redaction report. */
export const REPORT_METADATA_KEY = 'palisade_redaction';

/**
 * Layers overrides on a base: a key given replaces the base's, except the
 * per-detector maps (`modes`, `actions`, `mask_reveal`), which merge key by
 * key, and `custom_detectors`, which merge by id.
 */
export const mergePolicies = (base: DataPolicy, override: DataPolicy | undefined): DataPolicy => {
  if (override === undefined) return base;
  const merged: DataPolicy = { ...base, ...override };
  return {
    ...merged,
    ...(base.modes !== undefined || override.modes !== undefined
      ? { modes: { ...base.modes, ...override.modes } }
      : {}),
    ...(base.actions !== undefined || override.actions !== undefined
      ? { actions: { ...base.actions, ...override.actions } }
      : {}),
    ...(base.mask_reveal !== undefined || override.mask_reveal !== undefined
      ? { mask_reveal: { ...base.mask_reveal, ...override.mask_reveal } }
      : {}),
    ...(base.custom_detectors !== undefined || override.custom_detectors !== undefined
      ? {
          custom_detectors: [
            ...(base.custom_detectors ?? []).filter(
              (d) => !(override.custom_detectors ?? []).some((o) => o.id === d.id),
            ),
            ...(override.custom_detectors ?? []),
          ],
        }
      : {}),
  };
};
