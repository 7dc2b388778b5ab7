import { describeDriverError, storageUnavailable, type StorageUnavailable } from '@palisade/core';
import { ADAPTER } from './envelope.js';

/*
 * The client's errors carry a `type` (its ErrorType enum, plain strings).
 * Classified here, without a server, into what the adapter does next. The
 * client's messages (stream names, hosts) are never copied into ours.
 */

export type ErrorKind = 'conflict' | 'not-found' | 'deleted' | 'transient' | 'too-large' | 'fatal';

const TRANSIENT = new Set(['timeout', 'deadline-exceeded', 'unavailable', 'cancelled', 'not-leader']);

export const classifyError = (e: unknown): ErrorKind => {
  const type = typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined;
  switch (type) {
    case 'wrong-expected-version':
      return 'conflict';
    case 'stream-not-found':
    case 'no-stream':
      return 'not-found';
    case 'stream-deleted':
      return 'deleted';
    case 'maximum-append-size-exceeded':
      return 'too-large';
    default:
      return typeof type === 'string' && TRANSIENT.has(type) ? 'transient' : 'fatal';
  }
};

export const mapDriverError = (what: string, e: unknown): StorageUnavailable => {
  const kind = classifyError(e);
  if (kind === 'too-large') {
    return storageUnavailable(
      ADAPTER,
      `could not ${what}: the batch exceeds the server's maximum append size (MaxAppendSize)`,
      false,
    );
  }
  const type = typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined;
  const detail = typeof type === 'string' ? type : describeDriverError(e);
  return storageUnavailable(ADAPTER, `could not ${what} (${detail})`, kind === 'transient');
};
