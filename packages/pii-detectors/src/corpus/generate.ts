/*
 * Seeded, labelled corpora for detector tests and benchmarks. Every planted PII
 * value is recorded with its detector type and offsets; every decoy (a string
 * that looks like PII but is not) with its kind and offsets. The same options
 * always produce the same text.
 */
import { createRandom, LOWER, type Random } from './random.js';
import {
  DECOY_KINDS,
  PII_TYPES,
  decoyInContext,
  piiInContext,
  type DecoyKind,
  type InContext,
  type PiiType,
} from './values.js';

export type CorpusKind = 'dense' | 'sparse' | 'none' | 'prose' | 'adversarial';
export const CORPUS_KINDS: readonly CorpusKind[] = ['dense', 'sparse', 'none', 'prose', 'adversarial'];

/** A planted PII value: `text.slice(start, end) === value`. */
export interface Planted {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/** A planted look-alike that no detector should report. */
export interface Decoy {
  readonly kind: DecoyKind;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

export interface Corpus {
  readonly kind: CorpusKind;
  readonly seed: number;
  readonly text: string;
  readonly planted: readonly Planted[];
  readonly decoys: readonly Decoy[];
}

export interface CorpusOptions {
  readonly kind: CorpusKind;
  /** Approximate size in UTF-16 code units (about bytes: the text is mostly ASCII). */
  readonly size: number;
  readonly seed?: number;
  /** Restrict planted values to these types (default: all built-in types). */
  readonly types?: readonly PiiType[];
}

const WORDS = [
  'the',
  'request',
  'was',
  'handled',
  'by',
  'worker',
  'after',
  'retry',
  'customer',
  'asked',
  'about',
  'their',
  'order',
  'and',
  'agent',
  'replied',
  'with',
  'a',
  'summary',
  'of',
  'next',
  'steps',
  'session',
  'started',
  'user',
  'updated',
  'profile',
  'settings',
  'payment',
  'failed',
  'because',
  'limit',
  'reached',
  'please',
  'confirm',
  'details',
  'below',
  'meeting',
  'notes',
  'for',
  'team',
  'review',
  'deployment',
  'completed',
  'in',
  'region',
  'cache',
  'miss',
  'latency',
  'increased',
  'to',
  'milliseconds',
  'ticket',
  'escalated',
  'support',
  'café',
  'naïve',
  'résumé',
  'Zürich',
  '日本語',
  'emoji',
  '🙂',
  'straße',
  'über',
  'smörgåsbord',
];

const sentence = (rnd: Random, words: number): string => {
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(rnd.pick(WORDS));
  const s = parts.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

const LOG_PREFIXES = ['INFO', 'WARN', 'DEBUG', 'ERROR'];

class Builder {
  private readonly chunks: string[] = [];
  private length = 0;
  readonly planted: Planted[] = [];
  readonly decoys: Decoy[] = [];

  get size(): number {
    return this.length;
  }

  text(s: string): void {
    this.chunks.push(s);
    this.length += s.length;
  }

  pii(type: PiiType, c: InContext): void {
    this.text(c.before);
    this.planted.push({ type, start: this.length, end: this.length + c.value.length, value: c.value });
    this.text(c.value);
    this.text(c.after);
  }

  decoy(kind: DecoyKind, c: InContext): void {
    this.text(c.before);
    this.decoys.push({ kind, start: this.length, end: this.length + c.value.length, value: c.value });
    this.text(c.value);
    this.text(c.after);
  }

  build(kind: CorpusKind, seed: number): Corpus {
    return { kind, seed, text: this.chunks.join(''), planted: this.planted, decoys: this.decoys };
  }
}

const logPrefix = (rnd: Random): string => `${rnd.pick(LOG_PREFIXES)} ${rnd.chars(LOWER, rnd.int(4, 8))}: `;

/** About 100 characters per line, one PII value in each: about 10,000 values per MB. */
const dense = (b: Builder, rnd: Random, size: number, types: readonly PiiType[]): void => {
  while (b.size < size) {
    b.text(logPrefix(rnd));
    b.text(`${sentence(rnd, rnd.int(2, 5))} `);
    const type = rnd.pick(types);
    b.pii(type, piiInContext(type, rnd));
    if (rnd.chance(0.3)) {
      b.text(' ');
      const kind = rnd.pick(DECOY_KINDS);
      b.decoy(kind, decoyInContext(kind, rnd));
    }
    b.text('\n');
  }
};

/** Log lines with a decoy now and then and one PII value per ~10 KB. */
const sparse = (b: Builder, rnd: Random, size: number, types: readonly PiiType[], withPii: boolean): void => {
  let nextPii = rnd.int(5_000, 15_000);
  while (b.size < size) {
    b.text(logPrefix(rnd));
    b.text(sentence(rnd, rnd.int(6, 14)));
    if (rnd.chance(0.2)) {
      b.text(' ');
      const kind = rnd.pick(DECOY_KINDS);
      b.decoy(kind, decoyInContext(kind, rnd));
    }
    if (withPii && b.size >= nextPii) {
      b.text(' ');
      const type = rnd.pick(types);
      b.pii(type, piiInContext(type, rnd));
      nextPii = b.size + rnd.int(5_000, 15_000);
    }
    b.text('\n');
  }
};

/** Paragraphs of 1 to 3 KB of prose with a value in about half of them. */
const prose = (b: Builder, rnd: Random, size: number, types: readonly PiiType[]): void => {
  while (b.size < size) {
    const paragraphEnd = b.size + rnd.int(1_000, 3_000);
    const plantAt = rnd.chance(0.5) ? b.size + rnd.int(100, 900) : Infinity;
    let planted = false;
    while (b.size < paragraphEnd) {
      b.text(`${sentence(rnd, rnd.int(8, 25))}. `);
      if (!planted && b.size >= plantAt) {
        const type = rnd.pick(types);
        b.pii(type, piiInContext(type, rnd));
        b.text(' ');
        planted = true;
      }
    }
    b.text('\n\n');
  }
};

/** Inputs shaped to make a careless pattern backtrack, with real values planted between them. */
const adversarial = (b: Builder, rnd: Random, size: number, types: readonly PiiType[]): void => {
  const hostile: readonly (() => string)[] = [
    () => '1'.repeat(rnd.int(1_000, 5_000)),
    () => '.'.repeat(rnd.int(1_000, 5_000)),
    () => '@'.repeat(rnd.int(500, 2_000)),
    () => 'a@'.repeat(rnd.int(500, 2_000)),
    () => '1.'.repeat(rnd.int(500, 2_000)),
    () => '1-'.repeat(rnd.int(500, 2_000)),
    () => '1 '.repeat(rnd.int(500, 2_000)),
    () => ':'.repeat(rnd.int(500, 2_000)),
    () => 'a:'.repeat(rnd.int(500, 2_000)),
    () => 'eyJ'.repeat(rnd.int(300, 1_000)),
    () => 'AKIA'.repeat(rnd.int(300, 1_000)),
    () => 'key='.repeat(rnd.int(300, 1_000)),
    () => '-----BEGIN PRIVATE KEY-----'.repeat(rnd.int(50, 200)),
    () => 'x'.repeat(rnd.int(1_000, 5_000)) + '@',
    () => '+1 '.repeat(rnd.int(300, 1_000)),
    () => 'DE89'.repeat(rnd.int(300, 1_000)),
  ];
  while (b.size < size) {
    b.text(rnd.pick(hostile)());
    b.text(' ');
    const kind: DecoyKind = 'near_miss';
    b.decoy(kind, decoyInContext(kind, rnd));
    if (rnd.chance(0.3)) {
      const type = rnd.pick(types);
      b.pii(type, piiInContext(type, rnd));
    }
    b.text('\n');
  }
};

export const generateCorpus = (options: CorpusOptions): Corpus => {
  const seed = options.seed ?? 1;
  const types = options.types ?? PII_TYPES;
  const rnd = createRandom(seed);
  const b = new Builder();
  switch (options.kind) {
    case 'dense':
      dense(b, rnd, options.size, types);
      break;
    case 'sparse':
      sparse(b, rnd, options.size, types, true);
      break;
    case 'none':
      sparse(b, rnd, options.size, types, false);
      break;
    case 'prose':
      prose(b, rnd, options.size, types);
      break;
    case 'adversarial':
      adversarial(b, rnd, options.size, types);
      break;
  }
  return b.build(options.kind, seed);
};

/** One piece of a corpus, e.g. one event payload, with its labels' offsets made local. */
export interface CorpusChunk {
  readonly text: string;
  readonly planted: readonly Planted[];
  readonly decoys: readonly Decoy[];
}

/**
 * Cuts a corpus into chunks of at most `maxLength` characters at line breaks
 * (or hard, when a line is longer), never through a labelled value.
 */
export const chunkCorpus = (corpus: Corpus, maxLength: number): CorpusChunk[] => {
  const labels = [...corpus.planted, ...corpus.decoys].sort((a, b) => a.start - b.start);
  const chunks: CorpusChunk[] = [];
  let start = 0;
  let li = 0;
  const text = corpus.text;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxLength);
    if (end < text.length) {
      const newline = text.lastIndexOf('\n', end - 1);
      if (newline > start) end = newline + 1;
    }
    // Move the cut before any label it would split.
    for (let i = li; i < labels.length; i++) {
      const l = labels[i];
      if (l === undefined || l.start >= end) break;
      if (l.end > end && l.start > start) {
        end = l.start;
        break;
      }
    }
    if (end <= start) end = Math.min(text.length, start + maxLength); // a label longer than a chunk: cut anyway
    const inside = <T extends { start: number; end: number }>(xs: readonly T[]): T[] =>
      xs
        .filter((x) => x.start >= start && x.end <= end)
        .map((x) => ({ ...x, start: x.start - start, end: x.end - start }));
    chunks.push({ text: text.slice(start, end), planted: inside(corpus.planted), decoys: inside(corpus.decoys) });
    while (li < labels.length && (labels[li]?.start ?? Infinity) < end) li++;
    start = end;
  }
  return chunks;
};

/**
 * `count` valid values of `type` with the words written around them (some
 * detectors only find a value next to its name), for a detector's contract test.
 */
export const samplePositives = (
  type: PiiType,
  count: number,
  seed = 7,
): { readonly prefix: string; readonly value: string; readonly suffix: string }[] => {
  const rnd = createRandom(seed);
  return Array.from({ length: count }, () => {
    const c = piiInContext(type, rnd);
    return { prefix: c.before, value: c.value, suffix: c.after };
  });
};

/** `count` decoys of each kind: values no built-in detector should report. */
export const sampleDecoys = (count: number, seed = 11): { kind: DecoyKind; value: string }[] => {
  const rnd = createRandom(seed);
  return DECOY_KINDS.flatMap((kind) =>
    Array.from({ length: count }, () => ({ kind, value: decoyInContext(kind, rnd).value })),
  );
};
