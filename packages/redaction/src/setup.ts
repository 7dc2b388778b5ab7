import * as E from 'fp-ts/lib/Either.js';
import type { ConfigInvalid } from '@palisade/core';
import { compilePolicySet } from './compile.js';
import { compileCustomDetector } from './custom-detectors.js';
import { loadDetectorModules } from './detector-modules.js';
import { createRedactor, type Redactor } from './engine.js';
import type { WorkerSetup } from './messages.js';

/**
 * Builds the engine from its setup: loads the detector modules, checks and
 * compiles the policies. The same code runs in the main thread (in-thread mode,
 * and to report config errors at start-up) and in every worker.
 */
export const buildRedactor = async (setup: WorkerSetup): Promise<E.Either<ConfigInvalid, Redactor>> => {
  const registry = await loadDetectorModules(setup.config.redaction?.detector_modules ?? [], {
    baseDir: setup.baseDir,
    source: setup.source,
    withBuiltIn: setup.builtInDetectors,
  });
  if (E.isLeft(registry)) return registry;
  const policies = compilePolicySet(setup.config, registry.right, {
    source: setup.source,
    compileCustom: compileCustomDetector,
  });
  if (E.isLeft(policies)) return policies;
  const hashKeys = setup.config.redaction?.hash_keys;
  return E.right(
    createRedactor({
      policies: policies.right,
      eventBudgetMs: setup.eventBudgetMs,
      ...(hashKeys !== undefined ? { hashKeys } : {}),
    }),
  );
};
