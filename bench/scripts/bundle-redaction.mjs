/* global console, process */
/*
 * Bundles the redaction benchmark into a few self-contained files, so it can be
 * copied to a bigger machine and run with plain `node` (no install, no build):
 *
 *   pnpm build && node bench/scripts/bundle-redaction.mjs
 *   scp -r bench/bundle/redaction host: && ssh host node redaction/run.js
 *
 * Output in bench/bundle/redaction/ (git-ignored):
 * - run.js: the harness, with @palisade/redaction's pool code inside it;
 * - worker.js: the pool's task file, next to run.js where the pool looks for it;
 * - in-worker.js: the latency probe run.js starts as a worker thread;
 * - node_modules/@palisade/pii-detectors: the built-in detector module, which
 *   workers import by package name, bundled into one file;
 * - node_modules/piscina: copied as is, because piscina starts its threads from
 *   its own files on disk.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const bench = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(bench, 'bundle', 'redaction');
const run = join(bench, 'dist', 'redaction', 'run.js');
if (!existsSync(run)) {
  console.error('bench/dist/redaction/run.js is missing: run `pnpm build` first');
  process.exit(1);
}
const benchRequire = createRequire(join(bench, 'package.json'));
/** @param {string} specifier @returns {string | null} */
const resolveOrNull = (specifier) => {
  try {
    return benchRequire.resolve(specifier);
  } catch {
    return null;
  }
};
const redactionEntry = resolveOrNull('@palisade/redaction');
const redactionWorker = redactionEntry === null ? null : join(dirname(redactionEntry), 'worker.js');
const piscinaEntry = resolveOrNull('piscina') ?? (redactionEntry && createRequire(redactionEntry).resolve('piscina'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  external: ['piscina'],
  // CommonJS dependencies (redact-pii, lodash) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __palisadeCreateRequire } from 'node:module'; const require = __palisadeCreateRequire(import.meta.url);",
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'package.json'), '{ "type": "module", "private": true }\n');

/** @type {[string, number][]} */
const outputs = [];
/** @param {string} entry @param {string} outfile */
const bundle = async (entry, outfile) => {
  const result = await build({ ...common, entryPoints: [entry], outfile });
  for (const [file, o] of Object.entries(result.metafile.outputs)) outputs.push([file, o.bytes]);
};

await bundle(run, join(out, 'run.js'));
// The in-worker latency probe: run.js starts it as a worker thread from next to itself.
await bundle(join(bench, 'dist', 'redaction', 'in-worker.js'), join(out, 'in-worker.js'));
if (redactionWorker !== null && existsSync(redactionWorker)) {
  await bundle(redactionWorker, join(out, 'worker.js'));
  const detectorsDir = join(out, 'node_modules', '@palisade', 'pii-detectors');
  mkdirSync(detectorsDir, { recursive: true });
  await bundle(benchRequire.resolve('@palisade/pii-detectors'), join(detectorsDir, 'index.js'));
  writeFileSync(
    join(detectorsDir, 'package.json'),
    '{ "name": "@palisade/pii-detectors", "type": "module", "exports": { ".": "./index.js" } }\n',
  );
  if (piscinaEntry) {
    // The package folder: up from its entry to the folder holding its package.json.
    let dir = dirname(piscinaEntry);
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    cpSync(dir, join(out, 'node_modules', 'piscina'), { recursive: true, dereference: true });
    outputs.push(['bench/bundle/redaction/node_modules/piscina (copied)', 0]);
  }
} else {
  console.log('(@palisade/redaction is not a dependency of the bench yet: bundled the in-thread benchmark only)');
}
console.log(
  `bundled into ${out}:\n  ${outputs
    .map(([f, bytes]) => `${f.replace(`${bench}/`, '')}${bytes > 0 ? ` ${(bytes / 1e6).toFixed(2)} MB` : ''}`)
    .join('\n  ')}`,
);
