/*
 * A child process for the cross-process tests: opens the same shared storage as
 * the parent through its plugin, then races an append or appends until killed.
 * Its instructions arrive as JSON in PALISADE_CHILD and are decoded like any input.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { EventStore, TenantId, type AnyStoragePlugin } from '@palisade/core';

const Instructions = t.type({
  pluginModule: t.string,
  options: t.unknown,
  tenant: TenantId,
  command: t.union([t.literal('race'), t.literal('crash')]),
  stream: t.string,
  startAt: t.number,
  batch: t.number,
});

const main = async (): Promise<void> => {
  const decoded = Instructions.decode(JSON.parse(process.env.PALISADE_CHILD ?? 'null'));
  if (E.isLeft(decoded)) throw new Error('bad instructions');
  const job = decoded.right;
  const mod = (await import(job.pluginModule)) as { storagePlugin: AnyStoragePlugin };
  const options = mod.storagePlugin.options.decode(job.options);
  if (E.isLeft(options)) throw new Error('bad options');
  const adapter = await mod.storagePlugin.create(options.right, { baseDir: process.cwd() })();
  if (E.isLeft(adapter)) throw new Error(adapter.left.message);
  const scope = new EventStore(adapter.right).forTenant(job.tenant);

  if (job.command === 'race') {
    while (Date.now() < job.startAt) await new Promise((r) => setTimeout(r, 1));
    const result = await scope.appendToStream(job.stream, [{ type: 'Raced', data: { pid: process.pid } }], {
      expected: 'no_stream',
    })();
    process.stdout.write(
      JSON.stringify(E.isRight(result) ? { ok: true } : { ok: false, tag: result.left._tag }) + '\n',
    );
    await adapter.right.close();
    return;
  }

  // crash: append whole batches to fresh streams until the parent kills us.
  const payload = 'x'.repeat(1000);
  for (let n = 0; ; n++) {
    const events = Array.from({ length: job.batch }, (_, i) => ({ type: 'Filled', data: { i, payload } }));
    const result = await scope.appendToStream(`${job.stream}-${n}`, events, { expected: 'no_stream' })();
    if (E.isLeft(result)) throw new Error(result.left.message);
    if (n === 0) process.stdout.write('started\n');
  }
};

main().catch((e: unknown) => {
  process.stderr.write(`child failed: ${e instanceof Error ? e.message : 'error'}\n`);
  process.exit(1);
});
