import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { asPromises, unwrap } from './promises.js';
import { createRuntime, Tokens } from './runtime.js';
import { parseTenantId } from './tenant.js';
import type { TenantId } from './ids.js';

const tenant = (raw: string): TenantId => {
  const t = parseTenantId(raw);
  if (E.isLeft(t)) throw new Error('bad tenant');
  return t.right;
};

describe('runtime', () => {
  it('composes a memory runtime whose limits come from config', async () => {
    const runtime = await unwrap(createRuntime({ storage: { kind: 'memory' }, limits: { max_batch_events: 2 } }));
    try {
      expect(runtime.container.resolve(Tokens.EventStore)).toBe(runtime.store);
      const acme = asPromises(runtime.forTenant(tenant('acme')));
      await acme.appendToStream('s-1', [{ type: 'E', data: 1 }]);
      await expect(
        acme.appendToStream(
          's-1',
          [1, 2, 3].map((n) => ({ type: 'E', data: n })),
        ),
      ).rejects.toMatchObject({
        code: 'PALISADE_BATCH_TOO_LARGE',
        error: { _tag: 'BatchTooLarge', limit: 2 },
      });
    } finally {
      await runtime.close();
    }
  });

  it('names storage.kind when no plugin provides it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-runtime-'));
    try {
      const result = await createRuntime({ storage: { kind: 'cassandra' } }, { baseDir: dir })();
      expect(E.isLeft(result) && result.left).toMatchObject({
        _tag: 'ConfigInvalid',
        issues: [{ path: 'storage.kind', message: expect.stringContaining("'cassandra'") as unknown }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown storage options with their path', async () => {
    const result = await createRuntime({ storage: { kind: 'memory', path: 'x' } })();
    expect(E.isLeft(result)).toBe(true);
  });

  it('refuses calls after close', async () => {
    const runtime = await unwrap(createRuntime({ storage: { kind: 'memory' } }));
    const acme = runtime.forTenant(tenant('acme'));
    await runtime.close();
    const result = await acme.readLog()();
    expect(E.isLeft(result) && result.left._tag).toBe('Closed');
  });
});
