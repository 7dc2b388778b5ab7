import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import {
  notFound,
  secretBackendFailed,
  selectObjectField,
  type SecretBackend,
  type SecretBackendFailed,
  type SecretLookup,
  type SecretRef,
} from '@palisade/core';
import { createTokenSource, failureOf, type TokenSource, type VaultAuth } from './auth.js';
import { vaultRequest, type VaultEndpoint } from './http.js';

export interface VaultSecretsOptions {
  /** e.g. `https://vault.internal:8200`. */
  readonly address: string;
  readonly auth: VaultAuth;
  /** Vault Enterprise / HCP namespace, sent as X-Vault-Namespace. */
  readonly namespace?: string;
  /** Where the KV v2 engine is mounted. Default `secret`. */
  readonly mount?: string;
  /** The field read when a reference names none (`db/password` reads field `value`). Default `value`. */
  readonly defaultField?: string;
  readonly requestTimeoutMs?: number;
  /** Renew the token when this share of its lease has passed. Default 2/3. */
  readonly renewAfterFraction?: number;
  /** Keep the token alive with an (unref'd) timer between lookups. Default true. */
  readonly backgroundRenewal?: boolean;
  readonly name?: string;
  /** The clock; tests move it to cross TTLs. */
  readonly now?: () => number;
}

export interface VaultSecretBackend extends SecretBackend {
  /** Logins and renewals so far: for tests and metrics. */
  readonly authStats: { readonly logins: number; readonly renewals: number };
}

const KvReadResponse = t.type({
  data: t.type({
    data: t.union([t.UnknownRecord, t.null]),
    metadata: t.type({ version: t.number, deletion_time: t.string, destroyed: t.boolean }),
  }),
});

const VERSION = /^[1-9][0-9]{0,9}$/;

const hasErrors = (body: unknown): boolean => {
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  return Array.isArray(errors) && errors.length > 0;
};

/**
 * Secrets from Vault's KV version 2 engine. A reference `db/creds#password`
 * reads field `password` of `<mount>/data/db/creds`; `db/creds@3#password`
 * reads version 3. The version reported is Vault's version number. Deleted
 * and destroyed versions are "not found".
 */
export const createVaultSecrets = (options: VaultSecretsOptions): VaultSecretBackend => {
  const name = options.name ?? 'vault';
  const mount = (options.mount ?? 'secret').replace(/^\/+|\/+$/g, '');
  const defaultField = options.defaultField ?? 'value';
  const endpoint: VaultEndpoint = {
    address: options.address,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  };
  const tokens: TokenSource = createTokenSource({
    endpoint,
    auth: options.auth,
    now: options.now ?? Date.now,
    renewAfterFraction: options.renewAfterFraction ?? 2 / 3,
    backgroundRenewal: options.backgroundRenewal ?? true,
  });
  const fail = (
    ref: SecretRef,
    reason: SecretBackendFailed['reason'],
    what: string,
  ): E.Either<SecretBackendFailed, SecretLookup> => E.left(secretBackendFailed(name, ref.name, reason, what));

  const read = async (ref: SecretRef, retried: boolean): Promise<E.Either<SecretBackendFailed, SecretLookup>> => {
    const token = await tokens.token();
    if (E.isLeft(token)) return fail(ref, token.left.reason, token.left.what);
    const path = `${mount}/data/${ref.name.split('/').map(encodeURIComponent).join('/')}${ref.version !== undefined ? `?version=${ref.version}` : ''}`;
    const r = await vaultRequest(endpoint, 'GET', path, { token: token.right });
    if (r.ok && r.status === 404) {
      // A missing secret is 404 with an empty error list (or a deleted version's metadata); a 404 that carries
      // errors ("no handler for route") means the mount is wrong, and must not read as "not found" and fall through.
      return hasErrors(r.body)
        ? fail(ref, 'misconfigured', `Vault has no route at '${mount}/data/': is the KV v2 engine mounted there?`)
        : E.right(notFound);
    }
    // A revoked or expired token: log in again once, where the auth method can.
    if (r.ok && r.status === 403 && !retried && tokens.refused()) return read(ref, true);
    const failure = failureOf(r, 'read');
    if (failure !== undefined) return fail(ref, failure.reason, failure.what);
    const body = KvReadResponse.decode((r as { body: unknown }).body);
    if (E.isLeft(body))
      return fail(
        ref,
        'malformed',
        'the KV v2 read answered without data.data and data.metadata (is the mount KV version 1?)',
      );
    const { data, metadata } = body.right.data;
    if (data === null || metadata.destroyed || metadata.deletion_time !== '') return E.right(notFound);
    return selectObjectField(name, ref, data, String(metadata.version), ref.field ?? defaultField);
  };

  return {
    name,
    lookup:
      (ref: SecretRef): TE.TaskEither<SecretBackendFailed, SecretLookup> =>
      () =>
        ref.version !== undefined && !VERSION.test(ref.version)
          ? Promise.resolve(fail(ref, 'unsupported', 'Vault KV versions are positive integers'))
          : read(ref, false),
    close: () => {
      tokens.close();
      return Promise.resolve();
    },
    get authStats() {
      return { logins: tokens.stats.logins, renewals: tokens.stats.renewals };
    },
  };
};
