import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createRuntime, parseConfig } from '@palisade/core';

// The runtime finds this package by `storage.kind` (as an installed @palisade/storage-eventstore) and opens it from config.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

const runtimeFrom = async (storage: Record<string, unknown>) => {
  const config = parseConfig(JSON.stringify({ storage }), 'palisade.config.json');
  if (E.isLeft(config)) throw new Error(config.left.message);
  return createRuntime(config.right, { baseDir: packageDir })();
};

describe('storage.kind: eventstore through createRuntime', () => {
  it('loads the plugin by kind and reports an unreachable server as retryable, without the credentials', async () => {
    const runtime = await runtimeFrom({
      kind: 'eventstore',
      connection_string: 'esdb://palisade:hunter2@127.0.0.1:9?tls=false&defaultDeadline=2000&maxDiscoverAttempts=1',
    });
    expect(E.isLeft(runtime) && runtime.left).toMatchObject({ _tag: 'StorageUnavailable', retryable: true });
    expect(JSON.stringify(runtime)).not.toContain('hunter2');
  }, 20_000);

  it('refuses a wrong option with its config path', async () => {
    const runtime = await runtimeFrom({
      kind: 'eventstore',
      connection_string: 'esdb://127.0.0.1:9',
      read_batch_size: 0,
    });
    expect(E.isLeft(runtime) && runtime.left).toMatchObject({
      _tag: 'ConfigInvalid',
      issues: [expect.objectContaining({ path: 'storage.read_batch_size' })],
    });
  });
});
