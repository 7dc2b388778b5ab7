import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compileRegexDetector, compileRegexDetectors } from './custom-regex.js';
import { detectorContract } from './testkit/index.js';

const compiled = (spec: unknown) => {
  const r = compileRegexDetector(spec);
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const failure = (spec: unknown) => {
  const r = compileRegexDetector(spec);
  if (E.isRight(r)) throw new Error('expected a failure');
  return r.left;
};

detectorContract(compiled({ id: 'ticket_ref', pattern: '\\bTCK-\\d{6}\\b', hints: ['tck-'], confidence: 0.9 }), {
  positives: ['TCK-123456', 'TCK-000001'],
  negatives: ['TCK-12345', 'TCK-1234567', 'tck-123456', 'XTCK-123456'],
});

detectorContract(compiled({ id: 'badge', pattern: 'BDG\\d{4}\\b', hints: ['bdg'], type: 'badge_number' }), {
  positives: ['BDG1234'],
  negatives: ['BDG123', 'bdg1234'],
  types: ['badge_number'],
});

describe('compileRegexDetector', () => {
  it('compiles a safe pattern into a detector with the given type, hints and confidence', () => {
    const d = compiled({
      id: 'badge',
      pattern: 'BDG\\d{4}',
      flags: 'i',
      hints: ['bdg'],
      type: 'badge_id',
      confidence: 0.6,
    });
    expect(d.id).toBe('badge');
    expect(d.hints).toEqual(['bdg']);
    expect(d.find('a bdg1234 and BDG9999')).toEqual([
      { start: 2, end: 9, type: 'badge_id', confidence: 0.6 },
      { start: 14, end: 21, type: 'badge_id', confidence: 0.6 },
    ]);
  });

  it.each([
    ['(a+)+$', 'nested quantifier'],
    ['(a|aa)*b', 'overlapping alternation under a star'],
    ['(\\d+)*x', 'quantified group of a quantified class'],
    ['(x+x+)+y', 'adjacent overlapping quantifiers'],
    ['^(\\w+\\s?)+$', 'classic form validation ReDoS'],
    ['\\d+x', 'unbounded run scanned from every start'],
  ])('refuses %s (%s), naming the detector and why', (pattern) => {
    const err = failure({ id: 'hostile', pattern });
    expect(err._tag).toBe('ConfigInvalid');
    expect(err.code).toBe('PALISADE_CONFIG_INVALID');
    expect(err.message).toContain("custom detector 'hostile'");
    expect(err.issues[0]?.path).toBe('pattern');
    expect(err.issues[0]?.message).toMatch(/backtrack/);
  });

  it.each([
    [{ id: 'Bad-Id', pattern: 'x' }, 'id'],
    [{ id: 'ok', pattern: '(' }, 'pattern'],
    [{ id: 'ok', pattern: '' }, 'pattern'],
    [{ id: 'ok', pattern: 'a?' }, 'pattern'],
    [{ id: 'ok', pattern: 'x'.repeat(1001) }, 'pattern'],
    [{ id: 'ok', pattern: 'abc', flags: 'g' }, 'flags'],
    [{ id: 'ok', pattern: 'abc', flags: 'ii' }, 'flags'],
    [{ id: 'ok', pattern: 'abc', hints: ['ABC'] }, 'hints.0'],
    [{ id: 'ok', pattern: 'abc', hints: [''] }, 'hints.0'],
    [{ id: 'ok', pattern: 'abc', confidence: 2 }, 'confidence'],
    [{ id: 'ok', pattern: 'abc', type: 'No Spaces' }, 'type'],
    [{ id: 'ok', pattern: 42 }, 'pattern'],
    [{ id: 'ok', pattern: 'abc', colour: 'red' }, 'colour'],
    ['not an object', ''],
  ])('refuses %j at path %s', (spec, path) => {
    const err = failure(spec);
    expect(err._tag).toBe('ConfigInvalid');
    expect(err.issues.map((i) => i.path)).toContain(path);
  });

  it('steps over a whole emoji after an empty match with the u flag, instead of finding it forever', () => {
    const afterA = compiled({ id: 'after_a', pattern: '(?<=a)b?', flags: 'u' });
    // Empty matches after each `a` are skipped; the `b` after the last one is found.
    expect(afterA.find('a😀a😀ab').map((s) => [s.start, s.end])).toEqual([[7, 8]]);
    expect(compiled({ id: 'before_emoji', pattern: '(?=😀)x?', flags: 'u' }).find('😀😀')).toEqual([]);
  });

  it('gives the same verdict when one pattern is compiled again, as it is for every policy layer', () => {
    for (let i = 0; i < 3; i++) {
      expect(failure({ id: `hostile_${i}`, pattern: '(a+)+$' }).issues[0]?.message).toMatch(/backtrack/);
      expect(compiled({ id: `ticket_${i}`, pattern: 'TCK-\\d{6}' }).find('TCK-123456')).toHaveLength(1);
    }
  });

  it('gives the same spans call after call, its one pattern reset each time', () => {
    const d = compiled({ id: 'badge', pattern: 'BDG\\d{4}' });
    const text = 'BDG1234 x BDG5678';
    const first = d.find(text);
    expect(d.find('no badge here')).toEqual([]);
    expect(d.find(text)).toEqual(first);
    expect(first.map((s) => s.start)).toEqual([0, 10]);
  });

  it('does not echo the pattern into the message of an invalid regex', () => {
    const err = failure({ id: 'leaky', pattern: '(secret-literal' });
    expect(err.message).not.toContain('secret-literal');
  });

  it('compiles a list, reporting every problem with its index and duplicate ids', () => {
    const r = compileRegexDetectors([
      { id: 'a', pattern: 'AAA\\d{3}' },
      { id: 'b', pattern: '(a+)+b' },
      { id: 'a', pattern: 'BBB\\d{3}' },
    ]);
    expect(E.isLeft(r)).toBe(true);
    if (E.isLeft(r)) expect(r.left.issues.map((i) => i.path)).toEqual(['1.pattern', '2.id']);
    const ok = compileRegexDetectors([{ id: 'a', pattern: 'AAA\\d{3}' }]);
    expect(E.isRight(ok) && ok.right.map((d) => d.id)).toEqual(['a']);
  });
});
