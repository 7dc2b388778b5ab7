import * as E from 'fp-ts/lib/Either.js';
import parseJsonPath from 'jsonpath-rfc9535/parser';
import { configInvalid, TenantId, type ConfigInvalid, type Detector, type Issue } from '@palisade/core';
import type { DetectorRegistry } from './detector-modules.js';
import {
  mergePolicies,
  type CustomDetector,
  type DataPolicy,
  type DetectorAction,
  type HashKeys,
  type RedactionConfig,
  type RedactionMode,
} from './policy.js';
import { DEFAULT_REVEAL } from './transforms.js';

/** One detector as a policy runs it. */
export interface ActiveDetector {
  readonly detector: Detector;
  readonly action: DetectorAction;
  readonly mode: RedactionMode;
  readonly reveal: number;
}

/** One `pii_fields` entry, parsed. */
export interface FieldRule {
  readonly path: string;
  readonly mode: RedactionMode;
  readonly reveal: number;
}

/** A policy ready to run: detectors resolved, paths parsed, defaults applied. */
export interface CompiledPolicy {
  readonly detectors: readonly ActiveDetector[];
  readonly fields: readonly FieldRule[];
  readonly minConfidence: number;
  readonly usesHash: boolean;
}

/** Compiles a custom regex detector, refusing patterns that could backtrack catastrophically; issues are relative to the spec. */
export type CompileCustomDetector = (spec: CustomDetector) => E.Either<readonly Issue[], Detector>;

export interface PolicySet {
  /**
   * The policy for one event: default, then tenant, then workflow, then the
   * tenant's workflow overrides; or why that combination cannot be compiled.
   */
  policyFor(tenant: string, workflow: string | undefined): E.Either<string, CompiledPolicy>;
}

export const DEFAULT_MIN_CONFIDENCE = 0.5;
/** The name reports use for `pii_fields` redactions, and the `modes` key that sets their mode. */
export const FIELD_DETECTOR = 'field';
/** Why no detector may be called `field`: its findings and its `modes` entry would be mistaken for pii_fields'. */
export const RESERVED_FIELD_ID = `'${FIELD_DETECTOR}' is reserved: reports and 'modes' use it for pii_fields`;

const KEY_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const MIN_KEY_LENGTH = 32;

/**
 * Checks every policy layer of the config against the detectors available and
 * compiles them. All problems are reported at once, each with its config path.
 * Combined layers (tenant x workflow) are compiled on first use and cached.
 */
