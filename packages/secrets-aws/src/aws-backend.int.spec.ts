import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import * as E from 'fp-ts/lib/Either.js';
import { secretBackendConformance } from '@palisade/storage-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsSecretsPlugin, createAwsSecrets } from './index.js';
import { motoServerPath, startMoto, type Moto } from './moto.js';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const moto = motoServerPath();

if (moto === undefined) {
  // Said loudly: a skipped peer must not pass for a tested one.
  console.warn(
    'SKIPPED @palisade/secrets-aws integration tests: moto_server is not on PATH (pip install "moto[server]")',
  );
  describe.skip('secrets-aws against moto_server (SKIPPED: moto_server not installed)', () => {
    it('needs moto_server', () => undefined);
  });
} else {
  let server: Moto;
  let locked: Moto | undefined;
  let admin: SecretsManagerClient;
  const backendAt = (endpoint: string, extra: { maxAttempts?: number; namePrefix?: string } = {}) =>
    createAwsSecrets({ region: REGION, endpoint, credentials: CREDENTIALS, ...extra });

  // Written as an operator or a rotation lambda would: PutSecretValue moves AWSCURRENT and AWSPREVIOUS.
  const put = async (name: string, value: string): Promise<void> => {
    try {
      await admin.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
      await admin.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    }
  };

  secretBackendConformance('aws (moto_server)', {
    setup: async () => {
      server = await startMoto(moto);
      admin = new SecretsManagerClient({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS });
    },
    teardown: async () => {
      admin.destroy();
      await server.stop();
      await locked?.stop();
    },
    backend: () => backendAt(server.endpoint),
    put,
    putJson: (name, fields) => put(name, JSON.stringify(fields)),
    putText: (name, text) => put(name, text),
    remove: async (name) => {
      await admin.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    },
    versioned: true,
    config: {
      plugin: awsSecretsPlugin,
      section: () => ({
        kind: 'aws',
        region: REGION,
        endpoint: server.endpoint,
        credentials: { access_key_id: 'testing', secret_access_key: 'testing' },
      }),
    },
    // Nothing listens on port 1 of loopback.
    unreachable: () => backendAt('http://127.0.0.1:1', { maxAttempts: 1 }),
    // A second moto with IAM checks on: our keys are unknown to it, so every call is refused.
    denied: async () => {
      locked ??= await startMoto(moto, { INITIAL_NO_AUTH_ACTION_COUNT: '0' });
      return backendAt(locked.endpoint, { maxAttempts: 1 });
    },
  });

  describe('secrets-aws specifics (moto_server)', () => {
    let s: Moto;
    let a: SecretsManagerClient;
    beforeAll(async () => {
      s = await startMoto(moto);
      a = new SecretsManagerClient({ region: REGION, endpoint: s.endpoint, credentials: CREDENTIALS });
    });
    afterAll(async () => {
      a.destroy();
      await s.stop();
    });

    const reveal = async (
      backend: ReturnType<typeof createAwsSecrets>,
      name: string,
      version?: string,
      field?: string,
    ) => {
      const outcome = await backend.lookup({
        name,
        ...(version !== undefined ? { version } : {}),
        ...(field !== undefined ? { field } : {}),
      })();
      if (E.isLeft(outcome)) return `failed:${outcome.left.reason}`;
      return outcome.right._tag === 'Found' ? outcome.right.value.reveal() : 'not-found';
    };

    it('reads the AWSCURRENT and AWSPREVIOUS stages after a rotation', async () => {
      await a.send(new CreateSecretCommand({ Name: 'stages/api-key', SecretString: 'stage-old-value' }));
      await a.send(new PutSecretValueCommand({ SecretId: 'stages/api-key', SecretString: 'stage-new-value' }));
      const backend = createAwsSecrets({ region: REGION, endpoint: s.endpoint, credentials: CREDENTIALS });
      expect(await reveal(backend, 'stages/api-key')).toBe('stage-new-value');
      expect(await reveal(backend, 'stages/api-key', 'AWSCURRENT')).toBe('stage-new-value');
      expect(await reveal(backend, 'stages/api-key', 'AWSPREVIOUS')).toBe('stage-old-value');
      expect(await reveal(backend, 'stages/api-key', 'NOSUCHSTAGE')).toBe('not-found');
      await backend.close();
    });

    it('applies the name prefix and reads keys of JSON secrets', async () => {
      await a.send(
        new CreateSecretCommand({
          Name: 'prod/db',
          SecretString: JSON.stringify({ user: 'db-user-x', password: 'db-pass-y', port: 5432 }),
        }),
      );
      const backend = createAwsSecrets({
        region: REGION,
        endpoint: s.endpoint,
        credentials: CREDENTIALS,
        namePrefix: 'prod/',
      });
      expect(await reveal(backend, 'db', undefined, 'password')).toBe('db-pass-y');
      expect(await reveal(backend, 'db', undefined, 'port')).toBe('5432');
      expect(await reveal(backend, 'db', undefined, 'nope')).toBe('failed:missing_key');
      await backend.close();
    });

    it('refuses binary secrets as unsupported', async () => {
      await a.send(new CreateSecretCommand({ Name: 'binary/blob', SecretBinary: new Uint8Array([1, 2, 3]) }));
      const backend = createAwsSecrets({ region: REGION, endpoint: s.endpoint, credentials: CREDENTIALS });
      expect(await reveal(backend, 'binary/blob')).toBe('failed:unsupported');
      await backend.close();
    });
  });
}
