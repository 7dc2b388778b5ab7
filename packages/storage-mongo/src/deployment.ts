import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { storageUnavailable, type StorageUnavailable } from '@palisade/core';
import { ADAPTER } from './errors.js';

/*
 * Appends write several documents (the events, the stream head, the tenant's
 * position counter) that must commit together, so they run in a multi-document
 * transaction, which MongoDB offers on replica sets and sharded clusters only.
 * A standalone server is refused when the adapter opens, with the one-line fix,
 * rather than failing on the first append.
 */

const Hello = t.partial({ setName: t.string, msg: t.string, maxWireVersion: t.number });

export type Deployment = 'replica-set' | 'sharded';

/** Transactions need wire version 8 (MongoDB 4.2) on sharded clusters; we ask 4.2+ everywhere. */
const MIN_WIRE_VERSION = 8;

export const STANDALONE_HINT =
  'the server is a standalone mongod; Palisade needs a replica set or a sharded cluster for transactional appends ' +
  "(a one-node replica set is enough: start mongod with '--replSet rs0' and run rs.initiate() once)";

/** Reads the `hello` reply of the server the adapter connected to. */
export const classifyDeployment = (hello: unknown): E.Either<StorageUnavailable, Deployment> => {
  const decoded = Hello.decode(hello);
  if (E.isLeft(decoded)) return E.left(storageUnavailable(ADAPTER, 'the server sent an unreadable hello reply', false));
  const { setName, msg, maxWireVersion } = decoded.right;
  if (maxWireVersion !== undefined && maxWireVersion < MIN_WIRE_VERSION) {
    return E.left(storageUnavailable(ADAPTER, 'the server is older than MongoDB 4.2, which transactions need', false));
  }
  if (msg === 'isdbgrid') return E.right('sharded');
  if (setName !== undefined) return E.right('replica-set');
  return E.left(storageUnavailable(ADAPTER, STANDALONE_HINT, false));
};
