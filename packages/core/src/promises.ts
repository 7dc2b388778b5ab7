import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { PalisadeFailure, type PalisadeError } from './errors.js';
import type { TenantEventStore } from './event-store.js';
import type { Subscription, SubscriptionOptions } from './subscription.js';

/** Runs a TaskEither and returns its value, or throws `PalisadeFailure` carrying the tagged error. */
export const unwrap = async <A>(task: TE.TaskEither<PalisadeError, A>): Promise<A> => {
  const result = await task();
  if (E.isLeft(result)) throw new PalisadeFailure(result.left);
  return result.right;
};

type Promised<F> = F extends (...args: infer A) => TE.TaskEither<PalisadeError, infer R>
  ? (...args: A) => Promise<R>
  : never;

export interface TenantEventStoreAsync {
  readonly tenant: TenantEventStore['tenant'];
  readonly appendToStream: Promised<TenantEventStore['appendToStream']>;
  readonly readStream: Promised<TenantEventStore['readStream']>;
  readonly readLog: Promised<TenantEventStore['readLog']>;
  readonly streamVersion: Promised<TenantEventStore['streamVersion']>;
  readonly streamExists: Promised<TenantEventStore['streamExists']>;
  readonly listStreams: Promised<TenantEventStore['listStreams']>;
  subscribe(options: SubscriptionOptions): Subscription;
}

/**
 * The same tenant scope with Promises for callers who do not use fp-ts. Failures
 * reject with `PalisadeFailure`, whose `error` is the same tagged value.
 */
export const asPromises = (scope: TenantEventStore): TenantEventStoreAsync => ({
  tenant: scope.tenant,
  appendToStream: (...args) => unwrap(scope.appendToStream(...args)),
  readStream: (...args) => unwrap(scope.readStream(...args)),
  readLog: (...args) => unwrap(scope.readLog(...args)),
  streamVersion: (...args) => unwrap(scope.streamVersion(...args)),
  streamExists: (...args) => unwrap(scope.streamExists(...args)),
  listStreams: (...args) => unwrap(scope.listStreams(...args)),
  subscribe: (options) => {
    const result = scope.subscribe(options);
    if (E.isLeft(result)) throw new PalisadeFailure(result.left);
    return result.right;
  },
});
