import { performance } from 'node:perf_hooks';
import * as E from 'fp-ts/lib/Either.js';
import { exec as jsonPathExec } from 'jsonpath-rfc9535';
import {
  hintTestOf,
  isDetectorId,
  policyBlocked,
  primeRegex,
  redactionFailed,
  STREAM_FINDING_PATH,
  type HintTest,
  type JsonObject,
  type JsonValue,
  type NewEvent,
  type PolicyBlocked,
  type RedactionFailed,
} from '@palisade/core';
import type { RedactFailure } from './messages.js';
import { FIELD_DETECTOR, type ActiveDetector, type CompiledPolicy, type FieldRule, type PolicySet } from './compile.js';
import type { DetectorAction, HashKeys, RedactionMode } from './policy.js';
import { REPORT_METADATA_KEY, WORKFLOW_METADATA_KEY } from './policy.js';
import { Rewriter } from './rewriter.js';
import { deriveTenantKey, hashToken, maskTail, placeholder, type TenantHashKey } from './transforms.js';

/** One line of the report: how many matches of one detector, at one path, were handled one way. No values. */
export interface Finding {
  readonly detector: string;
  readonly path: string;
  readonly action: DetectorAction;
  /** How matches were replaced; `none` for `warn` (the value is kept) and `block`. */
  readonly mode: RedactionMode | 'none';
  readonly count: number;
}

/** What every processed event carries in `metadata.palisade_redaction`. */
export interface RedactionReport {
  readonly version: 1;
  readonly findings: readonly Finding[];
}

export type RedactError = PolicyBlocked | RedactionFailed;

/** The engine's failures as plain data: what a worker sends back, turned into a core error by `toRedactError`. */
export const toRedactError = (failure: RedactFailure): RedactError =>
  failure._tag === 'PolicyBlocked' ? policyBlocked(failure.findings) : redactionFailed(failure.reason, failure.detail);

export interface Redactor {
  /**
   * Redacts one append's events (or a chunk of one, starting at `at.offset`) for
   * `tenant`: all of them, or a failure and none. `at.stream`, given with the
   * first chunk, is the stream appended to: an id cannot be rewritten, so a
   * value a detector would redact or block there refuses the append.
   */
  redact(tenant: string, events: readonly NewEvent[], at?: RedactAt): E.Either<RedactFailure, NewEvent[]>;
}

export interface RedactAt {
  readonly offset?: number;
  readonly stream?: string;
}

export interface RedactorOptions {
  readonly policies: PolicySet;
  readonly hashKeys?: HashKeys;
  /** Time the detectors may spend on one event. */
  readonly eventBudgetMs: number;
}

/** Thrown inside one `redact` call and caught at its top: the walk stops at the first failure. */
class Stop extends Error {
  readonly error: RedactFailure;
  constructor(reason: Extract<RedactFailure, { _tag: 'RedactionFailed' }>['reason'], detail: string) {
    super(detail);
    this.error = { _tag: 'RedactionFailed', reason, detail };
  }
}

type MutableFinding = { -readonly [K in keyof Finding]: Finding[K] };

/** The map under `key` in `maps`, added empty the first time. */
const innerMap = <K, K2, V>(maps: Map<K, Map<K2, V>>, key: K): Map<K2, V> => {
  let inner = maps.get(key);
  if (inner === undefined) {
    inner = new Map();
    maps.set(key, inner);
  }
  return inner;
};

/** Where `pii_fields` matched in one event's data, as a tree of keys and indices. */
interface Mark {
  rule?: FieldRule;
  children?: Map<string | number, Mark>;
}

