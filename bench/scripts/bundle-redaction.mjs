/* global console, process */
/*
 * Bundles the redaction benchmark into a few self-contained files, so it can be
 * copied to a bigger machine and run with plain `node` (no install, no build):
 *
 *   pnpm build && node bench/scripts/bundle-redaction.mjs
 *   scp -r bench/bundle/redaction host: && ssh host node redaction/run.mjs
 *
 * Output: bench/bundle/redaction/ (git-ignored). Each entry point is one file;
 * worker threads get their own entry so the pool can start them by path.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(bench, 'bundle', 'redaction');
const dist = join(bench, 'dist', 'redaction');

const entries = [{ in: join(dist, 'run.js'), out: 'run' }];
// The worker pool's entry points, present once @palisade/redaction is part of the harness.
for (const name of ['pool-worker']) {
  const file = join(dist, `${name}.js`);
  if (existsSync(file)) entries.push({ in: file, out: name });
}
if (!existsSync(entries[0].in)) {
  console.error('bench/dist/redaction/run.js is missing: run `pnpm build` first');
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: entries,
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies (redact-pii, lodash) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __palisadeCreateRequire } from 'node:module'; const require = __palisadeCreateRequire(import.meta.url);",
  },
});
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
const files = Object.entries(result.metafile.outputs).map(
  ([f, o]) => `${f.replace(`${bench}/`, '')} ${(o.bytes / 1e6).toFixed(2)} MB`,
);
console.log(`bundled into ${out}:\n  ${files.join('\n  ')}`);
