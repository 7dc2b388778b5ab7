import type * as E from 'fp-ts/lib/Either.js';
import { decodeWith } from './decode.js';
import type { InvalidInput } from './errors.js';
import { TenantId } from './ids.js';

/** Decodes a tenant id from untrusted input (a header, a CLI flag, a path segment). */
export const parseTenantId: (raw: unknown) => E.Either<InvalidInput, TenantId> = decodeWith(TenantId, 'tenant');
