/* global console, process, Buffer, WebAssembly */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- the corpus is imported from the build at run time and WebAssembly exports are untyped */
/*
 * The floor under any detector design: what one pass over the text costs, in
 * ms per MB of the `none` corpus (log lines without PII; the per-worker goal
 * there is 500 MB/s, 2 ms per MB for everything):
 *
 * - one JavaScript loop reading each code unit and a 128-entry table;
 * - one V8 regex pass of the shape a detector uses (`\d{3}[- ]\d{2}[- ]\d{4}`);
 * - copying each string into WebAssembly memory as UTF-16 (`Buffer.write`), and
 *   the copy plus the same table loop compiled to WebAssembly.
 *
 * It answers one question for a future shared scanner: would a single
 * WebAssembly pass fit the budget where nine JavaScript passes do not? Run
 * after `pnpm build`:
 *
 *   node bench/scripts/scan-floor.mjs
 *
 * The module below is 111 bytes, assembled from this text format:
 *
 *   (module
 *     (memory (export "mem") 64)
 *     ;; the table: 128 bytes at address 0; the text: UTF-16 code units from address `p`
 *     (func (export "count") (param $p i32) (param $n i32) (result i32)
 *       (local $end i32) (local $c i32) (local $k i32)
 *       (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 1))))
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *           (local.set $c (i32.load16_u (local.get $p)))
 *           (if (i32.lt_u (local.get $c) (i32.const 128))
 *             (then (local.set $k (i32.add (local.get $k) (i32.load8_u (local.get $c))))))
 *           (local.set $p (i32.add (local.get $p) (i32.const 2)))
 *           (br $next)))
 *       (local.get $k)))
 *
 * The script checks that it counts what the JavaScript loop counts before it
 * times anything.
 */
import { generateCorpus, chunkCorpus } from '../../packages/pii-detectors/dist/corpus/index.js';

const MODULE = Buffer.from(
  '0061736d0100000001070160027f7f017f030201000503010040070f02036d656d02000563' +
    '6f756e7400000a42014001037f200020014101746a210202400340200020024f0d0120002f' +
    '010021032003418001490440200420032d00006a21040b200041026a21000c000b0b20040b',
  'hex',
);

const TEXT_AT = 1024;

const { instance } = await WebAssembly.instantiate(MODULE);
const memory = instance.exports.mem;
const count = instance.exports.count;
const table = new Uint8Array(memory.buffer, 0, 128);
for (const c of '0123456789@:') table[c.charCodeAt(0)] = 1;
const heap = Buffer.from(memory.buffer);

const chunks = chunkCorpus(generateCorpus({ kind: 'none', size: 2_000_000, seed: 2026 }), 4096).map((c) => c.text);
const megabytes = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0) / 1e6;

const jsCount = (text) => {
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) k += table[c];
  }
  return k;
};
const wasmCount = (text) => {
  heap.write(text, TEXT_AT, 'utf16le');
  return count(TEXT_AT, text.length);
};

for (const text of chunks) {
  if (wasmCount(text) !== jsCount(text))
    throw new Error('the WebAssembly loop counts differently from the JavaScript one');
}

const DETECTOR_SHAPE = /\d{3}[- ]\d{2}[- ]\d{4}/g;
const regexPass = (text) => {
  let k = 0;
  DETECTOR_SHAPE.lastIndex = 0;
  while (DETECTOR_SHAPE.exec(text) !== null) k++;
  return k;
};

/** ms per MB: median of 9 passes over the corpus after 5. */
const msPerMb = (pass) => {
  let sink = 0;
  const run = () => {
    for (const text of chunks) sink += pass(text);
  };
  for (let i = 0; i < 5; i++) run();
  const times = [];
  for (let i = 0; i < 9; i++) {
    const t = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  if (sink < 0) console.log(sink);
  return times[4] / megabytes;
};

const rows = [
  ['JavaScript loop, code unit and table', msPerMb(jsCount)],
  ['one V8 regex pass, a detector-shaped pattern', msPerMb(regexPass)],
  ['copy into WebAssembly memory (UTF-16)', msPerMb((text) => heap.write(text, TEXT_AT, 'utf16le'))],
  ['copy and WebAssembly loop, code unit and table', msPerMb(wasmCount)],
];
console.log(`One pass over the 'none' corpus (${megabytes.toFixed(1)} MB, strings of up to 4 KiB), ms per MB:`);
for (const [name, ms] of rows)
  console.log(`  ${name.padEnd(48)} ${ms.toFixed(2).padStart(6)}  (${(1000 / ms).toFixed(0)} MB/s)`);
