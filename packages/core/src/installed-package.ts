import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const KIND = /^[a-z][a-z0-9-]*$/;

/**
 * The export `exportName` of `@palisade/<group>-<kind>`, resolved from `baseDir`
 * (the user's project, not core: core depends on no adapter or backend), when
 * that package is installed and the export names this kind; otherwise undefined.
 */
export const installedPlugin = async <P extends { readonly kind: string }>(
  group: 'storage' | 'secrets',
  kind: string,
  exportName: string,
  baseDir: string,
): Promise<P | undefined> => {
  if (!KIND.test(kind)) return undefined;
  let entry: string;
  try {
    entry = createRequire(join(baseDir, 'noop.js')).resolve(`@palisade/${group}-${kind}`);
  } catch {
    return undefined;
  }
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, P | undefined>;
  const plugin = mod[exportName];
  return plugin?.kind === kind ? plugin : undefined;
};
