import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { EventStore, asPromises, createMemoryStorage, type JsonObject, type TenantId } from '@palisade/core';
import { AUDIT_STREAM, AuditEntryData } from './entry.js';
import { auditorFromConfig } from './from-config.js';

const auditedData = async (store: EventStore, tenant: string): Promise<JsonObject> => {
  // A literal id in a test; production code decodes ids with parseTenantId.
  const id = tenant as TenantId;
  const scope = asPromises(store.forTenant(id));
  await scope.appendToStream('run-1', [
    { type: 'ModelCalled', data: { prompt: 'hello', completion: 'hi', tokens: 3 } },
  ]);
  const [entry] = (await scope.readStream(AUDIT_STREAM)).map((e) => {
    const d = AuditEntryData.decode(e.data);
    if (E.isLeft(d)) throw new Error('not an entry');
    return d.right;
  });
  return (entry!.details['events'] as JsonObject[])[0]!['data'] as JsonObject;
};

describe('auditorFromConfig', () => {
  it("takes retain_prompts / retain_outputs from each tenant's data policy, then the default policy", async () => {
    const built = auditorFromConfig(
      { enabled: true },
      {},
      {
        data_policy: { retain_prompts: false },
        tenants: { globex: { data_policy: { retain_prompts: true, retain_outputs: false } } },
      },
    );
    if (E.isLeft(built) || built.right === null) throw new Error('no auditor');
    const store = new EventStore(createMemoryStorage(), { observer: built.right.auditor });

    // acme has no policy of its own: the default strips prompts and keeps outputs.
    expect(await auditedData(store, 'acme')).toEqual({ prompt: { $stripped: 'prompt' }, completion: 'hi', tokens: 3 });
    // globex's own policy keeps prompts and strips outputs.
    expect(await auditedData(store, 'globex')).toEqual({
      prompt: 'hello',
      completion: { $stripped: 'output' },
      tokens: 3,
    });
    await store.close();
  });
});
