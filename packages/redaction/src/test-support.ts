import * as E from 'fp-ts/lib/Either.js';
import type { Detector } from '@palisade/core';
import { compilePolicySet } from './compile.js';
import { compileCustomDetector } from './custom-detectors.js';
import { createRedactor, type Redactor } from './engine.js';
import { detectors as basicDetectors } from './fixtures/basic-detectors.js';
import { RedactionConfig } from './policy.js';

/** A 40-character hash key for tests; real ones come from a secret backend. */
export const TEST_KEY = 'test-key-0123456789-abcdefghij-0123456789';

/** An in-thread engine over the test detectors (and any extra), from a config object; throws on config errors. */
export const testRedactor = (config: unknown, extra: readonly Detector[] = []): Redactor => {
  const decoded = RedactionConfig.decode(config);
  if (E.isLeft(decoded)) throw new Error('test config does not decode');
  const all = [...basicDetectors, ...extra];
  const registry = { detectors: new Map(all.map((d) => [d.id, d])), builtIn: basicDetectors.map((d) => d.id) };
  const policies = compilePolicySet(decoded.right, registry, { source: 'test', compileCustom: compileCustomDetector });
  if (E.isLeft(policies)) throw new Error(`test config invalid: ${policies.left.message}`);
  const hashKeys = decoded.right.redaction?.hash_keys;
  return createRedactor({
    policies: policies.right,
    eventBudgetMs: decoded.right.redaction?.event_budget_ms ?? 1000,
    ...(hashKeys !== undefined ? { hashKeys } : {}),
  });
};
