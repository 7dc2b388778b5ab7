/*
 * One of the "two processes appending" writers: opens the shared storage through
 * its plugin (module and options as JSON arguments), appends, prints its rate.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { AnyStoragePlugin } from '@palisade/core';
import { appendRate, scopeOf } from './workload.js';

const [pluginModule, optionsJson, appends, batch, prefix, tenant] = process.argv.slice(2);
const { storagePlugin } = (await import(pluginModule!)) as { storagePlugin: AnyStoragePlugin };
const options = storagePlugin.options.decode(JSON.parse(optionsJson!));
if (E.isLeft(options)) throw new Error('writer: options do not decode');
const adapter = await storagePlugin.create(options.right, { baseDir: process.cwd() })();
if (E.isLeft(adapter)) throw new Error(adapter.left.message);
const { store, scope } = scopeOf(adapter.right, tenant ?? 'bench');
const rate = await appendRate(scope, Number(appends), Number(batch), prefix!);
process.stdout.write(JSON.stringify({ rate }) + '\n');
await store.close();
