import { installedPlugin } from '../installed-package.js';
import type { AnySecretBackendPlugin } from './port.js';

/**
 * Loads the secret backend plugin `@palisade/secrets-<kind>` from the user's
 * project (resolved from `baseDir`, the config file's folder), so core depends
 * on no backend and a host installs only the backends it uses. The package must
 * export `secretBackendPlugin`. Returns undefined when it is not installed; the
 * loader then reports the kind as unknown, naming the package to install.
 */
export const installedSecretPlugin = (kind: string, baseDir: string): Promise<AnySecretBackendPlugin | undefined> =>
  installedPlugin<AnySecretBackendPlugin>('secrets', kind, 'secretBackendPlugin', baseDir);
