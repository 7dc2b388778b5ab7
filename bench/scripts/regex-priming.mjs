/* global console, process, Buffer */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the packages are imported from the build at run time */
/*
 * Why `primeRegex` exists. V8 tunes a regex's machine code to the text it
 * first compiles it on; patterns with the same source share that code, so each
 * case runs in a fresh process. Per pattern, ms per MB over three corpora:
 *
 * - first run on a chunk of the dense corpus (what a worker whose first event
 *   is full of PII gets without priming);
 * - first run on a chunk of the `none` corpus;
 * - primed with `primeRegex` before anything else.
 *
 * Each cell is the median of PRIMING_PROCESSES processes (default 3): on a
 * shared VM one process now and then runs a third slower throughout.
 *
 * Run after `pnpm build`:  node bench/scripts/regex-priming.mjs
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Copies of the built-in detectors' patterns, which keep theirs private (and primed, so they cannot show the other cases). */
const PATTERNS = {
  ssn: String.raw`(?<!\d)(?<!\d-)(\d{3})([- ])(\d{2})\2(\d{4})(?![\d]|-\d)`,
  phone: String.raw`(?<![\w+])(?:(?:\+?1[ .-]?)?(?:\((\d{3})\) ?|(\d{3})([ .-]))\d{3}[ .-]\d{4}|\+\d{1,3}(?:[ .-]\(\d{1,4}\))?(?:[ .-]\d{1,8}){1,6}|\+\d{8,15})(?![\w]|[.-]\d)`,
  credit_card: String.raw`(?<!\d)(?:(?<!\d-)(?:\d{13,19}|\d{3,6}(?: \d{3,6}){1,5})|(?<!-)\d{3,6}(?:[ -]\d{3,6}){1,5})(?!\d)`,
  aws_access_key: String.raw`(?<![A-Za-z0-9])A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}(?![A-Za-z0-9])`,
  ipv4: String.raw`(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)`,
  iban: String.raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])`,
};
const CASES = ['first on dense', 'first on none', 'primed'];
const KINDS = ['dense', 'none', 'prose'];

const measure = async (name, first) => {
  const { generateCorpus, chunkCorpus } = await import('../../packages/pii-detectors/dist/corpus/index.js');
  const { primeRegex } = await import('../../packages/core/dist/index.js');
  const corpora = Object.fromEntries(
    KINDS.map((kind) => [
      kind,
      chunkCorpus(generateCorpus({ kind, size: 2_000_000, seed: 2026 }), 4096).map((c) => c.text),
    ]),
  );
  const pattern = new RegExp(PATTERNS[name], 'g');
  if (first === 'primed') primeRegex(pattern);
  else pattern.exec(corpora[first === 'first on dense' ? 'dense' : 'none'][0]);
  const pass = (chunks) => {
    let found = 0;
    for (const text of chunks) {
      pattern.lastIndex = 0;
      while (pattern.exec(text) !== null) found++;
    }
    return found;
  };
  const result = {};
  for (const kind of KINDS) {
    const chunks = corpora[kind];
    const megabytes = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0) / 1e6;
    for (let i = 0; i < 3; i++) pass(chunks);
    const times = [];
    for (let i = 0; i < 7; i++) {
      const t = process.hrtime.bigint();
      pass(chunks);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    result[kind] = times[3] / megabytes;
  }
  console.log(JSON.stringify(result));
};

if (process.argv[2] === '--one') {
  await measure(process.argv[3], process.argv[4]);
} else {
  const self = fileURLToPath(import.meta.url);
  const processes = Number(process.env['PRIMING_PROCESSES'] ?? '3');
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `ms per MB (strings of up to 4 KiB, median of 7 passes; median of ${processes} fresh processes per cell):`,
  );
  console.log(`${'pattern'.padEnd(16)}${'case'.padEnd(16)}${KINDS.map((k) => k.padStart(8)).join('')}`);
  for (const name of Object.keys(PATTERNS)) {
    for (const first of CASES) {
      const runs = [];
      for (let i = 0; i < processes; i++) {
        const child = spawnSync(process.execPath, [self, '--one', name, first], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(child.stderr);
        runs.push(JSON.parse(child.stdout.trim().split('\n').pop()));
      }
      const cells = KINDS.map((k) =>
        median(runs.map((r) => r[k]))
          .toFixed(2)
          .padStart(8),
      );
      console.log(`${name.padEnd(16)}${first.padEnd(16)}${cells.join('')}`);
    }
  }
}
