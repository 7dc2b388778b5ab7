import { readFile } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describeDriverError, type SecretFailureReason } from '@palisade/core';
import { vaultRequest, type VaultEndpoint, type VaultResponse } from './http.js';

export type VaultAuth =
  | { readonly method: 'token'; readonly token: string }
  | { readonly method: 'approle'; readonly roleId: string; readonly secretId: string; readonly mount?: string }
  | {
      readonly method: 'kubernetes';
      readonly role: string;
      /** The service account token file; default the path Kubernetes mounts it at. */
      readonly jwtPath?: string;
      readonly mount?: string;
    };

/** Bounds on the wait before retrying a failed background renewal. */
const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;
/** The least time between two new logins forced by a read that Vault refused with 403. */
const RELOGIN_AFTER_REFUSAL_MS = 30_000;
/** The longest delay setTimeout takes (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const DEFAULT_KUBERNETES_JWT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface AuthFailure {
  readonly reason: SecretFailureReason;
  readonly what: string;
}

interface TokenState {
  readonly token: string;
  /** Infinity for tokens without a TTL (root, or `ttl: 0`). */
  readonly expiresAt: number;
  readonly renewAt: number;
  readonly renewable: boolean;
  /** The lease the token was issued with, to tell a renewal capped by max TTL. */
  readonly issuedLeaseMs: number;
}

// Only the fields we use; Vault adds more. The token itself is never put in an error.
const AuthBlock = t.type({ client_token: t.string, lease_duration: t.number, renewable: t.boolean });
const LoginResponse = t.type({ auth: AuthBlock });
const LookupSelfResponse = t.type({ data: t.type({ ttl: t.number, renewable: t.boolean }) });

export interface TokenSourceOptions {
  readonly endpoint: VaultEndpoint;
  readonly auth: VaultAuth;
  readonly now: () => number;
  /** Renew when this share of the lease has passed. Default 2/3. */
  readonly renewAfterFraction: number;
  /** Keep the token alive with a timer even when no lookup happens. Default true. */
  readonly backgroundRenewal: boolean;
}

export interface TokenSource {
  /** A token valid now: logs in, renews or re-logs in as needed. */
  token(): Promise<E.Either<AuthFailure, string>>;
  /**
   * The token was refused: forget it so the next call logs in again, when the method can and no such login happened
   * in the last 30 s. False when it will not log in again.
   */
  refused(): boolean;
  close(): void;
  readonly stats: { logins: number; renewals: number };
}

/**
 * Holds the Vault token. Renews it (auth/token/renew-self) once
 * `renewAfterFraction` of its lease has passed; when the renewal comes back
 * capped by the max TTL, or fails, AppRole and Kubernetes auth log in again.
 * A static token that can no longer be renewed is used until it expires.
 */
