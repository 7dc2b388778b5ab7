import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { loadDocExample, readDocExamples } from '@palisade/storage-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsPlugin } from './index.js';
import { motoServerPath, startMoto, type Moto } from './moto.js';

// The examples in docs/secrets.md and this package's README, loaded through the real config loader and
// resolved against moto_server.
const example = async (file: string, id: string): Promise<string> => {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const found = (await readDocExamples(path)).get(id);
  if (found === undefined) throw new Error(`${path} has no example '${id}'`);
  return found;
};
const docs = '../../../docs/secrets.md';
const plugins = [awsSecretsPlugin];
const moto = motoServerPath();
const password = (c: { storage?: unknown }, key = 'password'): unknown => (c.storage as Record<string, unknown>)[key];

if (moto === undefined) {
  console.warn(
    'SKIPPED @palisade/secrets-aws doc example tests: moto_server is not on PATH (pip install "moto[server]")',
  );
  describe.skip('documented aws examples (SKIPPED: moto_server not installed)', () => {
    it('needs moto_server', () => undefined);
  });
} else {
  describe('documented aws examples load as written (moto_server)', () => {
    let server: Moto;
    let admin: SecretsManagerClient;
    const saved: Record<string, string | undefined> = {};
    const setEnv = (vars: Record<string, string>): void => {
      for (const [k, v] of Object.entries(vars)) {
        if (!(k in saved)) saved[k] = process.env[k];
        process.env[k] = v;
      }
    };
    beforeAll(async () => {
      server = await startMoto(moto);
      admin = new SecretsManagerClient({
        region: 'eu-west-1',
        endpoint: server.endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      await admin.send(
        new CreateSecretCommand({
          Name: 'prod/db/creds',
          SecretString: JSON.stringify({ password: 'first-password' }),
        }),
      );
      await admin.send(
        new PutSecretValueCommand({
          SecretId: 'prod/db/creds',
          SecretString: JSON.stringify({ password: 'second-password' }),
        }),
      );
    });
    afterEach(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
        delete saved[k];
      }
    });
    afterAll(async () => {
      admin.destroy();
      await server.stop();
    });

    for (const [file, id] of [
      [docs, 'aws'],
      ['../README.md', 'readme-aws'],
    ] as const) {
      it(`${id}: credentials and endpoint from the SDK's environment, name prefix applied`, async () => {
        setEnv({
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: server.endpoint,
        });
        const loaded = await loadDocExample(await example(file, id), { plugins });
        if (E.isLeft(loaded)) throw new Error(loaded.left.message);
        expect(password(loaded.right.config)).toBe('second-password');
        await loaded.right.close();
      });
    }

    it('aws-full: every option, pointed at moto; AWSPREVIOUS through a config reference', async () => {
      const text = (await example(docs, 'aws-full')).replace(
        'https://vpce-0abc.secretsmanager.eu-west-1.vpce.amazonaws.com',
        server.endpoint,
      );
      expect(text).toContain(server.endpoint);
      const loaded = await loadDocExample(
        `${text}storage:\n  kind: postgres\n  password: \${secret:db/creds#password}\n  previous: \${secret:db/creds@AWSPREVIOUS#password}\n`,
        {
          plugins,
          env: {
            PALISADE_AWS_ACCESS_KEY_ID: 'testing',
            PALISADE_AWS_SECRET_ACCESS_KEY: 'testing',
            PALISADE_AWS_SESSION_TOKEN: 'testing-session',
          },
        },
      );
      if (E.isLeft(loaded)) throw new Error(loaded.left.message);
      expect(password(loaded.right.config)).toBe('second-password');
      expect(password(loaded.right.config, 'previous')).toBe('first-password');
      expect(new Set(loaded.right.bindings.map((b) => b.backend))).toEqual(new Set(['aws-eu']));
      await loaded.right.close();
    });
  });
}
