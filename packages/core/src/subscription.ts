import * as E from 'fp-ts/lib/Either.js';
import { decodeWith } from './decode.js';
import type { RecordedEvent } from './event.js';
import {
  invalidAt,
  subscriptionFailed,
  type InvalidInput,
  type StorageUnavailable,
  type SubscriptionFailed,
  type Closed,
} from './errors.js';
import { SubscriberId } from './ids.js';
import type { StorageAdapter, TenantStorage } from './ports.js';

export interface SubscriptionOptions {
  /**
   * Names a durable checkpoint for this (subscriber, tenant). The subscription
   * resumes after it, and saves it after each handled batch. Without a name the
   * subscription keeps no checkpoint.
   */
  readonly subscriber?: string;
  /** Where to start when there is no checkpoint: after this position. Default 0, the beginning. */
  readonly from?: number;
  /** Called for each event in position order; a rejection stops the subscription, keeping the last checkpoint. */
  readonly handler: (event: RecordedEvent) => void | Promise<void>;
  /** Events read per page. Default 500. */
  readonly batchSize?: number;
}

export type SubscriptionEnd = E.Either<SubscriptionFailed | StorageUnavailable | Closed, void>;

export interface Subscription {
  /** Settles when the subscription ends: Right after `stop()`, Left when it failed. */
  readonly done: Promise<SubscriptionEnd>;
  /** The position of the last event handled. */
  readonly position: () => number;
  /** Stops after the event being handled, if any, and saves the checkpoint. */
  stop(): Promise<void>;
}

const decodeSubscriber = decodeWith(SubscriberId, 'options.subscriber');

export const startSubscription = (
  scope: TenantStorage,
  storage: StorageAdapter,
  options: SubscriptionOptions,
  pollIntervalMs: number,
): E.Either<InvalidInput, Subscription> => {
  const subscriber = options.subscriber === undefined ? E.right(undefined) : decodeSubscriber(options.subscriber);
  if (E.isLeft(subscriber)) return subscriber;
  const from = options.from ?? 0;
  if (!Number.isSafeInteger(from) || from < 0)
    return E.left(invalidAt('options.from', 'must be a non-negative integer'));
  const batchSize = options.batchSize ?? 500;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    return E.left(invalidAt('options.batchSize', 'must be an integer from 1 to 10000'));
  }
  const name = subscriber.right;

  let stopped = false;
  let position = from;
  let wake: (() => void) | undefined;
  let pending = false;
  const unlisten = storage.onAppend(scope.tenant, () => {
    pending = true;
    wake?.();
  });
  const sleep = (): Promise<void> =>
    new Promise((resolve) => {
      if (pending || stopped) return resolve();
      const timer = setTimeout(done, pollIntervalMs);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const run = async (): Promise<SubscriptionEnd> => {
    if (name !== undefined) {
      const saved = await scope.loadCheckpoint(name)();
      if (E.isLeft(saved)) return saved;
      if (saved.right !== null) position = saved.right;
      lastSaved = position;
    }
    while (!stopped) {
      pending = false;
      const page = await scope.readLog({ after: position, limit: batchSize })();
      if (E.isLeft(page)) return page;
      let handled = 0;
      for (const event of page.right) {
        if (stopped) break;
        try {
          await options.handler(event);
        } catch (e) {
          const saved = await save();
          if (E.isLeft(saved)) return saved;
          return E.left(
            subscriptionFailed(
              name ?? 'anonymous',
              `handler failed at position ${event.position}: ${e instanceof Error ? e.name : 'error'}`,
            ),
          );
        }
        position = event.position;
        handled++;
      }
      if (handled > 0) {
        const saved = await save();
        if (E.isLeft(saved)) return saved;
      }
      if (page.right.length < batchSize) await sleep();
    }
    return E.right(undefined);
  };
  let lastSaved = position;
  const save = async (): Promise<E.Either<StorageUnavailable | Closed, void>> => {
    if (name === undefined || position === lastSaved) return E.right(undefined);
    const result = await scope.saveCheckpoint(name, position)();
    if (E.isRight(result)) lastSaved = position;
    return result;
  };

  const done = run().then(
    (end) => {
      unlisten();
      return end;
    },
    (e: unknown) => {
      unlisten();
      throw e;
    },
  );
  return E.right({
    done,
    position: () => position,
    stop: async () => {
      stopped = true;
      wake?.();
      await done;
    },
  });
};
