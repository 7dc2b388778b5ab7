import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { storageUnavailable, type StorageUnavailable } from '@palisade/core';
import { ADAPTER } from './errors.js';

/*
 * Appends need no multi-document transaction (each append is one document), so
 * every deployment stores events the same way. What differs is live wake-ups:
 * change streams exist on replica sets and sharded clusters only; on a
 * standalone server subscribers rely on polling alone.
 */

const Hello = t.partial({ setName: t.string, msg: t.string, maxWireVersion: t.number });

export type Deployment = 'standalone' | 'replica-set' | 'sharded';

/** Wire version 8 is MongoDB 4.2, the oldest release this adapter is designed against. */
const MIN_WIRE_VERSION = 8;

/** Reads the `hello` reply of the server the adapter connected to. */
export const classifyDeployment = (hello: unknown): E.Either<StorageUnavailable, Deployment> => {
  const decoded = Hello.decode(hello);
  if (E.isLeft(decoded)) return E.left(storageUnavailable(ADAPTER, 'the server sent an unreadable hello reply', false));
  const { setName, msg, maxWireVersion } = decoded.right;
  if (maxWireVersion !== undefined && maxWireVersion < MIN_WIRE_VERSION) {
    return E.left(storageUnavailable(ADAPTER, 'the server is older than MongoDB 4.2', false));
  }
  if (msg === 'isdbgrid') return E.right('sharded');
  return E.right(setName !== undefined ? 'replica-set' : 'standalone');
};

/** Whether the deployment offers change streams. */
export const hasChangeStreams = (deployment: Deployment): boolean => deployment !== 'standalone';
