import * as E from 'fp-ts/lib/Either.js';
import { compileRegexDetector } from '@palisade/pii-detectors';
import type { CompileCustomDetector } from './compile.js';

/** Regex detectors declared in config, compiled (with its ReDoS check) by `@palisade/pii-detectors`. */
export const compileCustomDetector: CompileCustomDetector = (spec) =>
  E.mapLeft((e: { readonly issues: CompileIssues }) => e.issues)(compileRegexDetector(spec));

type CompileIssues = readonly { readonly path: string; readonly message: string }[];
