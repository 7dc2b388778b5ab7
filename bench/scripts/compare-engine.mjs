/* global console, process, Buffer */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the builds are imported by path at run time, so their types are unknown here */
/*
 * The redaction engine of one or more builds of Palisade, side by side: each
 * root is a checkout where `pnpm install && pnpm build` has run. For a before
 * and after on one machine, alternate them:
 *
 *   git worktree add /tmp/before <commit> && (cd /tmp/before && pnpm install && pnpm build)
 *   node bench/scripts/compare-engine.mjs /tmp/before . /tmp/before .
 *
 * Per root and corpus (2 MB, seed 2026, events of up to 4 KiB in appends of 16):
 * MB/s of the whole engine in one thread, wall clock, median of 7 passes after 3.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const roots = process.argv.slice(2);
if (roots.length === 0) {
  console.error('usage: node bench/scripts/compare-engine.mjs <checkout> [<checkout> ...]');
  process.exit(2);
}

const load = (root, path) => import(pathToFileURL(resolve(root, path)).href);

for (const root of roots) {
  const { generateCorpus, chunkCorpus } = await load(root, 'packages/pii-detectors/dist/corpus/index.js');
  const { createRedactionService } = await load(root, 'packages/redaction/dist/index.js');
  const service = await createRedactionService({ config: {}, mode: 'in_thread' })();
  if (service._tag === 'Left') throw new Error(service.left.message);
  const cells = [];
  for (const kind of ['dense', 'sparse', 'none', 'prose', 'adversarial']) {
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
    cells.push(`${kind} ${(bytes / 1e6 / seconds[3]).toFixed(1)}`);
  }
  await service.right.close();
  console.log(`${root}: engine in one thread, MB/s (wall): ${cells.join(' | ')}`);
}
