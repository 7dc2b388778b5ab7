import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { configInvalid, type AppendPipeline, type ConfigInvalid, type Issue, type SecretSource } from '@palisade/core';
import { createRedactionService, type RedactionService, type RedactionServiceOptions } from './service.js';

export interface RedactionPipeline extends AppendPipeline {
  readonly service: RedactionService;
  close(): Promise<void>;
}

export interface RedactionPipelineOptions extends Omit<RedactionServiceOptions, 'config'> {
  /**
   * Resolves `${secret:NAME}` references left in `redaction.hash_keys` (a
   * config loaded with `loadConfigWithSecrets` has none left).
   */
  readonly secrets?: SecretSource;
}

const SECTIONS = ['data_policy', 'tenants', 'workflows', 'redaction'] as const;

/**
 * The append pipeline that applies the config's data policy: give it to
 * `createRuntime(config, { pipeline })`. Takes the whole Palisade config (or
 * just its policy sections); other sections are ignored here.
 */
export const createRedactionPipeline = (
  config: unknown,
  options: RedactionPipelineOptions = {},
): TE.TaskEither<ConfigInvalid, RedactionPipeline> => {
  const source = options.source ?? 'config';
  const whole = typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
  const sections = Object.fromEntries(SECTIONS.filter((k) => whole[k] !== undefined).map((k) => [k, whole[k]]));
  return pipe(
    resolveHashKeySecrets(sections, options.secrets, source),
    TE.chain((resolved) => createRedactionService({ ...options, source, config: resolved })),
    TE.map((service): RedactionPipeline => ({
      service,
      process: (context, events) => service.redact(context.tenant, events, context.stream),
      close: () => service.close(),
    })),
  );
};

const SECRET_REFERENCE = /^\$\{secret:([^}]+)\}$/;

/**
 * Resolves hash keys written as `${secret:NAME}` (the whole value). Only
 * `redaction.hash_keys.keys` is looked at: elsewhere in a policy a `${` is
 * text (a custom detector's pattern, say).
 */
const resolveHashKeySecrets = (
  sections: Record<string, unknown>,
  secrets: SecretSource | undefined,
  source: string,
): TE.TaskEither<ConfigInvalid, Record<string, unknown>> => {
  const redaction = sections['redaction'] as { hash_keys?: { keys?: unknown } } | undefined;
  const keys = redaction?.hash_keys?.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) return TE.right(sections);
  const references = Object.entries(keys as Record<string, unknown>).flatMap(([id, value]) => {
    const m = typeof value === 'string' ? SECRET_REFERENCE.exec(value) : null;
    return m === null ? [] : [{ id, reference: m[1]!, path: `redaction.hash_keys.keys.${id}` }];
  });
  if (references.length === 0) return TE.right(sections);
  return async () => {
    const issues: Issue[] = [];
    const resolved: Record<string, unknown> = { ...(keys as Record<string, unknown>) };
    for (const { id, reference, path } of references) {
      if (secrets === undefined) {
        issues.push({ path, message: `refers to secret ${reference}, but no secret source was given` });
        continue;
      }
      const found = await secrets.resolve(reference)();
      if (E.isLeft(found)) {
        issues.push({
          path,
          message: `refers to secret ${reference}, which could not be resolved (${found.left.code})`,
        });
        continue;
      }
      // The one place hash keys are revealed: the engine needs the bytes.
      resolved[id] = found.right.value.reveal();
    }
    if (issues.length > 0) return E.left(configInvalid(source, issues));
    return E.right({
      ...sections,
      redaction: { ...redaction, hash_keys: { ...redaction?.hash_keys, keys: resolved } },
    });
  };
};
