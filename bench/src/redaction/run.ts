/*
 * Redaction benchmark, detectors in one thread: MB/s and events/s of the
 * built-in detectors per corpus (events are 4 KiB pieces of it), the
 * adversarial/normal ratio, a per-detector breakdown, and JavaScript peers on
 * the same corpus with recall and false positives, then the worker pool of
 * `@palisade/redaction` (pool.ts).
 *
 * Run: pnpm bench:redaction
 * Settings (environment): REDACTION_BENCH_MB (corpus size per kind, default 2),
 * REDACTION_BENCH_RUNS (default 5), REDACTION_BENCH_CLOCK=wall, REDACTION_BENCH_PEERS=0
 * and REDACTION_BENCH_POOL=0 (skip those parts), REDACTION_BENCH_MAX_WORKERS,
 * REDACTION_BENCH_POOL_EVENTS, REDACTION_BENCH_APPEND, REDACTION_BENCH_LATENCY_SAMPLES,
 * REDACTION_BENCH_WARM_UP (events redacted before latency is sampled, default 3000).
 */
import { cpus } from 'node:os';
import { detectors } from '@palisade/pii-detectors';
import {
  CORPUS_KINDS,
  chunkCorpus,
  generateCorpus,
  type Corpus,
  type CorpusChunk,
} from '@palisade/pii-detectors/corpus';
import { runEngineBenchmark } from './engine.js';
import { TOOLS, type Tool } from './peers.js';
import { runPoolBenchmark } from './pool.js';
import { scanText } from './scan.js';

const MB = Number(process.env['REDACTION_BENCH_MB'] ?? '2');
const RUNS = Number(process.env['REDACTION_BENCH_RUNS'] ?? '5');
const EVENT_SIZE = 4096;
const SEED = 2026;

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const bytesOf = (chunks: readonly CorpusChunk[]): number =>
  chunks.reduce((n, c) => n + Buffer.byteLength(c.text, 'utf8'), 0);

/*
 * Median seconds of `RUNS` passes of `body` over every chunk, after one warm-up
 * pass. Seconds of CPU time of this process, not wall time: on a shared machine
 * the wall clock also counts the time other processes held the core. Set
 * REDACTION_BENCH_CLOCK=wall on a dedicated machine.
 */
const WALL = process.env['REDACTION_BENCH_CLOCK'] === 'wall';
const now = (): number => {
  if (WALL) return Number(process.hrtime.bigint()) / 1e9;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const time = (chunks: readonly CorpusChunk[], body: (text: string) => unknown, runs = RUNS, warmUp = true): number => {
  if (warmUp) for (const c of chunks) body(c.text);
  const seconds: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = now();
    for (const c of chunks) body(c.text);
    seconds.push(now() - t);
  }
  return median(seconds);
};

interface Quality {
  readonly recall: number;
  readonly planted: number;
  readonly decoysTouched: number;
  readonly decoys: number;
}

const quality = (chunks: readonly CorpusChunk[], tool: Tool): Quality => {
  let found = 0;
  let planted = 0;
  let touched = 0;
  let decoys = 0;
  for (const c of chunks) {
    const out = tool.redact(c.text);
    for (const p of c.planted) {
      planted++;
      if (!out.includes(p.value)) found++;
    }
    for (const d of c.decoys) {
      decoys++;
      if (!out.includes(d.value)) touched++;
    }
  }
  return { recall: planted === 0 ? 1 : found / planted, planted, decoysTouched: touched, decoys };
};

const corpora: Corpus[] = CORPUS_KINDS.map((kind) => generateCorpus({ kind, size: MB * 1_000_000, seed: SEED }));
const events = new Map(corpora.map((c) => [c.kind, chunkCorpus(c, EVENT_SIZE)]));

