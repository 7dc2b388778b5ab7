import type { CompileCustomDetector } from './compile.js';

/**
 * The compiler for regex detectors declared in config, from
 * `@palisade/pii-detectors` (it owns the ReDoS check). Undefined while that
 * package is not installed: a policy that declares one is then refused.
 */
export const customDetectorCompiler = async (): Promise<CompileCustomDetector | undefined> =>
  Promise.resolve(undefined);
