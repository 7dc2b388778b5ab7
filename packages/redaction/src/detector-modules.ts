import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { configInvalid, defineDetector, type ConfigInvalid, type Detector, type Issue } from '@palisade/core';
import { FIELD_DETECTOR, RESERVED_FIELD_ID } from './compile.js';

/** The detectors a pool or engine can name, by id, and which module gave each. */
export interface DetectorRegistry {
  readonly detectors: ReadonlyMap<string, Detector>;
  /** Ids from the built-in module: the default `pii_detectors`. */
  readonly builtIn: readonly string[];
}

/** The package whose detectors are built in: always loaded first. */
export const BUILT_IN_DETECTORS = '@palisade/pii-detectors';

const hereRequire = createRequire(import.meta.url);

/**
 * Where a specifier points: a path (`./x.js`, `/abs/x.js`) is taken from
 * `baseDir` (the config file's folder); a package name is resolved from there
 * too, so plugins are the user's dependencies, not ours. The built-in module
 * is resolved from this package.
 */
export const resolveDetectorModule = (specifier: string, baseDir: string): string => {
  if (specifier === BUILT_IN_DETECTORS) return pathToFileURL(hereRequire.resolve(specifier)).href;
  if (specifier.startsWith('file:')) return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(baseDir, specifier)).href;
  return pathToFileURL(createRequire(join(baseDir, 'noop.js')).resolve(specifier)).href;
};

const moduleDetectors = (mod: unknown): unknown => {
  const m = mod as { detectors?: unknown; default?: { detectors?: unknown } };
  return m.detectors ?? m.default?.detectors;
};

/**
 * Imports detector modules and checks what they export. Errors name the
 * module (by its index in `redaction.detector_modules`) and what is wrong.
 */
export const loadDetectorModules = async (
  specifiers: readonly string[],
  options: { readonly baseDir: string; readonly source: string; readonly withBuiltIn: boolean },
): Promise<E.Either<ConfigInvalid, DetectorRegistry>> => {
  const detectors = new Map<string, Detector>();
  const builtIn: string[] = [];
  const issues: Issue[] = [];
  const entries = [
    ...(options.withBuiltIn ? [{ specifier: BUILT_IN_DETECTORS, path: 'redaction (built-in detectors)' }] : []),
    ...specifiers.map((specifier, i) => ({ specifier, path: `redaction.detector_modules.${i}` })),
  ];
  for (const { specifier, path } of entries) {
    let mod: unknown;
    try {
      mod = await import(resolveDetectorModule(specifier, options.baseDir));
    } catch (e) {
      issues.push({
        path,
        message: `detector module '${specifier}' cannot be loaded (${(e as NodeJS.ErrnoException).code ?? (e as Error).name})`,
      });
      continue;
    }
    const exported = moduleDetectors(mod);
    if (!Array.isArray(exported)) {
      issues.push({ path, message: `module '${specifier}' exports no 'detectors' array` });
      continue;
    }
    exported.forEach((candidate: unknown, i) => {
      const checked = checkDetector(candidate);
      if (typeof checked === 'string') {
        issues.push({ path, message: `module '${specifier}' detectors[${i}]: ${checked}` });
        return;
      }
      if (checked.id === FIELD_DETECTOR) {
        issues.push({ path, message: `module '${specifier}' defines detector '${checked.id}': ${RESERVED_FIELD_ID}` });
        return;
      }
      if (detectors.has(checked.id)) {
        issues.push({
          path,
          message: `module '${specifier}' defines detector '${checked.id}', which is already defined`,
        });
        return;
      }
      detectors.set(checked.id, checked);
      if (specifier === BUILT_IN_DETECTORS && path.startsWith('redaction (')) builtIn.push(checked.id);
    });
  }
  return issues.length > 0 ? E.left(configInvalid(options.source, issues)) : E.right({ detectors, builtIn });
};

const checkDetector = (u: unknown): Detector | string => {
  if (typeof u !== 'object' || u === null) return 'is not an object';
  const d = u as Partial<Detector>;
  if (typeof d.id !== 'string') return 'has no string id';
  if (!Array.isArray(d.hints) || !d.hints.every((h) => typeof h === 'string')) return `${d.id}: hints must be strings`;
  if (typeof d.find !== 'function') return `${d.id}: find must be a function`;
  if (d.validate !== undefined && typeof d.validate !== 'function') return `${d.id}: validate must be a function`;
  try {
    return defineDetector(d as Detector);
  } catch (e) {
    return (e as Error).message;
  }
};
