/*
 * Custom regex detectors declared in configuration. The pattern is compiled and
 * checked once, when the configuration loads; a pattern that can backtrack
 * catastrophically is refused there, because a detector runs on every stored
 * string and one bad pattern would let any tenant's payload stall a worker.
 *
 * The check is `redos-detector`: it enumerates the paths a backtracking engine
 * can take and scores how many can match the same input, so it catches
 * ambiguous alternations (`(a|aa)*b`) and quantified groups over overlapping
 * classes, not only nested stars (which is all star-height tools see). It runs
 * in plain JavaScript with one small parser dependency. It treats an unanchored
 * pattern as preceded by a lazy wildcard, as a scanning engine runs it, so an
 * unbounded run like `\d+x` (quadratic over a long digit run) is refused too.
 * When the analysis cannot finish within its budget, the pattern is refused:
 * we fail closed.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { isSafePattern } from 'redos-detector';
import {
  configInvalid,
  decodeWith,
  defineDetector,
  isDetectorId,
  primeRegex,
  strict,
  type ConfigInvalid,
  type Detector,
  type DetectorSpan,
  type Issue,
} from '@palisade/core';

export const CustomRegexDetectorSpec = strict(
  { id: t.string, pattern: t.string },
  { flags: t.string, hints: t.array(t.string), type: t.string, confidence: t.number },
  'CustomRegexDetector',
);
export type CustomRegexDetectorSpec = t.TypeOf<typeof CustomRegexDetectorSpec>;

/** Longer patterns are refused: the analysis cost grows with them and no PII shape needs more. */
export const MAX_PATTERN_LENGTH = 1000;
/** How long the ReDoS analysis may take for one pattern before it is refused as unproven. */
const ANALYSIS_TIMEOUT_MS = 500;
/** redos-detector's score: how many paths can match one input. */
const MAX_SCORE = 200;
const ALLOWED_FLAGS = new Set(['i', 'm', 's', 'u']);

const fail = (id: string, path: string, message: string): E.Either<ConfigInvalid, never> =>
  E.left(configInvalid(`custom detector '${id}'`, [{ path, message }]));

const checkFlags = (flags: string): string | null => {
  const seen = new Set<string>();
  for (const f of flags) {
    if (!ALLOWED_FLAGS.has(f)) return `flag '${f}' is not allowed (allowed: i, m, s, u; matching is always global)`;
    if (seen.has(f)) return `flag '${f}' is given twice`;
    seen.add(f);
  }
  return null;
};

/**
 * Where to look next after an empty match at `index`. With the `u` flag that is
 * past the whole code point: a `lastIndex` between the two halves of a
 * surrogate pair is read as the pair's start, so `(?<=a)` on `a😀` would find
 * the same empty match forever.
 */
const indexAfter = (text: string, index: number, unicode: boolean): number => {
  if (!unicode) return index + 1;
  const c = text.charCodeAt(index);
  const isPair = c >= 0xd800 && c <= 0xdbff && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
  return index + (isPair ? 2 : 1);
};

const explainUnsafe = (result: ReturnType<typeof isSafePattern>): string => {
  const where = result.trails[0]?.trail[0];
  const part = where === undefined ? '' : ` (around '${where.a.node.source}' at offset ${where.a.node.start.offset})`;
  switch (result.error) {
    case 'timedOut':
    case 'hitMaxSteps':
      return `could not be proven free of catastrophic backtracking within the analysis budget${part}; simplify it`;
    default:
      return (
        `can backtrack catastrophically: the same input can match it in too many ways${part}; ` +
        'use literal prefixes, bounded quantifiers ({1,64}) and non-overlapping alternatives'
      );
  }
};

/*
 * The backtracking analysis, once per pattern and flags. The same custom
 * detector is compiled again for every policy layer that inherits it (each
 * tenant and workflow) and in every worker, and `redos-detector` keeps about
 * 1 MB for each analysis it runs (measured: 90 MB after 100 compilations of
 * one pattern, kept after a full garbage collection).
 */
const verdicts = new Map<string, string | null>();
const MAX_VERDICTS = 10_000;