export const compilePolicySet = (
  config: RedactionConfig,
  registry: DetectorRegistry,
  options: { readonly source: string; readonly compileCustom: CompileCustomDetector },
): E.Either<ConfigInvalid, PolicySet> => {
  const issues: Issue[] = [];
  const hashKeys = config.redaction?.hash_keys;
  checkHashKeys(hashKeys, issues);
  const base: DataPolicy = {
    pii_detectors: [...registry.builtIn],
    redaction_mode: 'mask',
    ...config.data_policy,
  };
  /*
   * Each layer is compiled merged with what it inherits, but only problems in
   * keys the layer itself sets are reported at its path: an inherited mistake
   * is reported once, where it was written.
   */
  const check = (policy: DataPolicy, layer: DataPolicy | undefined, path: string): void => {
    if (layer === undefined) return;
    const found: Issue[] = [];
    compilePolicy(policy, registry, options.compileCustom, hashKeys !== undefined, path, found);
    issues.push(...found.filter((issue) => layer === policy || layerOwns(layer, issue.path.slice(path.length + 1))));
  };
  check(base, base, 'data_policy');
  for (const [name, w] of Object.entries(config.workflows ?? {})) {
    checkName(name, `workflows.${name}`, issues);
    check(mergePolicies(base, w.data_policy), w.data_policy, `workflows.${name}.data_policy`);
  }
  for (const [tenant, section] of Object.entries(config.tenants ?? {})) {
    if (E.isLeft(TenantId.decode(tenant))) {
      // A tenant key that no tenant id can equal would be an override that never applies.
      issues.push({
        path: `tenants.${tenant}`,
        message: "is not a tenant id: 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
      });
    }
    const tenantPolicy = mergePolicies(base, section.data_policy);
    check(tenantPolicy, section.data_policy, `tenants.${tenant}.data_policy`);
    for (const [name, w] of Object.entries(section.workflows ?? {})) {
      check(
        mergePolicies(mergePolicies(tenantPolicy, config.workflows?.[name]?.data_policy), w.data_policy),
        w.data_policy,
        `tenants.${tenant}.workflows.${name}.data_policy`,
      );
    }
  }
  if (issues.length > 0) return E.left(configInvalid(options.source, issues));

  const cache = new Map<string, CompiledPolicy>();
  return E.right({
    policyFor: (tenant, workflow) => {
      const tenantSection = Object.hasOwn(config.tenants ?? {}, tenant) ? config.tenants?.[tenant] : undefined;
      const globalWorkflow =
        workflow !== undefined && Object.hasOwn(config.workflows ?? {}, workflow)
          ? config.workflows?.[workflow]
          : undefined;
      const tenantWorkflow =
        workflow !== undefined && Object.hasOwn(tenantSection?.workflows ?? {}, workflow)
          ? tenantSection?.workflows?.[workflow]
          : undefined;
      // Unknown tenants and workflows share the entries of the layers that exist, so the cache stays bounded.
      const key = JSON.stringify([
        tenantSection === undefined ? null : tenant,
        globalWorkflow === undefined ? null : workflow,
        tenantWorkflow === undefined ? null : workflow,
      ]);
      const cached = cache.get(key);
      if (cached !== undefined) return E.right(cached);
      const merged = mergePolicies(
        mergePolicies(mergePolicies(base, tenantSection?.data_policy), globalWorkflow?.data_policy),
        tenantWorkflow?.data_policy,
      );
      const compileIssues: Issue[] = [];
      const compiled = compilePolicy(
        merged,
        registry,
        options.compileCustom,
        hashKeys !== undefined,
        'data_policy',
        compileIssues,
      );
      // Every layer was checked above, so a combination should not fail; if one does, its events fail closed.
      if (compileIssues.length > 0) return E.left(compileIssues.map((i) => `${i.path}: ${i.message}`).join('; '));
      cache.set(key, compiled);
      return E.right(compiled);
    },
  });
};

const layerOwns = (layer: DataPolicy, relative: string): boolean => {
  // The hash-key problem is about the merged whole: it belongs to any layer that sets a mode.
  if (relative === '')
    return layer.redaction_mode !== undefined || layer.modes !== undefined || layer.pii_fields !== undefined;
  const [top, second] = relative.split('.');
  const own = (layer as Record<string, unknown>)[top!];
  if (own === undefined) return false;
  if (second === undefined || Array.isArray(own) || typeof own !== 'object' || own === null) return true;
  return Object.hasOwn(own, second);
};

const checkName = (name: string, path: string, issues: Issue[]): void => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(name)) {
    issues.push({ path, message: "must be 1 to 128 letters, digits or '. _ : -'" });
  }
};

const checkHashKeys = (hashKeys: HashKeys | undefined, issues: Issue[]): void => {
  if (hashKeys === undefined) return;
  if (!Object.hasOwn(hashKeys.keys, hashKeys.active)) {
    issues.push({
      path: 'redaction.hash_keys.active',
      message: `names key '${hashKeys.active}', which is not in keys`,
    });
  }
  for (const [id, value] of Object.entries(hashKeys.keys)) {
    if (!KEY_ID.test(id)) {
      issues.push({
        path: `redaction.hash_keys.keys.${id}`,
        message: "key ids must be 1 to 32 lower-case letters, digits, '_' or '-'",
      });
    }
    if (value.length < MIN_KEY_LENGTH) {
      // The length only: never the value.
      issues.push({
        path: `redaction.hash_keys.keys.${id}`,
        message: `must be at least ${MIN_KEY_LENGTH} characters (use \${secret:...})`,
      });
    }
  }
};

