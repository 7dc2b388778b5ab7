import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { interpolateConfig, parseConfigText, type Issue } from '@palisade/core';
import { createRedactionService } from './service.js';
import { TEST_KEY } from './test-support.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Every ```yaml block of a Markdown file, or of one of its sections. */
const yamlBlocks = (file: string, section?: string): string[] => {
  let text = readFileSync(`${root}${file}`, 'utf8');
  if (section !== undefined) {
    const start = text.indexOf(`## ${section}\n`);
    text = text.slice(start, text.indexOf('\n## ', start + 1));
  }
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
};

/** A documented example, decoded and compiled as a host would; `${...}` references get a test key. */
const build = async (yaml: string) => {
  const parsed = parseConfigText(yaml, 'example.yaml');
  if (E.isLeft(parsed)) throw new Error(parsed.left.message);
  const issues: Issue[] = [];
  const env = new Proxy({}, { get: () => TEST_KEY });
  const config = interpolateConfig(parsed.right, '', env, issues, () => TEST_KEY) as {
    redaction?: { detector_modules?: unknown };
  };
  // Plugin packages named in the docs are illustrations, not installed here.
  delete config.redaction?.detector_modules;
  const service = await createRedactionService({ mode: 'in_thread', config })();
  if (E.isRight(service)) await service.right.close();
  return service;
};

describe('documented data policies', () => {
  const examples = [
    ...yamlBlocks('docs/redaction.md').map((y, i) => [`docs/redaction.md #${i + 1}`, y] as const),
    ...yamlBlocks('README.md', 'Data policy').map((y, i) => [`README.md Data policy #${i + 1}`, y] as const),
  ];

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples)('%s is accepted', async (_name, yaml) => {
    const result = await build(yaml);
    expect(E.isLeft(result) ? result.left.message : 'ok').toBe('ok');
  });
});