console.log(
  `Redaction benchmark. ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
);
console.log(
  `Corpora: ${MB} MB each, seed ${SEED}, cut into events of at most ${EVENT_SIZE} characters; median of ${RUNS} runs, ${WALL ? 'wall-clock' : 'CPU'} time.\n`,
);

console.log('Built-in detectors in one thread (all nine, hint skip as the engine does):');
console.log(`${'corpus'.padEnd(14)}${'MB/s'.padStart(10)}${'events/s'.padStart(12)}${'planted/MB'.padStart(12)}`);
const rate = new Map<string, number>();
for (const c of corpora) {
  const chunks = events.get(c.kind) ?? [];
  const s = time(chunks, (text) => scanText(detectors, text));
  const mbs = bytesOf(chunks) / 1e6 / s;
  rate.set(c.kind, mbs);
  console.log(
    `${c.kind.padEnd(14)}${fmt(mbs, 1).padStart(10)}${fmt(chunks.length / s).padStart(12)}${fmt(c.planted.length / MB).padStart(12)}`,
  );
}
/** How much slower adversarial text is than the fastest and the slowest normal corpus (goal: at most 2× slower). */
const adversarialLine = (rates: ReadonlyMap<string, number>): string => {
  const normal = ['dense', 'sparse', 'none', 'prose'].map((k) => rates.get(k) ?? 0);
  const adversarial = rates.get('adversarial') ?? 1;
  return (
    `adversarial is ${fmt(Math.max(...normal) / adversarial, 2)}× slower than the fastest normal corpus and ` +
    `${fmt(Math.min(...normal) / adversarial, 2)}× the time of the slowest (goal: at most 2× slower); ` +
    `none / dense: ${fmt((rates.get('none') ?? 0) / (rates.get('dense') ?? 1), 2)}×\n`
  );
};
console.log(adversarialLine(rate));

console.log(
  'The whole engine in one thread, what one pool worker does (decode, walk, nine detectors, mask, report; appends of 16 events):',
);
console.log(`${'corpus'.padEnd(14)}${'MB/s'.padStart(10)}${'events/s'.padStart(12)}${'goal MB/s'.padStart(12)}`);
const GOALS: Readonly<Record<string, string>> = { dense: '150', none: '500' };
const engineRates = await runEngineBenchmark(events, RUNS, now);
for (const r of engineRates) {
  console.log(
    `${r.kind.padEnd(14)}${fmt(r.mbPerSecond, 1).padStart(10)}${fmt(r.eventsPerSecond).padStart(12)}${(GOALS[r.kind] ?? '').padStart(12)}`,
  );
}
console.log(adversarialLine(new Map(engineRates.map((r) => [r.kind, r.mbPerSecond]))));

/*
 * Linear time, shown rather than asserted: the cost per character of a hostile
 * run should not grow with its length. 10 KB and 1 MB runs of each shape.
 */
const HOSTILE: readonly (readonly [string, string])[] = [
  ['digits', '1'],
  ['dots', '.'],
  ['@', '@'],
  ['a@', 'a@'],
  ['1.', '1.'],
  ['1-', '1-'],
  ['1 ', '1 '],
  [':', ':'],
  ['a:', 'a:'],
  ['eyJ', 'eyJ'],
  ['key=', 'key='],
  ['BEGIN', '-----BEGIN PRIVATE KEY-----'],
  ['+1 ', '+1 '],
  ['4111 ', '4111 '],
];
console.log(
  'Hostile runs, all nine detectors on one string (ns per character at 10 KB and at 1 MB; linear = ratio ~1):',
);
const perChar = (text: string): number => {
  const runs = Math.max(3, Math.ceil(3_000_000 / text.length));
  const t = now();
  for (let i = 0; i < runs; i++) scanText(detectors, text);
  return ((now() - t) * 1e9) / (runs * text.length);
};
const hostileRows: string[] = [];
for (const [name, unit] of HOSTILE) {
  const small = unit.repeat(Math.ceil(10_000 / unit.length));
  const large = unit.repeat(Math.ceil(1_000_000 / unit.length));
  perChar(small);
  const a = perChar(small);
  const b = perChar(large);
  hostileRows.push(
    `${name.padEnd(8)}${fmt(a, 1).padStart(8)}${fmt(b, 1).padStart(8)}${`${fmt(b / a, 2)}×`.padStart(8)}`,
  );
}
console.log(`${'run'.padEnd(8)}${'10 KB'.padStart(8)}${'1 MB'.padStart(8)}${'ratio'.padStart(8)}`);
console.log(hostileRows.join('\n') + '\n');

console.log('Per detector, MB/s (find only, no hint skip):');
console.log(`${'detector'.padEnd(16)}${corpora.map((c) => c.kind.padStart(13)).join('')}`);
for (const d of detectors) {
  const cells = corpora.map((c) => {
    const chunks = events.get(c.kind) ?? [];
    const s = time(chunks, (text) => d.find(text), 3);
    return fmt(bytesOf(chunks) / 1e6 / s, 0).padStart(13);
  });
  console.log(`${d.id.padEnd(16)}${cells.join('')}`);
}

const runPeers = (): void => {
  console.log('\nSide by side on the same events (recall: planted values gone from the output; decoys: touched):');
  console.log(
    `${'tool'.padEnd(32)}${'corpus'.padEnd(13)}${'MB/s'.padStart(9)}${'recall'.padStart(9)}${'decoys touched'.padStart(18)}`,
  );
  for (const kind of ['dense', 'sparse', 'none', 'adversarial'] as const) {
    const chunks = events.get(kind) ?? [];
    for (const tool of TOOLS) {
      // The quality pass doubles as the warm-up; one timed pass (some peers run at 0.1 MB/s).
      const q = quality(chunks, tool);
      const s = time(chunks, tool.redact, 1, false);
      console.log(
        `${tool.name.padEnd(32)}${kind.padEnd(13)}${fmt(bytesOf(chunks) / 1e6 / s, 1).padStart(9)}${(q.planted === 0 ? '-' : `${fmt(q.recall * 100, 1)}%`).padStart(9)}${`${q.decoysTouched}/${q.decoys} (${fmt((q.decoysTouched / Math.max(1, q.decoys)) * 100, 1)}%)`.padStart(18)}`,
      );
    }
  }

  console.log('\nRecall by type on the dense corpus:');
  const dense = events.get('dense') ?? [];
  const types = [...new Set(corpora.flatMap((c) => c.planted.map((p) => p.type)))];
  console.log(`${'type'.padEnd(16)}${TOOLS.map((t) => t.name.split(' ')[0]?.padStart(18)).join('')}`);
  const outputs = TOOLS.map((t) => dense.map((c) => t.redact(c.text)));
  for (const type of types) {
    const cells = outputs.map((outs) => {
      let n = 0;
      let hit = 0;
      dense.forEach((c, i) => {
        for (const p of c.planted) {
          if (p.type !== type) continue;
          n++;
          if (!(outs[i] ?? '').includes(p.value)) hit++;
        }
      });
      return `${fmt((hit / Math.max(1, n)) * 100, 1)}%`.padStart(18);
    });
    console.log(`${type.padEnd(16)}${cells.join('')}`);
  }
};

if (process.env['REDACTION_BENCH_PEERS'] !== '0') runPeers();
if (process.env['REDACTION_BENCH_POOL'] !== '0') await runPoolBenchmark(events);