const compilePolicy = (
  policy: DataPolicy,
  registry: DetectorRegistry,
  compileCustom: CompileCustomDetector,
  hasHashKey: boolean,
  path: string,
  issues: Issue[],
): CompiledPolicy => {
  const defaultMode = policy.redaction_mode ?? 'mask';
  const modes = policy.modes ?? {};
  const actions = policy.actions ?? {};
  const reveals = policy.mask_reveal ?? {};
  const custom = new Map<string, Detector>();
  (policy.custom_detectors ?? []).forEach((spec, i) => {
    const at = `${path}.custom_detectors.${i}`;
    if (spec.id === FIELD_DETECTOR) {
      issues.push({ path: `${at}.id`, message: RESERVED_FIELD_ID });
      return;
    }
    if (registry.detectors.has(spec.id) || custom.has(spec.id)) {
      issues.push({ path: `${at}.id`, message: `detector '${spec.id}' is already defined` });
      return;
    }
    const compiled = compileCustom(spec);
    if (E.isLeft(compiled)) {
      issues.push(...compiled.left.map((issue) => ({ path: `${at}.${issue.path}`, message: issue.message })));
      return;
    }
    custom.set(spec.id, compiled.right);
  });
  const known = (id: string): boolean => registry.detectors.has(id) || custom.has(id);
  const available = (): string => [...registry.detectors.keys(), ...custom.keys()].join(', ') || 'none';
  const enabled = [...new Set([...(policy.pii_detectors ?? registry.builtIn), ...custom.keys()])];
  (policy.pii_detectors ?? []).forEach((id, i) => {
    if (!known(id)) {
      issues.push({
        path: `${path}.pii_detectors.${i}`,
        message: `unknown detector '${id}' (available: ${available()})`,
      });
    }
  });
  for (const [mapName, map] of [
    ['modes', modes],
    ['actions', actions],
    ['mask_reveal', reveals],
  ] as const) {
    for (const id of Object.keys(map)) {
      if (!known(id) && !(id === FIELD_DETECTOR && mapName !== 'actions')) {
        issues.push({
          path: `${path}.${mapName}.${id}`,
          message: `unknown detector '${id}' (available: ${available()})`,
        });
      }
    }
  }
  const detectors: ActiveDetector[] = enabled.flatMap((id) => {
    const detector = registry.detectors.get(id) ?? custom.get(id);
    if (detector === undefined) return [];
    return [
      {
        detector,
        action: actions[id] ?? 'redact',
        mode: modes[id] ?? defaultMode,
        reveal: reveals[id] ?? DEFAULT_REVEAL[id] ?? 0,
      },
    ];
  });
  const fields: FieldRule[] = [];
  (policy.pii_fields ?? []).forEach((field, i) => {
    const rule = typeof field === 'string' ? { path: field } : field;
    const at = typeof field === 'string' ? `${path}.pii_fields.${i}` : `${path}.pii_fields.${i}.path`;
    const problem = checkJsonPath(rule.path);
    if (problem !== null) {
      issues.push({ path: at, message: problem });
      return;
    }
    fields.push({
      path: rule.path,
      mode: rule.mode ?? modes[FIELD_DETECTOR] ?? defaultMode,
      reveal: rule.reveal ?? reveals[FIELD_DETECTOR] ?? 0,
    });
  });
  const usesHash =
    fields.some((f) => f.mode === 'hash') || detectors.some((d) => d.mode === 'hash' && d.action === 'redact');
  // Any mention of hash needs a key, even for a detector this layer does not enable: a later layer may enable it.
  const mentionsHash =
    policy.redaction_mode === 'hash' ||
    Object.values(modes).includes('hash') ||
    (policy.pii_fields ?? []).some((f) => typeof f !== 'string' && f.mode === 'hash');
  if ((usesHash || mentionsHash) && !hasHashKey) {
    issues.push({
      path,
      message: 'uses hash mode, but redaction.hash_keys is not configured (hashes are always keyed)',
    });
  }
  return { detectors, fields, minConfidence: policy.min_confidence ?? DEFAULT_MIN_CONFIDENCE, usesHash };
};

/**
 * Parses a JSONPath with an RFC 9535 parser: no evaluation of script, so a
 * policy cannot run code. Filters are refused: a field rule selects by
 * location, not by content. Returns the problem, or null.
 */
export const checkJsonPath = (path: string): string | null => {
  if (!path.startsWith('$')) return "is not a JSONPath: it must start with '$' (the event's data)";
  try {
    const ast = parseJsonPath(path) as unknown;
    if (JSON.stringify(ast).includes('"FilterSelector"')) {
      return 'uses a filter expression (?...), which pii_fields does not allow: select by location';
    }
    return null;
  } catch (e) {
    const column = (e as { location?: { start?: { column?: number } } }).location?.start?.column;
    return `is not a valid JSONPath (RFC 9535)${column !== undefined ? ` at column ${column}` : ''}`;
  }
};
