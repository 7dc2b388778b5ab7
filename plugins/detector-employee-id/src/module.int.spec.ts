import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { employeeIdCheckDigit } from './index.js';

/*
 * What the redaction workers do with `redaction.detector_modules`: import the
 * plugin by its package name in a worker thread and read `detectors` (named
 * export or default export). Needs the build (`pnpm test` builds first).
 */
const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));

describe('the plugin as a detector module', () => {
  it('is loaded by package name in a worker thread and finds employee ids there', async () => {
    const entry = createRequire(packageJson).resolve('@palisade-example/detector-employee-id');
    const id = `EMP-48291${employeeIdCheckDigit('48291')}`;
    const result = await new Promise<{ ids: string[]; found: string[] }>((resolve, reject) => {
      const worker = new Worker(
        `
        const { parentPort, workerData } = require('node:worker_threads');
        const { pathToFileURL } = require('node:url');
        import(pathToFileURL(workerData.entry).href).then((mod) => {
          const detectors = mod.default.detectors;
          const text = workerData.text;
          parentPort.postMessage({
            ids: detectors.map((d) => d.id),
            found: detectors.flatMap((d) => d.find(text).map((s) => text.slice(s.start, s.end))),
          });
        });
        `,
        { eval: true, workerData: { entry, text: `badge ${id} and EMP-000000x` } },
      );
      worker.once('message', (m: { ids: string[]; found: string[] }) => {
        void worker.terminate();
        resolve(m);
      });
      worker.once('error', reject);
    });
    expect(result.ids).toEqual(['employee_id']);
    expect(result.found).toEqual([id]);
  });
});
