import * as E from 'fp-ts/lib/Either.js';
import { invalidAt, type InvalidInput } from '../errors.js';

/**
 * A reference to a secret, written `name`, `name#field` or `name@version#field`
 * (in config: `${secret:db/password}`, `${secret:db/creds#password}`,
 * `${secret:db/creds@AWSPREVIOUS#password}`).
 *
 * - `name` is a slash-separated path of `[A-Za-z0-9_.-]` segments; `.` and `..`
 *   segments are refused, so a name can never walk out of a file backend's directory.
 * - `field` picks one key of a JSON object secret (a Vault KV field, a key of an AWS JSON secret).
 * - `version` asks for one version: a Vault version number, an AWS version stage or id.
 */
export interface SecretRef {
  readonly name: string;
  readonly field?: string;
  readonly version?: string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TOKEN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const MAX_LENGTH = 512;

export const parseSecretRef = (text: string): E.Either<InvalidInput, SecretRef> => {
  if (text.length === 0 || text.length > MAX_LENGTH) {
    return E.left(invalidAt('secret', `a secret reference must be 1 to ${MAX_LENGTH} characters`));
  }
  const hash = text.indexOf('#');
  const beforeField = hash === -1 ? text : text.slice(0, hash);
  const field = hash === -1 ? undefined : text.slice(hash + 1);
  const at = beforeField.indexOf('@');
  const name = at === -1 ? beforeField : beforeField.slice(0, at);
  const version = at === -1 ? undefined : beforeField.slice(at + 1);
  const segments = name.split('/');
  if (!segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    return E.left(
      invalidAt(
        'secret',
        `'${describe(name)}' is not a valid secret name (slash-separated segments of letters, digits, '_', '.', '-')`,
      ),
    );
  }
  if (field !== undefined && !TOKEN.test(field)) {
    return E.left(invalidAt('secret', `the field after '#' in the reference to '${name}' is not valid`));
  }
  if (version !== undefined && !TOKEN.test(version)) {
    return E.left(invalidAt('secret', `the version after '@' in the reference to '${name}' is not valid`));
  }
  return E.right({
    name,
    ...(field !== undefined ? { field } : {}),
    ...(version !== undefined ? { version } : {}),
  });
};

/** The reference written back, as it appears in config and in error messages. */
export const formatSecretRef = (ref: SecretRef): string =>
  `${ref.name}${ref.version !== undefined ? `@${ref.version}` : ''}${ref.field !== undefined ? `#${ref.field}` : ''}`;

// Names are not secret, but a malformed one could be anything pasted by mistake: show a bounded, printable prefix.
const describe = (s: string): string => s.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
