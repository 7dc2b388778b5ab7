// One of the "two processes appending to one file" writers; prints its own rate.
import * as E from 'fp-ts/lib/Either.js';
import { createSqliteStorage } from '@palisade/storage-sqlite';
import { appendRate, scopeOf } from './workload.js';

const [path, appends, batch, name] = process.argv.slice(2);
const adapter = createSqliteStorage({ path: path! });
if (E.isLeft(adapter)) throw new Error(adapter.left.message);
const { store, scope } = scopeOf(adapter.right);
const rate = await appendRate(scope, Number(appends), Number(batch), name!);
process.stdout.write(JSON.stringify({ rate }) + '\n');
await store.close();
