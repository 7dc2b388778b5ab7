import * as t from 'io-ts';
import { NonNegativeInt, strict } from '../codecs.js';

/** One backend: `kind` picks the plugin, `name` (default: the kind) names it in errors, the rest are the plugin's options. */
export const SecretBackendSection = t.intersection(
  [t.type({ kind: t.string }), t.partial({ name: t.string }), t.UnknownRecord],
  'SecretBackendConfig',
);
export type SecretBackendSection = t.TypeOf<typeof SecretBackendSection>;

export const SecretsSection = strict(
  {},
  {
    /** In priority order: the first backend that has a secret answers. */
    backends: t.array(SecretBackendSection),
    cache: strict({}, { ttl_ms: NonNegativeInt, stale_if_error_ms: NonNegativeInt }, 'SecretCacheConfig'),
    /** Ask the next backend when one fails. Default false: a failure fails the lookup. */
    fall_through_on_error: t.boolean,
  },
  'SecretsConfig',
);
export type SecretsSection = t.TypeOf<typeof SecretsSection>;
