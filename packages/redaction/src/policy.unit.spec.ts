import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ConfigInvalid } from '@palisade/core';
import { createRedactionService } from './service.js';
import { TEST_KEY } from './test-support.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = './src/fixtures/basic-detectors.ts';

/** Builds an in-thread service from `config` with the test detectors and returns its config error. */
const configError = async (config: unknown): Promise<ConfigInvalid> => {
  const withModules =
    typeof config === 'object' && config !== null && 'redaction' in config
      ? config
      : { ...(config as object), redaction: { detector_modules: [FIXTURES] } };
  const result = await createRedactionService({
    mode: 'in_thread',
    builtInDetectors: false,
    baseDir: packageDir,
    source: 'palisade.config.yaml',
    config: withModules,
  })();
  if (E.isRight(result)) {
    await result.right.close();
    throw new Error('expected a config error');
  }
  return result.left;
};

const paths = (e: ConfigInvalid) => e.issues.map((i) => i.path);

describe('data policy config', () => {
  it('accepts the documented example', async () => {
    const result = await createRedactionService({
      mode: 'in_thread',
      builtInDetectors: false,
      baseDir: packageDir,
      config: {
        data_policy: {
          pii_detectors: ['email', 'ssn', 'credit_card', 'ip_address', 'aws_access_key'],
          pii_fields: ['$.email', '$.customer.ssn', '$.payments[*].card'],
          redaction_mode: 'mask',
          modes: { ssn: 'hash' },
          actions: { aws_access_key: 'block', ip_address: 'warn' },
          retain_prompts: false,
          retain_outputs: false,
          retention_days: 90,
        },
        redaction: { detector_modules: [FIXTURES], hash_keys: { active: 'k1', keys: { k1: TEST_KEY } } },
      },
    })();
    expect(E.isRight(result)).toBe(true);
    if (E.isRight(result)) await result.right.close();
  });

  it('names an unknown key with its path', async () => {
    const e = await configError({ data_policy: { redaction_mod: 'mask' } });
    expect(e.code).toBe('PALISADE_CONFIG_INVALID');
    expect(paths(e)).toEqual(['data_policy.redaction_mod']);
    expect(
      (await configError({ tenants: { acme: { data_policy: { pii_detectors: [] }, extra: 1 } } })).issues[0]!.path,
    ).toBe('tenants.acme.extra');
  });

  it('refuses tenant keys that are not tenant ids', async () => {
    const e = await configError({ tenants: { Acme: { data_policy: {} }, globex: {} } });
    expect(paths(e)).toEqual(['tenants.Acme']);
  });

  it('names wrong types and values', async () => {
    const e = await configError({
      data_policy: { redaction_mode: 'shred', actions: { email: 'explode' }, min_confidence: 2 },
    });
    expect(paths(e).sort()).toEqual([
      'data_policy.actions.email',
      'data_policy.min_confidence',
      'data_policy.redaction_mode',
    ]);
  });

  it('refuses unknown detectors wherever they are named', async () => {
    const e = await configError({
      data_policy: { pii_detectors: ['email', 'passport'], modes: { pasport: 'remove' } },
      tenants: { acme: { data_policy: { actions: { nope: 'block' } } } },
    });
    expect(paths(e)).toEqual([
      'data_policy.pii_detectors.1',
      'data_policy.modes.pasport',
      'tenants.acme.data_policy.actions.nope',
    ]);
    expect(e.issues[0]!.message).toContain("unknown detector 'passport'");
  });

  it('refuses invalid JSONPaths and filter expressions', async () => {
    const e = await configError({
      data_policy: { pii_fields: ['$.ok', 'email', '$.[', { path: '$.a[?@.b == 1]' }, "$['x'"] },
    });
    expect(paths(e)).toEqual([
      'data_policy.pii_fields.1',
      'data_policy.pii_fields.2',
      'data_policy.pii_fields.3.path',
      'data_policy.pii_fields.4',
    ]);
    expect(e.issues[2]!.message).toContain('filter');
  });

  it('refuses hash mode without a key, and weak or misnamed keys, without echoing them', async () => {
    expect(
      (await configError({ data_policy: { pii_detectors: ['email'], modes: { email: 'hash' } } })).issues[0],
    ).toMatchObject({
      path: 'data_policy',
      message: expect.stringContaining('hash_keys is not configured') as unknown,
    });
    const e = await configError({
      redaction: {
        detector_modules: [FIXTURES],
        hash_keys: { active: 'k2', keys: { k1: 'short-secret', 'K 1': TEST_KEY } },
      },
    });
    expect(paths(e)).toEqual([
      'redaction.hash_keys.active',
      'redaction.hash_keys.keys.k1',
      'redaction.hash_keys.keys.K 1',
    ]);
    expect(e.message).not.toContain('short-secret');
  });

  it('refuses detector modules that cannot be loaded or export no detectors', async () => {
    const e = await configError({ redaction: { detector_modules: ['./no/such/module.js', './package.json'] } });
    expect(paths(e)).toEqual(['redaction.detector_modules.0', 'redaction.detector_modules.1']);
  });

  it('refuses a detector module whose detector is called field, the name reports give pii_fields', async () => {
    const e = await configError({ redaction: { detector_modules: ['./src/fixtures/field-detector.ts'] } });
    expect(paths(e)).toEqual(['redaction.detector_modules.0']);
    expect(e.issues[0]!.message).toContain("'field' is reserved");
  });

  it('refuses bad pool settings', async () => {
    const e = await configError({ redaction: { workers: 0, mode: 'fork', batch_size: -1 } });
    expect(paths(e).sort()).toEqual(['redaction.batch_size', 'redaction.mode', 'redaction.workers']);
  });

  it('compiles custom regex detectors and refuses dangerous or invalid ones', async () => {
    const e = await configError({
      data_policy: {
        custom_detectors: [
          { id: 'order_id', pattern: 'ORD-[0-9]{1,12}', hints: ['ord-'] },
          { id: 'evil', pattern: '(a+)+$' },
          { id: 'broken', pattern: '([a-z' },
          { id: 'email', pattern: 'x{1,3}' },
          { id: 'field', pattern: 'FLD-[0-9]{4}' },
        ],
      },
    });
    expect(paths(e)).toEqual([
      'data_policy.custom_detectors.1.pattern',
      'data_policy.custom_detectors.2.pattern',
      'data_policy.custom_detectors.3.id',
      'data_policy.custom_detectors.4.id',
    ]);
    expect(e.issues[0]!.message).toContain('backtrack');
    // Reports and `modes` name pii_fields `field`: a detector of that name would be mistaken for them.
    expect(e.issues[3]!.message).toContain("'field' is reserved");
  });
});
