import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PositiveInt, invalidAt, strict, type InvalidInput } from '@palisade/core';
import { NAMESPACE } from './stream-names.js';

export interface EventStoreStorageOptions {
  /**
   * An EventStoreDB / KurrentDB connection string: `esdb://host:2113?tls=false`,
   * or `esdb+discover://` for a cluster found through DNS gossip.
   */
  readonly connectionString: string;
  /** Attempts at an append that keeps losing the race for the tenant's log. Default 100. */
  readonly maxAppendAttempts?: number;
  /** Events read per request when reading the log to mirror it. Default 500. */
  readonly readBatchSize?: number;
  /** Wake subscribers on other processes' appends through a server subscription to the tenant's log. Default true. */
  readonly liveSubscriptions?: boolean;
  /** Keeps several deployments on one server apart: every stream name gets `<namespace>#` in front. Default none. */
  readonly namespace?: string;
}

export interface ResolvedOptions {
  readonly connectionString: string;
  readonly maxAppendAttempts: number;
  readonly readBatchSize: number;
  readonly liveSubscriptions: boolean;
  readonly namespace: string | null;
}

const SCHEME = /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//;

export const resolveOptions = (options: EventStoreStorageOptions): E.Either<InvalidInput, ResolvedOptions> => {
  if (!SCHEME.test(options.connectionString)) {
    return E.left(invalidAt('connection_string', 'must start with esdb:// or esdb+discover://'));
  }
  const batch = options.readBatchSize ?? 500;
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 10_000) {
    return E.left(invalidAt('read_batch_size', 'must be an integer from 1 to 10000'));
  }
  if (options.namespace !== undefined && !NAMESPACE.test(options.namespace)) {
    return E.left(
      invalidAt('namespace', 'must be 1 to 32 lower-case letters, digits or _, starting with a letter or digit'),
    );
  }
  return E.right({
    namespace: options.namespace ?? null,
    // The @eventstore/db-client parses esdb:// only; KurrentDB servers accept it too.
    connectionString: options.connectionString.replace(/^(kurrentdb|kdb)(\+discover)?:\/\//, 'esdb$2://'),
    maxAppendAttempts: options.maxAppendAttempts ?? 100,
    readBatchSize: batch,
    liveSubscriptions: options.liveSubscriptions ?? true,
  });
};

/** Plugin options, as written under `storage:` in palisade.yaml. */
export const EventStoreConfig = strict(
  { connection_string: t.string },
  {
    max_append_attempts: PositiveInt,
    read_batch_size: PositiveInt,
    live_subscriptions: t.boolean,
    namespace: t.string,
  },
  'EventStoreStorageOptions',
);
export type EventStoreConfig = t.TypeOf<typeof EventStoreConfig>;

export const fromConfig = (config: EventStoreConfig): EventStoreStorageOptions => ({
  connectionString: config.connection_string,
  ...(config.max_append_attempts !== undefined ? { maxAppendAttempts: config.max_append_attempts } : {}),
  ...(config.read_batch_size !== undefined ? { readBatchSize: config.read_batch_size } : {}),
  ...(config.live_subscriptions !== undefined ? { liveSubscriptions: config.live_subscriptions } : {}),
  ...(config.namespace !== undefined ? { namespace: config.namespace } : {}),
});

/** After losing the race for the log: how long to wait before the next attempt (jittered, growing, capped). */
export const backoffMs = (attempt: number, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(50, 2 * attempt));
