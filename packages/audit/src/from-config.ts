import * as E from 'fp-ts/lib/Either.js';
import type { AuditSection, ConfigInvalid } from '@palisade/core';
import { createAuditor, type Auditor, type AuditorOptions } from './auditor.js';
import { dataPolicyFrom, type AuditDataPolicy } from './data-policy.js';
import { loadSigner, type AuditSigner } from './signing.js';

/**
 * Builds the auditor from the `audit` config section (its secret references
 * already resolved). Right(null) when the section is absent or disabled.
 */
export const auditorFromConfig = (
  section: AuditSection | undefined,
  extra: Pick<AuditorOptions, 'now' | 'viewStored'> = {},
  dataPolicies: DataPolicySections = {},
): E.Either<ConfigInvalid, { readonly auditor: Auditor; readonly signer: AuditSigner | undefined } | null> => {
  if (section === undefined || section.enabled === false) return E.right(null);
  const policy = dataPolicyFrom(section.data_policy);
  if (E.isLeft(policy)) return policy;
  const base = policy.right;
  const forTenant = new Map<string, AuditDataPolicy>();
  const signer =
    section.signing === undefined ? E.right(undefined) : loadSigner(section.signing.key_id, section.signing.key);
  if (E.isLeft(signer)) return signer;
  const auditor = createAuditor({
    dataPolicy: base,
    dataPolicyFor: (tenant) => {
      let p = forTenant.get(tenant);
      if (p === undefined) forTenant.set(tenant, (p = withRetainFlags(base, dataPolicies, tenant)));
      return p;
    },
    ...(signer.right !== undefined ? { signer: signer.right } : {}),
    ...(section.checkpoint_every !== undefined ? { checkpointEvery: section.checkpoint_every } : {}),
    ...(section.checkpoint_interval_ms !== undefined ? { checkpointIntervalMs: section.checkpoint_interval_ms } : {}),
    ...extra,
  });
  return E.right({ auditor, signer: signer.right });
};

/**
 * The data policy sections of the config (`data_policy`, `tenants.<id>.data_policy`),
 * held undecoded by core and decoded strictly by @palisade/redaction.
 */
export interface DataPolicySections {
  readonly data_policy?: Readonly<Record<string, unknown>>;
  readonly tenants?: Readonly<Record<string, unknown>>;
}

const flag = (policy: unknown, key: 'retain_prompts' | 'retain_outputs'): boolean | undefined => {
  if (typeof policy !== 'object' || policy === null) return undefined;
  const value = (policy as Record<string, unknown>)[key];
  return typeof value === 'boolean' ? value : undefined;
};

/**
 * A tenant's `retain_prompts` / `retain_outputs`, first found: its own data
 * policy, the default data policy, `audit.data_policy`, true.
 */
const withRetainFlags = (base: AuditDataPolicy, sections: DataPolicySections, tenant: string): AuditDataPolicy => {
  const own =
    sections.tenants !== undefined && Object.prototype.hasOwnProperty.call(sections.tenants, tenant)
      ? (sections.tenants[tenant] as { data_policy?: unknown } | undefined)?.data_policy
      : undefined;
  return {
    ...base,
    retainPrompts: flag(own, 'retain_prompts') ?? flag(sections.data_policy, 'retain_prompts') ?? base.retainPrompts,
    retainOutputs: flag(own, 'retain_outputs') ?? flag(sections.data_policy, 'retain_outputs') ?? base.retainOutputs,
  };
};
