import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

/*
 * The package is a detector module: a worker thread imports it by its package
 * name (resolved as a user's config would be), reads `detectors` and runs them.
 * Needs the build (`pnpm test` builds first).
 */
const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));

const runInWorker = (specifier: string, text: string) =>
  new Promise<{ ids: string[]; found: string[] }>((resolve, reject) => {
    const entry = createRequire(packageJson).resolve(specifier);
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { pathToFileURL } = require('node:url');
      import(pathToFileURL(workerData.entry).href).then((mod) => {
        const detectors = mod.detectors ?? mod.default?.detectors;
        const found = detectors.flatMap((d) => d.find(workerData.text).map((s) => d.id + ':' + workerData.text.slice(s.start, s.end)));
        parentPort.postMessage({ ids: detectors.map((d) => d.id), found });
      });
      `,
      { eval: true, workerData: { entry, text } },
    );
    worker.once('message', (m: { ids: string[]; found: string[] }) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });

describe('@palisade/pii-detectors as a detector module', () => {
  it('is loaded by package name in a worker thread and finds PII there', async () => {
    const { ids, found } = await runInWorker(
      '@palisade/pii-detectors',
      'mail bob@example.com, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE',
    );
    expect(ids).toContain('email');
    expect(ids).toHaveLength(9);
    expect(found).toEqual([
      'email:bob@example.com',
      'credit_card:4111 1111 1111 1111',
      'aws_access_key:AKIAIOSFODNN7EXAMPLE',
    ]);
  });
});
