import * as E from 'fp-ts/lib/Either.js';
import type { AuditSection, ConfigInvalid } from '@palisade/core';
import { createAuditor, type Auditor, type AuditorOptions } from './auditor.js';
import { dataPolicyFrom } from './data-policy.js';
import { loadSigner, type AuditSigner } from './signing.js';

/**
 * Builds the auditor from the `audit` config section (its secret references
 * already resolved). Right(null) when the section is absent or disabled.
 */
export const auditorFromConfig = (
  section: AuditSection | undefined,
  extra: Pick<AuditorOptions, 'now' | 'viewStored'> = {},
): E.Either<ConfigInvalid, { readonly auditor: Auditor; readonly signer: AuditSigner | undefined } | null> => {
  if (section === undefined || section.enabled === false) return E.right(null);
  const policy = dataPolicyFrom(section.data_policy);
  if (E.isLeft(policy)) return policy;
  const signer =
    section.signing === undefined ? E.right(undefined) : loadSigner(section.signing.key_id, section.signing.key);
  if (E.isLeft(signer)) return signer;
  const auditor = createAuditor({
    dataPolicy: policy.right,
    ...(signer.right !== undefined ? { signer: signer.right } : {}),
    ...(section.checkpoint_every !== undefined ? { checkpointEvery: section.checkpoint_every } : {}),
    ...(section.checkpoint_interval_ms !== undefined ? { checkpointIntervalMs: section.checkpoint_interval_ms } : {}),
    ...extra,
  });
  return E.right({ auditor, signer: signer.right });
};
