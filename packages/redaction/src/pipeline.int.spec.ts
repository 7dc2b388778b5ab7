import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  createSecretChain,
  EventStore,
  found,
  notFound,
  TenantId,
  type SecretBackend,
  type TenantEventStore,
} from '@palisade/core';
import { createRedactionPipeline } from '../dist/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../dist/fixtures/${name}.js`, import.meta.url));
const KEY = 'pipeline-test-key-0123456789-abcdefghijkl';

const memorySecrets = (values: Record<string, string>): SecretBackend => ({
  name: 'memory',
  lookup: (ref) => TE.right(Object.hasOwn(values, ref.name) ? found(values[ref.name]!, 'v1') : notFound),
  close: () => Promise.resolve(),
});

const config = {
  storage: { kind: 'memory' },
  data_policy: {
    pii_detectors: ['email', 'ssn', 'aws_access_key', 'crasher', 'thrower'],
    pii_fields: ['$.customer.ssn'],
    modes: { field: 'hash' },
    actions: { aws_access_key: 'block' },
  },
  redaction: {
    workers: 1,
    detector_modules: [fixture('basic-detectors'), fixture('failing-detectors')],
    hash_keys: { active: 'k1', keys: { k1: '${secret:redaction/k1}' } },
  },
};

const stores: EventStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const open = async (mode: 'pool' | 'in_thread'): Promise<TenantEventStore> => {
  const secrets = createSecretChain([memorySecrets({ 'redaction/k1': KEY })]);
  const pipeline = await createRedactionPipeline(config, { secrets, mode, builtInDetectors: false })();
  if (E.isLeft(pipeline)) throw new Error(pipeline.left.message);
  const store = new EventStore(createMemoryStorage(), { pipeline: pipeline.right });
  stores.push(store);
  const tenant = TenantId.decode('acme');
  if (E.isLeft(tenant)) throw new Error('tenant');
  return store.forTenant(tenant.right);
};

describe.each(['pool', 'in_thread'] as const)('redaction pipeline (%s)', (mode) => {
  it('stores events redacted, with their report', async () => {
    const scope = await open(mode);
    const appended = await scope.appendToStream('s-1', [
      { type: 'Signup', data: { email: 'john@example.com', customer: { ssn: '123-45-6789' } } },
    ])();
    expect(E.isRight(appended)).toBe(true);
    const read = await scope.readStream('s-1')();
    if (E.isLeft(read)) throw new Error('read');
    const stored = JSON.stringify(read.right);
    expect(stored).not.toContain('john@example.com');
    expect(stored).not.toContain('123-45-6789');
    expect(read.right[0]!.data).toMatchObject({ email: 'j***@example.com' });
    expect(read.right[0]!.metadata['palisade_redaction']).toEqual({
      version: 1,
      findings: [
        { detector: 'email', path: '$.data.email', action: 'redact', mode: 'mask', count: 1 },
        { detector: 'field', path: '$.data.customer.ssn', action: 'redact', mode: 'hash', count: 1 },
      ],
    });
  });

  it('writes nothing when the policy blocks, a detector throws or a worker crashes', async () => {
    const scope = await open(mode);
    const attempts = [
      [
        { type: 'A', data: 'ok' },
        { type: 'B', data: { key: 'AKIAIOSFODNN7EXAMPLE' } },
      ],
      [
        { type: 'A', data: 'ok' },
        { type: 'B', data: 'throw-now' },
      ],
      ...(mode === 'pool' ? [[{ type: 'A', data: 'crash-now' }]] : []),
    ];
    const codes: string[] = [];
    for (const events of attempts) {
      const result = await scope.appendToStream('s-1', events)();
      codes.push(E.isLeft(result) ? result.left.code : 'written');
    }
    expect(codes).toEqual([
      'PALISADE_POLICY_BLOCKED',
      'PALISADE_REDACTION_FAILED',
      ...(mode === 'pool' ? ['PALISADE_REDACTION_FAILED'] : []),
    ]);
    const log = await scope.readLog()();
    expect(E.isRight(log) && log.right.events).toEqual([]);
  });

  it('refuses non-JSON data and oversize events before redaction, writing nothing', async () => {
    const scope = await open(mode);
    const bad = await scope.appendToStream('s-1', [{ type: 'A', data: { when: new Date() } as never }])();
    expect(E.isLeft(bad) && bad.left.code).toBe('PALISADE_INVALID_INPUT');
    const big = await scope.appendToStream('s-1', [{ type: 'A', data: 'x'.repeat(2 * 1024 * 1024) }])();
    expect(E.isLeft(big) && big.left.code).toBe('PALISADE_EVENT_TOO_LARGE');
    const log = await scope.readLog()();
    expect(E.isRight(log) && log.right.events).toEqual([]);
  });
});

describe('redaction pipeline config', () => {
  it('refuses a hash key secret that cannot be resolved, naming the path', async () => {
    const secrets = createSecretChain([memorySecrets({})]);
    const result = await createRedactionPipeline(config, { secrets, builtInDetectors: false })();
    expect(E.isLeft(result) && result.left.issues[0]!.path).toBe('redaction.hash_keys.keys.k1');
  });

  it('refuses a secret reference when no secret source is given', async () => {
    const result = await createRedactionPipeline(config, { builtInDetectors: false })();
    expect(E.isLeft(result) && result.left.code).toBe('PALISADE_CONFIG_INVALID');
  });
});
