import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { EventStore, TenantId, type NewEventInput, type StorageAdapter, type TenantEventStore } from '@palisade/core';

/** A 1 KiB event: JSON data of about 1,000 bytes, realistic shape (ids, text, numbers). */
export const oneKiBEvent = (i: number): NewEventInput => ({
  type: 'ToolCallCompleted',
  data: {
    call: randomUUID(),
    node: `step-${i % 17}`,
    tokens: { prompt: 512 + (i % 100), completion: 128 },
    summary: 'The agent looked up the order, checked the stock level and drafted a reply to the customer. '.repeat(9),
  },
  metadata: { correlationId: randomUUID(), actor: 'agent:triage' },
});

export const scopeOf = (adapter: StorageAdapter, tenant = 'bench'): { store: EventStore; scope: TenantEventStore } => {
  const id = TenantId.decode(tenant);
  if (E.isLeft(id)) throw new Error('bad tenant');
  const store = new EventStore(adapter);
  return { store, scope: store.forTenant(id.right) };
};

const must = async <A>(task: () => Promise<E.Either<{ message: string }, A>>): Promise<A> => {
  const r = await task();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** Appends `appends` batches of `batch` events to fresh streams; returns events per second. */
export const appendRate = async (
  scope: TenantEventStore,
  appends: number,
  batch: number,
  prefix: string,
): Promise<number> => {
  const batches = Array.from({ length: appends }, (_, a) =>
    Array.from({ length: batch }, (_, i) => oneKiBEvent(a * batch + i)),
  );
  const started = process.hrtime.bigint();
  for (let a = 0; a < appends; a++) {
    await must(scope.appendToStream(`${prefix}-${a % 50}`, batches[a]!));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (appends * batch) / seconds;
};

/**
 * A subscription catching up on the whole tenant log from the beginning (no
 * checkpoint), timed until it has handled `total` events; returns events per second.
 */
export const catchUpRate = async (scope: TenantEventStore, total: number, batchSize = 1000): Promise<number> => {
  let seen = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = process.hrtime.bigint();
  const subscription = scope.subscribe({
    batchSize,
    handler: () => {
      seen += 1;
      if (seen === total) finish();
    },
  });
  if (E.isLeft(subscription)) throw new Error(subscription.left.message);
  const ended = subscription.right.done.then((end) => {
    if (E.isLeft(end)) throw new Error(end.left.message);
  });
  await Promise.race([finished, ended]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await subscription.right.stop();
  return total / seconds;
};

/** Reads the whole tenant log in pages; returns events per second. */
export const readRate = async (
  scope: TenantEventStore,
  page = 1000,
): Promise<{ perSecond: number; events: number }> => {
  let after = 0;
  let events = 0;
  const started = process.hrtime.bigint();
  for (;;) {
    const result = await must(scope.readLog({ after, limit: page }));
    events += result.events.length;
    if (!result.more) break;
    after = result.next;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: events / seconds, events };
};
