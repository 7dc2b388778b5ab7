import { describe, expect, it } from 'vitest';
import { detectors } from '../index.js';
import { CORPUS_KINDS, chunkCorpus, generateCorpus, sampleDecoys, type Corpus } from './index.js';

const spansOf = (text: string) => detectors.flatMap((d) => d.find(text).map((s) => ({ ...s, detector: d.id })));

const measure = (corpus: Corpus) => {
  const spans = spansOf(corpus.text);
  const missed = corpus.planted.filter(
    (p) => !spans.some((s) => s.detector === p.type && s.start === p.start && s.end === p.end),
  );
  const touched = corpus.decoys.filter((d) => spans.some((s) => s.start < d.end && s.end > d.start));
  return { missed, touched };
};

describe('labelled corpora', () => {
  it('are reproducible from their seed and differ between seeds', () => {
    const a = generateCorpus({ kind: 'dense', size: 20_000, seed: 5 });
    expect(generateCorpus({ kind: 'dense', size: 20_000, seed: 5 })).toEqual(a);
    expect(generateCorpus({ kind: 'dense', size: 20_000, seed: 6 }).text).not.toBe(a.text);
  });

  it.each(CORPUS_KINDS)('%s: labels point at their values in the text', (kind) => {
    const c = generateCorpus({ kind, size: 100_000, seed: 3 });
    expect(c.text.length).toBeGreaterThanOrEqual(100_000);
    for (const p of c.planted) expect(c.text.slice(p.start, p.end)).toBe(p.value);
    for (const d of c.decoys) expect(c.text.slice(d.start, d.end)).toBe(d.value);
    if (kind === 'none') expect(c.planted).toEqual([]);
    else expect(c.planted.length).toBeGreaterThan(0);
  });

  it('dense corpora carry about 10,000 values per MB', () => {
    const c = generateCorpus({ kind: 'dense', size: 200_000, seed: 9 });
    const perMb = (c.planted.length / c.text.length) * 1_000_000;
    expect(perMb).toBeGreaterThan(8_000);
    expect(perMb).toBeLessThan(15_000);
  });

  it.each(CORPUS_KINDS)(
    '%s: the built-in detectors find every planted value and touch at most 1%% of decoys',
    (kind) => {
      const c = generateCorpus({ kind, size: 300_000, seed: 2026 });
      const { missed, touched } = measure(c);
      expect(missed.map((m) => `${m.type}: ${m.value}`)).toEqual([]);
      expect(touched.length).toBeLessThanOrEqual(Math.floor(c.decoys.length * 0.01));
    },
  );

  it('no built-in detector reports a decoy sample of any kind', () => {
    for (const { kind, value } of sampleDecoys(50)) {
      const text = `note ${value} end`;
      expect(spansOf(text).map((s) => `${kind} ${value} -> ${s.detector}`)).toEqual([]);
    }
  });

  it('cuts into chunks without splitting a labelled value and keeps offsets local', () => {
    const c = generateCorpus({ kind: 'dense', size: 50_000, seed: 4 });
    const chunks = chunkCorpus(c, 4096);
    expect(chunks.map((ch) => ch.text).join('')).toBe(c.text);
    expect(chunks.reduce((n, ch) => n + ch.planted.length, 0)).toBe(c.planted.length);
    for (const ch of chunks) {
      expect(ch.text.length).toBeLessThanOrEqual(4096);
      for (const p of ch.planted) expect(ch.text.slice(p.start, p.end)).toBe(p.value);
    }
  });
});
