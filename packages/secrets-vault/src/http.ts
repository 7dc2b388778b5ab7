import { describeDriverError } from '@palisade/core';

export interface VaultEndpoint {
  /** e.g. `https://vault.internal:8200` */
  readonly address: string;
  /** Sent as X-Vault-Namespace (Vault Enterprise / HCP); omitted when unset. */
  readonly namespace?: string;
  readonly requestTimeoutMs: number;
}

export type VaultResponse =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  /** The request never got an HTTP answer: refused, reset, timed out. `what` names the error class only. */
  | { readonly ok: false; readonly what: string };

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One call to Vault's HTTP API. The token travels only in the X-Vault-Token
 * header; nothing here logs, and failures are reduced to an error class so a
 * token or a value can never end up in a message.
 */
export const vaultRequest = async (
  endpoint: VaultEndpoint,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { readonly token?: string; readonly body?: unknown } = {},
): Promise<VaultResponse> => {
  const headers: Record<string, string> = { 'X-Vault-Request': 'true' };
  if (options.token !== undefined) headers['X-Vault-Token'] = options.token;
  if (endpoint.namespace !== undefined) headers['X-Vault-Namespace'] = endpoint.namespace;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${endpoint.address.replace(/\/+$/, '')}/v1/${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(endpoint.requestTimeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return { ok: false, what: cause !== undefined ? describeDriverError(cause) : describeDriverError(e) };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    return { ok: false, what: `reading the response failed (${describeDriverError(e)})` };
  }
  if (text.length > MAX_BODY_BYTES) return { ok: true, status: response.status, body: undefined };
  if (text.length === 0) return { ok: true, status: response.status, body: undefined };
  try {
    return { ok: true, status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: true, status: response.status, body: undefined };
  }
};
