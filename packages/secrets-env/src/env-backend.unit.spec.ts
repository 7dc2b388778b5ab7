import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createEnvSecrets, envSecretsPlugin, envVariableName } from './index.js';

describe('env secrets', () => {
  it('maps names to upper-snake variables under the prefix', () => {
    expect(envVariableName('APP_', 'db/password')).toBe('APP_DB_PASSWORD');
    expect(envVariableName('', 'oauth.client-secret')).toBe('OAUTH_CLIENT_SECRET');
  });

  it('reads only variables with the prefix', async () => {
    const backend = createEnvSecrets({
      prefix: 'APP_',
      env: { DB_PASSWORD: 'unprefixed-value', APP_DB_PASSWORD: 'prefixed-value' },
    });
    const outcome = await backend.lookup({ name: 'db/password' })();
    expect(E.isRight(outcome) && outcome.right._tag === 'Found' && outcome.right.value.reveal()).toBe('prefixed-value');
    const other = createEnvSecrets({ prefix: 'OTHER_', env: { DB_PASSWORD: 'unprefixed-value' } });
    expect(await other.lookup({ name: 'db/password' })()).toEqual(E.right({ _tag: 'NotFound' }));
  });

  it('plugin options refuse unknown keys and wrong types, naming the path', () => {
    expect(E.isLeft(envSecretsPlugin.options.decode({ prefix: 3 }))).toBe(true);
    expect(E.isLeft(envSecretsPlugin.options.decode({ prefx: 'A_' }))).toBe(true);
    expect(E.isRight(envSecretsPlugin.options.decode({ prefix: 'A_' }))).toBe(true);
  });
});