export const createTokenSource = (options: TokenSourceOptions): TokenSource => {
  const { endpoint, auth, now } = options;
  const canLogin = auth.method !== 'token';
  let state: TokenState | undefined;
  let pending: Promise<E.Either<AuthFailure, string>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastForcedLogin: number | undefined;
  const stats = { logins: 0, renewals: 0 };

  const stateFrom = (token: string, leaseSeconds: number, renewable: boolean): TokenState => {
    const at = now();
    const leaseMs = leaseSeconds * 1000;
    return leaseSeconds <= 0
      ? { token, expiresAt: Infinity, renewAt: Infinity, renewable, issuedLeaseMs: Infinity }
      : {
          token,
          expiresAt: at + leaseMs,
          renewAt: at + leaseMs * options.renewAfterFraction,
          renewable,
          issuedLeaseMs: leaseMs,
        };
  };

  /** Arms the one renewal timer; a delay past setTimeout's limit fires at the limit and re-arms. */
  const arm = (delayMs: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(onTimer, Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
    timer.unref();
  };

  const onTimer = (): void => {
    timer = undefined;
    void token();
  };

  const schedule = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!options.backgroundRenewal || closed || state === undefined || !Number.isFinite(state.renewAt)) return;
    arm(state.renewAt - now());
  };

  /**
   * After a failed renewal or login the token in hand may still be valid for a
   * while: try again soon, well before it expires, instead of letting an idle
   * backend's token lapse because one request failed.
   */
  const scheduleRetry = (current: TokenState): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!options.backgroundRenewal || closed || !Number.isFinite(current.expiresAt)) return;
    const left = current.expiresAt - now();
    if (left <= 0) return;
    arm(Math.max(MIN_RETRY_MS, Math.min(MAX_RETRY_MS, left / 4)));
  };

  const login = async (): Promise<E.Either<AuthFailure, TokenState>> => {
    if (auth.method === 'token') {
      const r = await vaultRequest(endpoint, 'GET', 'auth/token/lookup-self', { token: auth.token });
      const failure = failureOf(r, 'token lookup');
      if (failure !== undefined) return E.left(failure);
      const body = LookupSelfResponse.decode((r as { body: unknown }).body);
      if (E.isLeft(body))
        return E.left({ reason: 'malformed', what: 'token lookup answered without data.ttl/renewable' });
      return E.right(stateFrom(auth.token, body.right.data.ttl, body.right.data.renewable));
    }
    let path: string;
    let payload: Record<string, string>;
    if (auth.method === 'approle') {
      path = `auth/${auth.mount ?? 'approle'}/login`;
      payload = { role_id: auth.roleId, secret_id: auth.secretId };
    } else {
      let jwt: string;
      try {
        jwt = (await readFile(auth.jwtPath ?? DEFAULT_KUBERNETES_JWT_PATH, 'utf8')).trim();
      } catch (e) {
        return E.left({
          reason: 'misconfigured',
          what: `the service account token file cannot be read (${describeDriverError(e)})`,
        });
      }
      path = `auth/${auth.mount ?? 'kubernetes'}/login`;
      payload = { role: auth.role, jwt };
    }
    const r = await vaultRequest(endpoint, 'POST', path, { body: payload });
    // Vault answers a wrong role or secret id with 400: for a login that is a refusal.
    const failure = failureOf(r, `${auth.method} login`, true);
    if (failure !== undefined) return E.left(failure);
    const body = LoginResponse.decode((r as { body: unknown }).body);
    if (E.isLeft(body))
      return E.left({ reason: 'malformed', what: `${auth.method} login answered without auth.client_token` });
    stats.logins++;
    return E.right(stateFrom(body.right.auth.client_token, body.right.auth.lease_duration, body.right.auth.renewable));
  };

  const renew = async (current: TokenState): Promise<E.Either<AuthFailure, TokenState>> => {
    const r = await vaultRequest(endpoint, 'POST', 'auth/token/renew-self', { token: current.token, body: {} });
    const failure = failureOf(r, 'token renewal');
    if (failure !== undefined) return E.left(failure);
    const body = LoginResponse.decode((r as { body: unknown }).body);
    if (E.isLeft(body))
      return E.left({ reason: 'malformed', what: 'token renewal answered without auth.lease_duration' });
    stats.renewals++;
    return E.right(stateFrom(current.token, body.right.auth.lease_duration, body.right.auth.renewable));
  };

  const refresh = async (): Promise<E.Either<AuthFailure, string>> => {
    const current = state;
    const at = now();
    if (current !== undefined && at < current.renewAt) {
      // Nothing to renew yet. From the timer, that means it fired a little early (timers may, by a fraction of a
      // millisecond) or at MAX_TIMER_MS: set it again, or background renewal would stop here.
      if (timer === undefined) schedule();
      return E.right(current.token);
    }
    if (current === undefined) {
      const fresh = await login();
      if (E.isLeft(fresh)) return fresh;
      state = fresh.right;
      schedule();
      return E.right(state.token);
    }
    let renewFailure: AuthFailure | undefined;
    if (current.renewable) {
      const renewed = await renew(current);
      if (E.isLeft(renewed)) renewFailure = renewed.left;
      // Vault caps a renewal at the token's max TTL: a lease much shorter than the one issued means the cap is near.
      const capped =
        E.isRight(renewed) && renewed.right.expiresAt - at < current.issuedLeaseMs * (1 - options.renewAfterFraction);
      if (E.isRight(renewed) && !(capped && canLogin)) {
        state = renewed.right;
        schedule();
        return E.right(state.token);
      }
    }
    if (canLogin) {
      const fresh = await login();
      if (E.isLeft(fresh)) {
        // The token in hand still works until it expires: keep reading with it, and try again soon if Vault could
        // not answer (a refusal will not change by asking again).
        if (fresh.left.reason === 'unreachable') scheduleRetry(current);
        return at < current.expiresAt ? E.right(current.token) : fresh;
      }
      state = fresh.right;
      schedule();
      return E.right(state.token);
    }
    // A static token: the renewal could not reach Vault (try again soon), was refused, or is not possible.
    if (renewFailure?.reason === 'unreachable') scheduleRetry(current);
    if (at < current.expiresAt) return E.right(current.token);
    return E.left({ reason: 'denied', what: 'the Vault token has expired and cannot be renewed' });
  };

  const token = (): Promise<E.Either<AuthFailure, string>> => {
    if (closed) return Promise.resolve(E.left({ reason: 'closed', what: 'the Vault backend is closed' }));
    pending ??= refresh().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  return {
    token,
    refused: () => {
      // A 403 is usually a policy that does not cover the path, not a revoked token: log in again at most once per
      // RELOGIN_AFTER_REFUSAL_MS, or every read of such a path would mint a new token.
      if (!canLogin || (lastForcedLogin !== undefined && now() - lastForcedLogin < RELOGIN_AFTER_REFUSAL_MS)) {
        return false;
      }
      lastForcedLogin = now();
      state = undefined;
      return true;
    },
    close: () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    stats,
  };
};

/** Maps a Vault answer to a failure, or undefined for a 2xx. */
export const failureOf = (r: VaultResponse, doing: string, badRequestIsDenied = false): AuthFailure | undefined => {
  if (!r.ok) return { reason: 'unreachable', what: `${doing}: no answer from Vault (${r.what})` };
  if (r.status >= 200 && r.status < 300) return undefined;
  const reason = badRequestIsDenied && r.status === 400 ? 'denied' : reasonForStatus(r.status);
  return { reason, what: `${doing}: Vault answered HTTP ${r.status}` };
};

export const reasonForStatus = (status: number): SecretFailureReason =>
  status === 401 || status === 403 ? 'denied' : status === 429 || status >= 500 ? 'unreachable' : 'misconfigured';
