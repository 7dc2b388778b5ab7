import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnySecretBackendPlugin } from './port.js';

const KIND = /^[a-z][a-z0-9-]*$/;

/**
 * Loads the secret backend plugin `@palisade/secrets-<kind>` from the user's
 * project (resolved from `baseDir`, the config file's folder), so core depends
 * on no backend and a host installs only the backends it uses. The package must
 * export `secretBackendPlugin`. Returns undefined when it is not installed; the
 * loader then reports the kind as unknown, naming the package to install.
 */
export const installedSecretPlugin = async (
  kind: string,
  baseDir: string,
): Promise<AnySecretBackendPlugin | undefined> => {
  if (!KIND.test(kind)) return undefined;
  let entry: string;
  try {
    entry = createRequire(join(baseDir, 'noop.js')).resolve(`@palisade/secrets-${kind}`);
  } catch {
    return undefined;
  }
  const mod = (await import(pathToFileURL(entry).href)) as { secretBackendPlugin?: AnySecretBackendPlugin };
  return mod.secretBackendPlugin?.kind === kind ? mod.secretBackendPlugin : undefined;
};
