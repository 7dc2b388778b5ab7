import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KubernetesSecretDir } from './index.js';

// Drives the secret paths that succeed, fail and log, printing the results every usual way; runs in a child process
// whose whole stdout and stderr the test scans. The last failure escapes as an unhandled error: Node prints it and exits 1.
const PROBE = `import { inspect } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { loadConfigWithSecrets, PalisadeFailure } from '@palisade/core';
import { envSecretsPlugin } from '@palisade/secrets-env';
const { fileSecretsPlugin } = await import(process.env.PROBE_FILE_PLUGIN);

const cwd = process.env.PROBE_DIR;
const loaded = await loadConfigWithSecrets({
  cwd,
  plugins: [envSecretsPlugin, fileSecretsPlugin],
  onEvent: (event) => console.log('secret event', event, JSON.stringify(event)),
})();
if (E.isLeft(loaded)) {
  console.error('config failed', loaded.left);
  process.exit(2);
}
const { secrets, config } = loaded.right;
console.log('config', config === undefined ? 'none' : Object.keys(config));
for (const ref of ['hmac', 'db/creds#password', 'db/creds#absent', 'notjson#field', 'group-readable', 'nowhere', '../../etc/passwd', 'hmac@2']) {
  const outcome = await secrets.resolve(ref)();
  console.log('resolve', ref, outcome);
  console.log('%s %o %j', ref, outcome, outcome);
  if (E.isRight(outcome)) {
    console.log(\`template: \${outcome.right.value}\`, inspect(outcome.right, { showHidden: true, depth: 10 }));
    process.stdout.write(JSON.stringify(outcome.right) + '\\n');
  } else {
    console.error(new PalisadeFailure(outcome.left));
  }
}
const last = await secrets.resolve('db/creds#absent')();
if (E.isLeft(last)) throw new PalisadeFailure(last.left);
`;

const VALUES = {
  hmac: 'hmac-key-4f1c9e0b7d',
  envSecret: 'env-secret-8b2d77aa',
  password: 'db-password-5e6f01cd',
  user: 'db-user-0a9b8c7d',
  notJson: 'not-json-text-3c4d5e6f {',
  groupReadable: 'group-readable-9f8e7d6c',
};

describe('no secret value is printed (child process, whole stdout and stderr scanned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-leak-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs found, failing and logging paths and prints none of the values', async () => {
    const k8s = new KubernetesSecretDir(join(dir, 'mounted'));
    await k8s.write({
      hmac: VALUES.hmac,
      'db/creds': JSON.stringify({ user: VALUES.user, password: VALUES.password }),
      notjson: VALUES.notJson,
    });
    writeFileSync(join(dir, 'mounted', 'group-readable'), VALUES.groupReadable);
    chmodSync(join(dir, 'mounted', 'group-readable'), 0o640);
    writeFileSync(
      join(dir, 'palisade.config.yaml'),
      [
        'secrets:',
        '  backends:',
        '    - { kind: env, prefix: PROBE_ }',
        '    - { kind: file, dir: ./mounted }',
        '  cache: { ttl_ms: 0, stale_if_error_ms: 0 }',
        'storage:',
        '  kind: memory',
        '  note: "${secret:env-only} / ${secret:hmac}"',
      ].join('\n'),
    );
    const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
      cwd: packageDir,
      env: {
        PATH: process.env['PATH'] ?? '',
        PROBE_ENV_ONLY: VALUES.envSecret,
        PROBE_DIR: dir,
        PROBE_FILE_PLUGIN: pathToFileURL(join(packageDir, 'dist', 'index.js')).href,
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const printed = `${run.stdout}\n${run.stderr}`;
    // The probe reached its end: it printed the wrapper, the failures' codes, and died of the last one.
    expect(run.status, run.stderr.slice(0, 2000)).toBe(1);
    expect(printed).toContain('[secret]');
    for (const code of [
      'PALISADE_SECRET_NOT_FOUND',
      'PALISADE_SECRET_BACKEND_FAILED',
      'PALISADE_INVALID_INPUT',
      "'missing_key'",
      "'malformed'",
      "'insecure'",
      "'unsupported'",
    ]) {
      expect(printed).toContain(code);
    }
    for (const [name, value] of Object.entries(VALUES)) {
      expect(printed.includes(value), `${name} appears in the printed output`).toBe(false);
    }
  });
});