const MAX_BLOCK_FINDINGS = 100;
/** How a path names a member whose key holds a value kept by `warn`. */
const WARNED_KEY = '[warned-key]';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const memberPath = (path: string, key: string): string =>
  IDENTIFIER.test(key) ? `${path}.${key}` : `${path}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;

/** The key of a member whose name held a match is reported with a trailing `~` (the JSONPath-Plus convention). */
const keyPath = (path: string): string => `${path}~`;

export const createRedactor = (options: RedactorOptions): Redactor => {
  const tenantKeys = new Map<string, TenantHashKey>();
  const keyFor = (tenant: string): TenantHashKey => {
    let key = tenantKeys.get(tenant);
    if (key === undefined) {
      const hk = options.hashKeys;
      // compilePolicySet refuses hash mode without keys; reaching here without them is a bug.
      const secret = hk?.keys[hk.active];
      if (hk === undefined || secret === undefined) throw new Error('hash mode used without a hash key');
      key = deriveTenantKey(hk.active, secret, tenant);
      if (tenantKeys.size > 10_000) tenantKeys.clear();
      tenantKeys.set(tenant, key);
    }
    return key;
  };

  return {
    redact: (tenant, events, { offset = 0, stream } = {}) => {
      const blocked: { detector: string; path: string }[] = [];
      try {
        const out = events.map((event, index) => {
          const metadata = event.metadata ?? {};
          const workflowValue = metadata[WORKFLOW_METADATA_KEY];
          const workflow = typeof workflowValue === 'string' ? workflowValue : undefined;
          const policy = options.policies.policyFor(tenant, workflow);
          if (E.isLeft(policy)) throw new Stop('protocol', `the policy for event ${offset + index} cannot be compiled`);
          const run = new EventRun(policy.right, () => keyFor(tenant), {
            index: offset + index,
            budgetMs: options.eventBudgetMs,
            blocked,
          });
          // Under the first event's policy (its workflow's, if it names one), like the rest of that event.
          if (index === 0 && stream !== undefined) run.checkStream(stream);
          const data = run.walk(event.data, '$.data', run.fieldMarks(event.data));
          const { [REPORT_METADATA_KEY]: _clientReport, ...ownMetadata } = metadata;
          // A client cannot forge the report: whatever it sent under the key is replaced.
          const redactedMetadata = run.walk(ownMetadata, '$.metadata', undefined) as JsonObject;
          const report: RedactionReport = { version: 1, findings: run.findings() };
          return {
            ...event,
            data: data === REMOVED ? null : data,
            metadata: { ...redactedMetadata, [REPORT_METADATA_KEY]: report as unknown as JsonValue },
          } satisfies NewEvent;
        });
        if (blocked.length > 0) return E.left({ _tag: 'PolicyBlocked', findings: blocked });
        return E.right(out);
      } catch (e) {
        if (e instanceof Stop) return E.left(e.error);
        throw e;
      }
    },
  };
};

const REMOVED = Symbol('removed');

type Walked = JsonValue | typeof REMOVED;

interface Span {
  readonly start: number;
  readonly end: number;
  readonly type: string;
  readonly active: ActiveDetector;
}

/**
 * An escape, at any depth of encoding: a run of backslashes and the character
 * (or `uXXXX`) it escapes. JSON encoded twice turns `\n` into `\\n`.
 */
const ESCAPE = primeRegex(/\\+(?:u[0-9a-fA-F]{4}|[^\\])/g);
const LETTER = /^\p{L}$/u;

/**
 * An escape as the second view sees it, length for length: a `\uXXXX` of a letter becomes letters, so a name or
 * an address written with escaped accents (`jos\u00e9@...`) stays one word; anything else becomes spaces.
 */
const blankEscape = (escape: string): string => {
  const isUnicode = escape.length >= 6 && escape[escape.length - 5] === 'u';
  const letter = isUnicode && LETTER.test(String.fromCharCode(parseInt(escape.slice(-4), 16)));
  return (letter ? 'a' : ' ').repeat(escape.length);
};

const RANK: Record<DetectorAction, number> = { block: 2, redact: 1, warn: 0 };

/** The state of redacting one event: its policy, its report and its time budget. */
class EventRun {
  /** Findings by path, then by detector, action and mode; kept in the order first seen. */
  private readonly counts = new Map<string, Map<string, Map<string, Map<string, MutableFinding>>>>();
  private readonly ordered: Finding[] = [];
  /** Warned and blocked matches so far: values the text still holds after redaction. */
  private keptValues = 0;
  private readonly deadline: number;

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly key: () => TenantHashKey,
    private readonly ctx: {
      readonly index: number;
      readonly budgetMs: number;
      readonly blocked: { detector: string; path: string }[];
    },
  ) {
    this.deadline = performance.now() + ctx.budgetMs;
  }

  findings(): Finding[] {
    return this.ordered.map((f) => ({ ...f }));
  }

  fieldMarks(data: JsonValue): Mark | undefined {
    if (this.policy.fields.length === 0) return undefined;
    const root: Mark = {};
    for (const rule of this.policy.fields) {
      jsonPathExec(data, rule.path, (_value, location) => {
        let node = root;
        for (const step of location) {
          node.children ??= new Map();
          let next = node.children.get(step);
          if (next === undefined) {
            next = {};
            node.children.set(step, next);
          }
          node = next;
        }
        node.rule ??= rule;
      });
    }
    return root;
  }

  /** The stream id cannot be rewritten: a value a detector would redact or block there refuses the append. */
  checkStream(stream: string): void {
    for (const span of this.findSpans(stream, STREAM_FINDING_PATH)) {
      const { detector, action } = span.active;
      if (action === 'warn') continue;
      if (this.ctx.blocked.length < MAX_BLOCK_FINDINGS) {
        this.ctx.blocked.push({ detector: detector.id, path: STREAM_FINDING_PATH });
      }
    }
  }

  walk(value: JsonValue, path: string, mark: Mark | undefined): Walked {
    if (mark?.rule !== undefined) return this.redactField(value, path, mark.rule);
    if (typeof value === 'string') return this.scan(value, path, false);
    if (typeof value === 'number') {
      // A card or an account number sent as a JSON number is still one: it is scanned as text.
      const text = String(value);
      const scanned = this.scan(text, path, false);
      return scanned === text ? value : scanned;
    }
    if (value === null || typeof value === 'boolean') return value;
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        const walked = this.walk(item, `${path}[${i}]`, mark?.children?.get(i));
        return walked === REMOVED ? null : walked;
      });
    }
    const entries: [string, JsonValue][] = [];
    const used = new Set<string>();
    for (const [key, item] of Object.entries(value)) {
      const keptBefore = this.keptValues;
      const keyed = this.scan(key, path, true);
      let outKey = keyed;
      // Two keys may redact to the same text; the later one gets a suffix rather than overwrite.
      for (let n = 2; used.has(outKey); n++) outKey = `${keyed}#${n}`;
      used.add(outKey);
      // Paths end up in reports and errors: a key that still holds a warned or blocked value is not spelt out in them.
      const pathKey = this.keptValues > keptBefore ? WARNED_KEY : outKey;
      const walked = this.walk(item, memberPath(path, pathKey), mark?.children?.get(key));
      if (walked !== REMOVED) entries.push([outKey, walked]);
    }
    // fromEntries defines own properties, so a `__proto__` key stays data.
    return Object.fromEntries(entries);
  }

  private count(detector: string, path: string, action: DetectorAction, mode: RedactionMode | 'none'): void {
    /*
     * Nested maps keyed by the path, detector, action and mode strings as they
     * are: each is the same string object match after match, so its hash is
     * computed once; a key joined from them would be a new string per match.
     */
    const atPath = innerMap(this.counts, path);
    const forDetector = innerMap(atPath, detector);
    const forAction = innerMap(forDetector, action);
    const found = forAction.get(mode);
    if (found !== undefined) {
      found.count++;
    } else {
      const finding = { detector, path, action, mode, count: 1 };
      forAction.set(mode, finding);
      this.ordered.push(finding);
    }
  }

  private redactField(value: JsonValue, path: string, rule: FieldRule): Walked {
    this.count(FIELD_DETECTOR, path, 'redact', rule.mode);
    if (value === null) return null;
    switch (rule.mode) {
      case 'remove':
        return REMOVED;
      case 'hash':
        return hashToken(FIELD_DETECTOR, typeof value === 'string' ? value : JSON.stringify(value), this.key());
      case 'mask':
        return typeof value === 'string' || typeof value === 'number'
          ? maskTail(String(value), rule.reveal)
          : '[redacted]';
    }
  }

  /** Runs the policy's detectors over one string (a value, or a key when `isKey`) and returns it redacted. */
  private scan(text: string, path: string, isKey: boolean): string {
    if (text.length === 0) return text;
    const spans = this.findSpans(text, path);
    if (spans.length === 0) return text;
    const reportPath = isKey ? keyPath(path) : path;
    const rewriter = new Rewriter(text);
    for (const span of spans) {
      const { detector, action, mode, reveal } = span.active;
      if (action === 'block') {
        this.keptValues++;
        this.count(detector.id, reportPath, 'block', 'none');
        if (this.ctx.blocked.length < MAX_BLOCK_FINDINGS) {
          this.ctx.blocked.push({ detector: detector.id, path: `$[${this.ctx.index}]${reportPath.slice(1)}` });
        }
        continue;
      }
      if (action === 'warn') {
        this.keptValues++;
        this.count(detector.id, reportPath, 'warn', 'none');
        continue;
      }
      this.count(detector.id, reportPath, 'redact', mode);
      if (mode === 'mask') {
        rewriter.mask(span.type, span.start, span.end, reveal);
      } else {
        const replacement =
          mode === 'hash' ? hashToken(span.type, text.slice(span.start, span.end), this.key()) : placeholder(span.type);
        rewriter.replace(span.start, span.end, replacement);
      }
    }
    return rewriter.result();
  }

  /**
   * Every detector's spans, checked, filtered and made non-overlapping (block
   * over redact over warn, then longest). A string holding escape sequences
   * (JSON encoded in a string, a log line) is also scanned with each escape
   * blanked out, length for length, so `\\n` before a value does not hide it
   * behind a word boundary; spans from both views apply to the original text.
   */
  private findSpans(text: string, path: string): Span[] {
    const found: Span[] = [];
    this.findIn(text, path, found);
    if (text.includes('\\')) this.findIn(text.replace(ESCAPE, blankEscape), path, found);
    if (found.length <= 1) return found;
    return resolveOverlaps(found);
  }

  private findIn(text: string, path: string, found: Span[]): void {
    // Detectors that share a hint list share its test: one search per list and string.
    const hinted = new Map<HintTest, boolean>();
    for (const active of this.policy.detectors) {
      const { detector } = active;
      const hintTest = hintTestOf(detector);
      let mayMatch = hinted.get(hintTest);
      if (mayMatch === undefined) {
        mayMatch = hintTest(text);
        hinted.set(hintTest, mayMatch);
      }
      if (!mayMatch) continue;
      let spans: readonly unknown[];
      try {
        spans = detector.find(text);
      } catch (e) {
        throw new Stop('detector_error', `detector '${detector.id}' threw ${describeThrown(e)}`);
      }
      if (performance.now() > this.deadline) {
        throw new Stop(
          'timeout',
          `event ${this.ctx.index} exceeded its ${this.ctx.budgetMs} ms redaction budget (last detector '${detector.id}', at ${path})`,
        );
      }
      if (!Array.isArray(spans)) {
        throw new Stop('detector_error', `detector '${detector.id}' returned no array`);
      }
      for (const raw of spans) {
        const span = raw as { start?: unknown; end?: unknown; type?: unknown; confidence?: unknown };
        if (
          !Number.isSafeInteger(span.start) ||
          !Number.isSafeInteger(span.end) ||
          (span.start as number) < 0 ||
          (span.end as number) > text.length ||
          (span.start as number) >= (span.end as number) ||
          typeof span.confidence !== 'number'
        ) {
          throw new Stop('detector_error', `detector '${detector.id}' returned an invalid span`);
        }
        if (span.confidence < this.policy.minConfidence) continue;
        const start = span.start as number;
        const end = span.end as number;
        if (detector.validate !== undefined) {
          let valid: boolean;
          try {
            valid = detector.validate(text.slice(start, end));
          } catch (e) {
            throw new Stop('detector_error', `detector '${detector.id}' validate threw ${describeThrown(e)}`);
          }
          if (!valid) continue;
        }
        const type =
          span.type === detector.id || (typeof span.type === 'string' && isDetectorId(span.type))
            ? span.type
            : detector.id;
        found.push({ start, end, type, active });
      }
    }
  }
}

