import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedactionService, type RedactionService } from '@palisade/redaction';
import { employeeIdCheckDigit } from './index.js';

/*
 * The plugin enabled as the README says, end to end: the redaction pool's
 * worker threads load it by package name from `redaction.detector_modules`,
 * and a data policy names its detector. Needs the build (`pnpm test` builds first).
 */
const pluginDir = fileURLToPath(new URL('..', import.meta.url));
const id = `EMP-48291${employeeIdCheckDigit('48291')}`;

const services: RedactionService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
});

const open = async (config: unknown): Promise<RedactionService> => {
  const service = await createRedactionService({ config, baseDir: pluginDir, mode: 'pool', workers: 1 })();
  if (E.isLeft(service)) throw new Error(service.left.message);
  services.push(service.right);
  return service.right;
};

describe('the employee id plugin in a data policy', () => {
  it('is loaded by the worker pool and masks ids named by pii_detectors', async () => {
    const service = await open({
      redaction: { detector_modules: ['@palisade-example/detector-employee-id'] },
      data_policy: { pii_detectors: ['email', 'employee_id'] },
    });
    const result = await service.redact('acme', [
      { type: 'ticket.opened', data: { text: `Laptop for ${id}, reply to bob@example.com` } },
    ])();
    expect(E.isRight(result)).toBe(true);
    if (E.isLeft(result)) return;
    const stored = JSON.stringify(result.right[0]?.data);
    expect(stored).not.toContain(id);
    expect(stored).not.toContain('bob@example.com');
    const report = result.right[0]?.metadata?.['palisade_redaction'] as { findings: { detector: string }[] };
    expect(report.findings.map((f) => f.detector).sort()).toEqual(['email', 'employee_id']);
  });

  it('blocks the append when the policy says so, naming the detector and never the id', async () => {
    const service = await open({
      redaction: { detector_modules: ['@palisade-example/detector-employee-id'] },
      data_policy: { pii_detectors: ['employee_id'], actions: { employee_id: 'block' } },
    });
    const result = await service.redact('acme', [{ type: 'ticket.opened', data: { text: `for ${id}` } }])();
    expect(E.isLeft(result)).toBe(true);
    if (E.isRight(result)) return;
    expect(result.left._tag).toBe('PolicyBlocked');
    expect(result.left.message).toContain('employee_id');
    expect(result.left.message).not.toContain(id);
  });

  it('is a configuration error when a policy names the detector but the module is not loaded', async () => {
    const service = await createRedactionService({
      config: { data_policy: { pii_detectors: ['employee_id'] } },
      baseDir: pluginDir,
      mode: 'in_thread',
    })();
    expect(E.isLeft(service)).toBe(true);
    if (E.isLeft(service)) {
      expect(service.left._tag).toBe('ConfigInvalid');
      expect(service.left.message).toContain('employee_id');
    }
  });
});