/** Why `pattern` may backtrack catastrophically under `flags`, or null when it is safe. */
const whyUnsafe = (pattern: string, flags: string): string | null => {
  const key = `${flags}/${pattern}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  let verdict: string | null;
  try {
    const analysis = isSafePattern(pattern, {
      caseInsensitive: flags.includes('i'),
      unicode: flags.includes('u'),
      dotAll: flags.includes('s'),
      multiLine: flags.includes('m'),
      maxScore: MAX_SCORE,
      timeout: ANALYSIS_TIMEOUT_MS,
    });
    verdict = analysis.safe ? null : explainUnsafe(analysis);
  } catch {
    // Constructs the analyser does not understand (some backreference forms) are refused, not trusted.
    verdict = 'uses a construct the backtracking analysis does not support; refused to be safe';
  }
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
};

/**
 * Compiles a custom regex detector from its configuration. Fails with
 * `ConfigInvalid` naming the detector and the reason (bad id, bad flags, invalid
 * or unsafe pattern, a pattern that matches the empty string, bad hints).
 */
export const compileRegexDetector = (input: unknown): E.Either<ConfigInvalid, Detector> => {
  const decoded = decodeWith(CustomRegexDetectorSpec)(input);
  if (E.isLeft(decoded)) {
    const id =
      typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'string'
        ? (input as { id: string }).id
        : '?';
    return E.left(configInvalid(`custom detector '${id.slice(0, 64)}'`, decoded.left.issues));
  }
  const spec = decoded.right;
  const id = spec.id;
  if (!isDetectorId(id)) return fail(id.slice(0, 64), 'id', 'must be 1 to 64 of [a-z0-9_], starting with a letter');
  const type = spec.type ?? id;
  if (!isDetectorId(type)) return fail(id, 'type', 'must be 1 to 64 of [a-z0-9_], starting with a letter');
  const confidence = spec.confidence ?? 0.8;
  if (!(confidence >= 0 && confidence <= 1)) return fail(id, 'confidence', 'must be a number from 0 to 1');
  const hints = spec.hints ?? [];
  const badHint = hints.findIndex((h) => h.length === 0 || h !== h.toLowerCase());
  if (badHint >= 0) return fail(id, `hints.${badHint}`, 'must be a non-empty lower-case literal');
  const flags = spec.flags ?? '';
  const flagProblem = checkFlags(flags);
  if (flagProblem !== null) return fail(id, 'flags', flagProblem);
  if (spec.pattern.length === 0) return fail(id, 'pattern', 'must not be empty');
  if (spec.pattern.length > MAX_PATTERN_LENGTH) {
    return fail(id, 'pattern', `is ${spec.pattern.length} characters, over the limit of ${MAX_PATTERN_LENGTH}`);
  }

  let regex: RegExp;
  try {
    regex = new RegExp(spec.pattern, `${flags}g`);
  } catch {
    return fail(id, 'pattern', 'is not a valid JavaScript regular expression');
  }
  if (regex.exec('')?.[0] === '') return fail(id, 'pattern', 'matches the empty string');
  regex.lastIndex = 0;

  const unsafe = whyUnsafe(spec.pattern, flags);
  if (unsafe !== null) return fail(id, 'pattern', unsafe);
  // Only once it is known to be safe.
  primeRegex(regex);

  /*
   * One pattern object, its `lastIndex` reset on every call: `find` runs to the
   * end without calling out, so no other call can interleave. (A copy per call
   * would be compiled afresh, untuned, whenever V8 drops it from its cache.)
   */
  const find = (text: string): DetectorSpan[] => {
    const spans: DetectorSpan[] = [];
    regex.lastIndex = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      if (m[0].length === 0) {
        regex.lastIndex = indexAfter(text, m.index, regex.unicode);
        continue;
      }
      spans.push({ start: m.index, end: m.index + m[0].length, type, confidence });
    }
    regex.lastIndex = 0;
    return spans;
  };
  return E.right(defineDetector({ id, hints, find }));
};

/** Every problem with a list of custom detector specs, each with its index in the path. */
export const compileRegexDetectors = (inputs: readonly unknown[]): E.Either<ConfigInvalid, Detector[]> => {
  const compiled: Detector[] = [];
  const issues: Issue[] = [];
  const ids = new Set<string>();
  inputs.forEach((input, i) => {
    const r = compileRegexDetector(input);
    if (E.isLeft(r)) {
      issues.push(...r.left.issues.map((issue) => ({ path: `${i}.${issue.path}`, message: issue.message })));
      return;
    }
    if (ids.has(r.right.id)) issues.push({ path: `${i}.id`, message: `detector id '${r.right.id}' is declared twice` });
    ids.add(r.right.id);
    compiled.push(r.right);
  });
  return issues.length > 0 ? E.left(configInvalid('custom detectors', issues)) : E.right(compiled);
};
