/* global console, process, Buffer */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the builds are imported by path at run time, so their types are unknown here */
/*
 * The redaction engine of one or more builds of Palisade, side by side: each
 * root is a checkout where `pnpm install && pnpm build` has run. For a before
 * and after on one machine:
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && pnpm install && pnpm build)
 *   node bench/scripts/compare-engine.mjs /tmp/before .
 *
 * Every root is measured in a fresh process, the roots taking turns, for
 * COMPARE_ROUNDS rounds (default 3): the figures of one process can sit well
 * above or below the next one's (V8 tunes each regex's machine code to the
 * first text it compiles it on, and a shared VM's neighbours come and go), so
 * the summary gives each root's median over its processes.
 *
 * Per root and corpus (2 MB, seed 2026, events of up to 4 KiB in appends of 16):
 * MB/s of the whole engine in one thread, wall clock, median of 7 passes after 3.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const KINDS = ['dense', 'sparse', 'none', 'prose', 'adversarial'];

/** One root in this process: prints `{ kind: MB/s }` as one JSON line. */
const measureOne = async (root) => {
  const load = (path) => import(pathToFileURL(resolve(root, path)).href);
  const { generateCorpus, chunkCorpus } = await load('packages/pii-detectors/dist/corpus/index.js');
  const { createRedactionService } = await load('packages/redaction/dist/index.js');
  const service = await createRedactionService({ config: {}, mode: 'in_thread' })();
  if (service._tag === 'Left') throw new Error(service.left.message);
  const rates = {};
  for (const kind of KINDS) {
    const chunks = chunkCorpus(generateCorpus({ kind, size: 2_000_000, seed: 2026 }), 4096);
    const bytes = chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    const appends = [];
    for (let i = 0; i < chunks.length; i += 16) {
      appends.push(chunks.slice(i, i + 16).map((c) => ({ type: 'message.posted', data: { text: c.text } })));
    }
    const pass = async () => {
      for (const events of appends) {
        const r = await service.right.redact('bench', events)();
        if (r._tag === 'Left') throw new Error(r.left.message);
      }
    };
    for (let w = 0; w < 3; w++) await pass();
    const seconds = [];
    for (let r = 0; r < 7; r++) {
      const t = process.hrtime.bigint();
      await pass();
      seconds.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    seconds.sort((a, b) => a - b);
    rates[kind] = bytes / 1e6 / seconds[3];
  }
  await service.right.close();
  console.log(JSON.stringify(rates));
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const args = process.argv.slice(2);
if (args[0] === '--one') {
  await measureOne(args[1]);
} else {
  const roots = args;
  if (roots.length === 0) {
    console.error('usage: node bench/scripts/compare-engine.mjs <checkout> [<checkout> ...]');
    process.exit(2);
  }
  const rounds = Number(process.env['COMPARE_ROUNDS'] ?? '3');
  const runs = new Map(roots.map((root) => [root, []]));
  const self = fileURLToPath(import.meta.url);
  const line = (rates) => KINDS.map((k) => `${k} ${rates[k].toFixed(1)}`).join(' | ');
  for (let round = 1; round <= rounds; round++) {
    for (const root of roots) {
      const child = spawnSync(process.execPath, [self, '--one', root], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`measuring ${root} failed:\n${child.stderr}`);
      const rates = JSON.parse(child.stdout.trim().split('\n').pop());
      runs.get(root).push(rates);
      console.log(`round ${round}, ${root}: ${line(rates)}`);
    }
  }
  console.log(`\nEngine in one thread, MB/s (wall), median of ${rounds} processes per root:`);
  for (const root of roots) {
    const rates = Object.fromEntries(KINDS.map((k) => [k, median(runs.get(root).map((r) => r[k]))]));
    console.log(`${root}: ${line(rates)}`);
  }
}
