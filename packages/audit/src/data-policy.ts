import { createHash } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import {
  configInvalid,
  mapAtPath,
  parseFieldPath,
  type ConfigInvalid,
  type FieldPath,
  type Issue,
  type JsonObject,
  type JsonValue,
} from '@palisade/core';

/**
 * Which event fields are prompts and which are model outputs, by default. A
 * prompt is what was sent to a model (the prompt text, chat messages, the
 * system prompt, the input); an output is what came back (the completion, the
 * response, choices). Everything else (ids, types, the workflow node, token
 * counts, timings, cost, the model name, redaction reports) is metadata about
 * the call and always stays.
 */
export const DEFAULT_PROMPT_FIELDS = [
  'data.prompt',
  'data.prompts',
  'data.messages',
  'data.system',
  'data.system_prompt',
  'data.input',
  'data.inputs',
];
export const DEFAULT_OUTPUT_FIELDS = [
  'data.output',
  'data.outputs',
  'data.completion',
  'data.completions',
  'data.response',
  'data.choices',
];

export interface AuditDataPolicy {
  readonly retainPrompts: boolean;
  readonly retainOutputs: boolean;
  readonly promptFields: readonly FieldPath[];
  readonly outputFields: readonly FieldPath[];
}

export interface AuditDataPolicyInput {
  readonly retain_prompts?: boolean;
  readonly retain_outputs?: boolean;
  readonly prompt_fields?: readonly string[];
  readonly output_fields?: readonly string[];
}

/** Decodes the `audit.data_policy` section; bad paths are named by their config path. */
export const dataPolicyFrom = (input: AuditDataPolicyInput = {}): E.Either<ConfigInvalid, AuditDataPolicy> => {
  const issues: Issue[] = [];
  const parse = (list: readonly string[], key: string): FieldPath[] =>
    list.flatMap((text, i) => {
      const parsed = parseFieldPath(text);
      if (E.isLeft(parsed)) {
        issues.push({ path: `audit.data_policy.${key}.${i}`, message: parsed.left });
        return [];
      }
      return [parsed.right];
    });
  const promptFields = parse(input.prompt_fields ?? DEFAULT_PROMPT_FIELDS, 'prompt_fields');
  const outputFields = parse(input.output_fields ?? DEFAULT_OUTPUT_FIELDS, 'output_fields');
  if (issues.length > 0) return E.left(configInvalid('config', issues));
  return E.right({
    retainPrompts: input.retain_prompts ?? true,
    retainOutputs: input.retain_outputs ?? true,
    promptFields,
    outputFields,
  });
};

/** The event's data and metadata as an audit entry may carry them. */
export const applyDataPolicy = (
  policy: AuditDataPolicy,
  event: { readonly data: JsonValue; readonly metadata: JsonObject },
): { data: JsonValue; metadata: JsonObject } => {
  let root: JsonValue = { data: event.data, metadata: hashTokens(event.metadata) };
  const strip = (paths: readonly FieldPath[], what: 'prompt' | 'output'): void => {
    for (const p of paths) {
      root = mapAtPath(root, { ...p, segments: [{ kind: 'key', key: p.root }, ...p.segments] }, () => ({
        $stripped: what,
      }));
    }
  };
  if (!policy.retainPrompts) strip(policy.promptFields, 'prompt');
  if (!policy.retainOutputs) strip(policy.outputFields, 'output');
  const out = root as { data: JsonValue; metadata: JsonObject };
  return { data: out.data, metadata: out.metadata };
};

const TOKEN_KEY = /token|secret|password|passwd|authorization|api[_-]?key|credential|cookie|session/i;

/**
 * Metadata values under token-like keys (`token`, `apiKey`, `authorization`,
 * `session`...) are replaced by `{ "$sha256": hex }`: the audit log can still
 * tell two calls with the same token apart from calls with another, without
 * holding anything that would let a reader use it.
 */
export const hashTokens = (metadata: JsonObject): JsonObject => {
  const visit = (value: JsonValue, key: string | null): JsonValue => {
    if (key !== null && TOKEN_KEY.test(key) && typeof value === 'string') return { $sha256: sha256(value) };
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => visit(v, key));
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = visit(v, k);
    return out;
  };
  return visit(metadata, null) as JsonObject;
};

/** A credential given by an operator, as the audit log records it. */
export const hashCredential = (token: string): JsonObject => ({ $sha256: sha256(token) });

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
