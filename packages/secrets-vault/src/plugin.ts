import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PositiveInt, strict, type SecretBackendPlugin } from '@palisade/core';
import type { VaultAuth } from './auth.js';
import { createVaultSecrets } from './vault-backend.js';

const Fraction = t.refinement(t.number, (n) => n > 0 && n < 1, 'FractionBetween0And1');

const TokenAuth = strict({ method: t.literal('token'), token: t.string }, {}, 'VaultTokenAuth');
const AppRoleAuth = strict(
  { method: t.literal('approle'), role_id: t.string, secret_id: t.string },
  { mount: t.string },
  'VaultAppRoleAuth',
);
const KubernetesAuth = strict(
  { method: t.literal('kubernetes'), role: t.string },
  { jwt_path: t.string, mount: t.string },
  'VaultKubernetesAuth',
);

const VaultSecretsConfig = strict(
  { address: t.string, auth: t.union([TokenAuth, AppRoleAuth, KubernetesAuth]) },
  {
    namespace: t.string,
    mount: t.string,
    default_field: t.string,
    request_timeout_ms: PositiveInt,
    renew_after_fraction: Fraction,
    background_renewal: t.boolean,
  },
  'VaultSecretsOptions',
);
export type VaultSecretsConfig = t.TypeOf<typeof VaultSecretsConfig>;

const toAuth = (a: VaultSecretsConfig['auth']): VaultAuth => {
  switch (a.method) {
    case 'token':
      return { method: 'token', token: a.token };
    case 'approle':
      return {
        method: 'approle',
        roleId: a.role_id,
        secretId: a.secret_id,
        ...(a.mount !== undefined ? { mount: a.mount } : {}),
      };
    case 'kubernetes':
      return {
        method: 'kubernetes',
        role: a.role,
        ...(a.jwt_path !== undefined ? { jwtPath: a.jwt_path } : {}),
        ...(a.mount !== undefined ? { mount: a.mount } : {}),
      };
  }
};

/**
 * `secrets: { backends: [ { kind: vault, address: https://vault:8200, auth: { method: approle, role_id: ..., secret_id: ${VAULT_SECRET_ID} } } ] }`.
 * Give tokens and secret ids as `${ENV}` references, never inline.
 */
export const vaultSecretsPlugin: SecretBackendPlugin<VaultSecretsConfig> = {
  kind: 'vault',
  options: VaultSecretsConfig,
  create: (o, context) =>
    E.right(
      createVaultSecrets({
        name: context.name,
        address: o.address,
        auth: toAuth(o.auth),
        ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
        ...(o.mount !== undefined ? { mount: o.mount } : {}),
        ...(o.default_field !== undefined ? { defaultField: o.default_field } : {}),
        ...(o.request_timeout_ms !== undefined ? { requestTimeoutMs: o.request_timeout_ms } : {}),
        ...(o.renew_after_fraction !== undefined ? { renewAfterFraction: o.renew_after_fraction } : {}),
        ...(o.background_renewal !== undefined ? { backgroundRenewal: o.background_renewal } : {}),
      }),
    ),
};