/** The class of what a detector threw; its message could quote the text it was scanning. */
const describeThrown = (e: unknown): string => (e instanceof Error ? e.name : 'a non-error value');

const better = (a: Span, b: Span): boolean => {
  const rank = RANK[a.active.action] - RANK[b.active.action];
  if (rank !== 0) return rank > 0;
  return a.end - a.start > b.end - b.start;
};

const byStartThenLongest = (a: Span, b: Span): number => a.start - b.start || b.end - a.end;

/** Drops every span that overlaps a better one before it (the spans sorted by `byStartThenLongest`). */
const keepBest = (sorted: readonly Span[]): Span[] => {
  const kept: Span[] = [];
  for (const span of sorted) {
    const previous = kept[kept.length - 1];
    if (previous === undefined || span.start >= previous.end) {
      kept.push(span);
    } else if (better(span, previous)) {
      kept[kept.length - 1] = span;
    }
  }
  return kept;
};

/**
 * Keeps a set of non-overlapping spans, preferring the stricter action and
 * then the longer match. Blocking spans are never dropped for another one:
 * a block anywhere must block. Without blocks (the usual case), the spans are
 * sorted in place and kept in one pass: this runs for every string with a
 * match, fifty times per 4 KiB of dense text.
 */
const resolveOverlaps = (spans: Span[]): Span[] => {
  if (!spans.some((s) => s.active.action === 'block')) return keepBest(spans.sort(byStartThenLongest));
  const blocks = spans.filter((s) => s.active.action === 'block');
  const kept = keepBest(spans.filter((s) => s.active.action !== 'block').sort(byStartThenLongest));
  // A redaction that overlaps a block is dropped: the append is refused anyway.
  return [...blocks, ...kept].sort((a, b) => a.start - b.start);
};
