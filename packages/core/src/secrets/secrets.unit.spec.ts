import { inspect } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretBackendFailed, type SecretBackendFailed } from '../errors.js';
import { createSecretCache, type SecretEvent } from './cache.js';
import { createSecretChain } from './chain.js';
import { found, notFound, selectField, type SecretBackend, type SecretLookup } from './port.js';
import { formatSecretRef, parseSecretRef, type SecretRef } from './reference.js';
import { createSecretResolver } from './resolver.js';
import { Secret } from './secret-value.js';

/**
 * A scripted backend for the chain and cache semantics. The backends
 * themselves run against real peers in their own packages.
 */
// An answer of 'fail' makes the lookup fail as unreachable.
const scripted = (name: string, answers: Record<string, string | undefined>) => {
  const calls: string[] = [];
  const backend: SecretBackend = {
    name,
    lookup: (ref: SecretRef) => {
      calls.push(ref.name);
      const answer = answers[ref.name];
      if (answer === 'fail') return TE.left(secretBackendFailed(name, ref.name, 'unreachable', 'connection refused'));
      if (answer === 'deny') return TE.left(secretBackendFailed(name, ref.name, 'denied', 'permission denied'));
      return TE.right<SecretBackendFailed, SecretLookup>(
        answer === undefined ? notFound : found(answer, `v-${answer.length}-${answer.slice(-1)}`),
      );
    },
    close: () => Promise.resolve(),
  };
  return { backend, calls, answers };
};

const revealed = (r: E.Either<unknown, { value: Secret }>) => (E.isRight(r) ? r.right.value.reveal() : r.left);

describe('Secret', () => {
  const secret = Secret.of('hunter2-the-value');
  it('shows [secret] in every printed form and the value only through reveal()', () => {
    expect(String(secret)).toBe('[secret]');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point of the test
    expect(`${secret}`).toBe('[secret]');
    expect(`${secret as unknown as string}x`).toBe('[secret]x');
    expect(JSON.stringify({ a: secret, b: [secret] })).toBe('{"a":"[secret]","b":["[secret]"]}');
    expect(inspect(secret)).toBe('[secret]');
    expect(inspect({ nested: { secret } }, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(Object.keys(secret)).toEqual([]);
    expect(JSON.stringify(structuredClone({ ...secret }))).toBe('{}');
    expect(secret.reveal()).toBe('hunter2-the-value');
  });
  it('compares in constant time by value', () => {
    expect(secret.equals(Secret.of('hunter2-the-value'))).toBe(true);
    expect(secret.equals(Secret.of('hunter2-the-valuf'))).toBe(false);
    expect(secret.equals(Secret.of('short'))).toBe(false);
  });
});

describe('secret references', () => {
  it('parses name, @version and #field', () => {
    expect(parseSecretRef('db/password')).toEqual(E.right({ name: 'db/password' }));
    expect(parseSecretRef('db/creds#password')).toEqual(E.right({ name: 'db/creds', field: 'password' }));
    expect(parseSecretRef('db/creds@AWSPREVIOUS#password')).toEqual(
      E.right({ name: 'db/creds', version: 'AWSPREVIOUS', field: 'password' }),
    );
  });
  it('refuses traversal, empty segments, absolute names and junk, without echoing long input', () => {
    for (const bad of [
      '',
      '../etc/passwd',
      'a/../b',
      'a//b',
      '/abs',
      'a/',
      'a/.',
      'a b',
      'a#',
      'a@',
      'a#b#c',
      'x'.repeat(600),
    ]) {
      const r = parseSecretRef(bad);
      expect(E.isLeft(r), bad).toBe(true);
      if (E.isLeft(r)) expect(r.left.message.length).toBeLessThan(300);
    }
  });
  it('round-trips every valid reference through formatSecretRef (property)', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}$/).filter((s) => s !== '.' && s !== '..');
    const token = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,12}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.option(token, { nil: undefined }),
        fc.option(token, { nil: undefined }),
        (segments, version, field) => {
          const ref: SecretRef = {
            name: segments.join('/'),
            ...(version !== undefined ? { version } : {}),
            ...(field !== undefined ? { field } : {}),
          };
          expect(parseSecretRef(formatSecretRef(ref))).toEqual(E.right(ref));
        },
      ),
    );
  });
  it('never accepts a name with a . or .. segment (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '.', '..', 'c.d'), { minLength: 1, maxLength: 5 }), (segments) => {
        const ok = E.isRight(parseSecretRef(segments.join('/')));
        expect(ok).toBe(!segments.includes('.') && !segments.includes('..'));
      }),
    );
  });
});

describe('selectField', () => {
  it('reads string, number and boolean fields; refuses objects, missing fields and malformed JSON without quoting', () => {
    const raw = '{"user":"u-value","port":5432,"tls":true,"nested":{"a":"b"}}';
    const get = (field: string, text = raw) => {
      const r = selectField('b', { name: 'x', field }, text, 'v');
      return E.isRight(r) ? (r.right._tag === 'Found' ? r.right.value.reveal() : 'nf') : r.left.reason;
    };
    expect(get('user')).toBe('u-value');
    expect(get('port')).toBe('5432');
    expect(get('tls')).toBe('true');
    expect(get('nested')).toBe('malformed');
    expect(get('absent')).toBe('missing_key');
    expect(get('user', '{"user": "leaky-value", broken')).toBe('malformed');
    expect(get('user', '["array"]')).toBe('malformed');
    const r = selectField('b', { name: 'x', field: 'user' }, '{"user": "leaky-value", broken', 'v');
    expect(JSON.stringify(r)).not.toContain('leaky-value');
  });
});

describe('chain', () => {
  it('asks backends in priority order: the first that has the secret answers', async () => {
    const a = scripted('a', { only_b: undefined });
    const b = scripted('b', { only_b: 'from-b', both: 'from-b' });
    a.answers['both'] = 'from-a';
    const chain = createSecretChain([a.backend, b.backend]);
    const both = await chain.resolve('both')();
    expect(E.isRight(both) && [both.right.value.reveal(), both.right.backend]).toEqual(['from-a', 'a']);
    const onlyB = await chain.resolve('only_b')();
    expect(E.isRight(onlyB) && onlyB.right.backend).toBe('b');
    expect(b.calls).toEqual(['only_b']);
  });

  it('not found anywhere is SecretNotFound naming the backends asked', async () => {
    const r = await createSecretChain([scripted('a', {}).backend, scripted('b', {}).backend]).resolve('nope')();
    expect(E.isLeft(r) && r.left).toMatchObject({
      _tag: 'SecretNotFound',
      code: 'PALISADE_SECRET_NOT_FOUND',
      secret: 'nope',
      backends: ['a', 'b'],
    });
    const none = await createSecretChain([]).resolve('nope')();
    expect(E.isLeft(none) && none.left.message).toContain('no secret backend is configured');
  });

  it('a failing backend fails the lookup by default: no fall-through to a lower-priority value', async () => {
    const a = scripted('vault', { k: 'fail' });
    const b = scripted('env', { k: 'fallback-value' });
    const r = await createSecretChain([a.backend, b.backend]).resolve('k')();
    expect(E.isLeft(r) && r.left).toMatchObject({
      _tag: 'SecretBackendFailed',
      backend: 'vault',
      reason: 'unreachable',
      retryable: true,
    });
    expect(b.calls).toEqual([]);
  });

  it('with fallThroughOnError, the next backend answers; if none has it, the failure (not "not found") is returned', async () => {
    const a = scripted('vault', { k: 'fail', m: 'fail' });
    const b = scripted('env', { k: 'fallback-value' });
    const chain = createSecretChain([a.backend, b.backend], { fallThroughOnError: true });
    expect(revealed(await chain.resolve('k')())).toBe('fallback-value');
    const m = await chain.resolve('m')();
    expect(E.isLeft(m) && m.left._tag).toBe('SecretBackendFailed');
  });

  it('refuses invalid references before asking any backend', async () => {
    const a = scripted('a', {});
    const r = await createSecretChain([a.backend]).resolve('../x')();
    expect(E.isLeft(r) && r.left._tag).toBe('InvalidInput');
    expect(a.calls).toEqual([]);
  });
});

describe('cache', () => {
  const setup = (ttlMs: number, staleIfErrorMs: number) => {
    const s = scripted('b', { k: 'value-one' });
    let clock = 0;
    const events: SecretEvent[] = [];
    const cache = createSecretResolver([s.backend], {
      cache: { ttlMs, staleIfErrorMs },
      now: () => clock,
      onEvent: (e) => events.push(e),
    });
    return { s, cache, events, tick: (ms: number) => (clock += ms) };
  };

  it('serves from cache within the TTL and sees a rotation after it, with a rotated event', async () => {
    const { s, cache, events, tick } = setup(1000, 0);
    expect(revealed(await cache.resolve('k')())).toBe('value-one');
    s.answers['k'] = 'value-two';
    tick(999);
    expect(revealed(await cache.resolve('k')())).toBe('value-one');
    tick(1);
    expect(revealed(await cache.resolve('k')())).toBe('value-two');
    expect(s.calls).toEqual(['k', 'k']);
    expect(events.map((e) => e.type)).toEqual(['resolved', 'rotated']);
  });

  it('invalidate makes the next lookup ask the backend at once', async () => {
    const { s, cache } = setup(60_000, 0);
    await cache.resolve('k')();
    s.answers['k'] = 'value-two';
    cache.invalidate('k');
    expect(revealed(await cache.resolve('k')())).toBe('value-two');
  });

  it('invalidate is not undone by a lookup that was already running when it came', async () => {
    // A backend that reads its answer when asked, and answers only when released.
    let answer = 'value-one';
    const releases: (() => void)[] = [];
    const slow: SecretBackend = {
      name: 'slow',
      lookup: () => {
        const read = answer;
        return () =>
          new Promise((resolve) =>
            releases.push(() => resolve(E.right<SecretBackendFailed, SecretLookup>(found(read, `v-${read}`)))),
          );
      },
      close: () => Promise.resolve(),
    };
    const events: SecretEvent[] = [];
    const cache = createSecretResolver([slow], {
      cache: { ttlMs: 60_000, staleIfErrorMs: 0 },
      onEvent: (e) => events.push(e),
    });
    const before = cache.resolve('k')();
    answer = 'value-two'; // the secret rotates while the first lookup runs
    cache.invalidate('k');
    const after = cache.resolve('k')();
    // Both lookups have reached the backend (the fix) or only the first has (the joined lookup, before it).
    for (let i = 0; i < 20 && releases.length < 2; i++) await new Promise((r) => setImmediate(r));
    for (const release of releases.reverse().splice(0)) release(); // the newer lookup answers first
    expect(revealed(await after)).toBe('value-two');
    expect(revealed(await before)).toBe('value-one');
    // The older answer is neither cached nor reported as a rotation back to the old version.
    expect(events).toMatchObject([{ type: 'resolved', version: 'v-value-two' }]);
    expect(events).toHaveLength(1);
    expect(revealed(await cache.resolve('k')())).toBe('value-two');
  });

  it('never serves a stale value when the backend refuses (access may have been revoked)', async () => {
    const { s, cache, tick } = setup(1000, 5000);
    await cache.resolve('k')();
    s.answers['k'] = 'deny';
    tick(1000);
    const refused = await cache.resolve('k')();
    expect(E.isLeft(refused) && refused.left).toMatchObject({ _tag: 'SecretBackendFailed', reason: 'denied' });
  });

  it('serves a stale value when the backend fails, but only within the stale-if-error window', async () => {
    const { s, cache, events, tick } = setup(1000, 5000);
    await cache.resolve('k')();
    s.answers['k'] = 'fail';
    tick(3000);
    const stale = await cache.resolve('k')();
    expect(E.isRight(stale) && [stale.right.value.reveal(), stale.right.stale]).toEqual(['value-one', true]);
    tick(3001); // 6001 ms after the fetch: past TTL + window
    const failed = await cache.resolve('k')();
    expect(E.isLeft(failed) && failed.left._tag).toBe('SecretBackendFailed');
    expect(events.map((e) => e.type)).toEqual(['resolved', 'stale_served', 'failed']);
  });

  it('does not serve stale values for not-found: a deleted secret is gone at the next fetch', async () => {
    const { s, cache, tick } = setup(1000, 60_000);
    await cache.resolve('k')();
    delete s.answers['k'];
    tick(1001);
    expect(E.isLeft(await cache.resolve('k')())).toBe(true);
  });

  it('shares one backend call between concurrent lookups of the same secret', async () => {
    const { s, cache } = setup(1000, 0);
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.resolve('k')()));
    expect(all.every((r) => revealed(r) === 'value-one')).toBe(true);
    expect(s.calls).toEqual(['k']);
  });

  it('fails closed after close()', async () => {
    const { cache } = setup(1000, 0);
    await cache.resolve('k')();
    await cache.close();
    const r = await cache.resolve('k')();
    expect(E.isLeft(r) && r.left._tag === 'SecretBackendFailed' && r.left.reason).toBe('closed');
  });

  it('a TTL of 0 asks every time', async () => {
    const s = scripted('b', { k: 'v' });
    const cache = createSecretCache(createSecretChain([s.backend]), { ttlMs: 0, staleIfErrorMs: 0 });
    await cache.resolve('k')();
    await cache.resolve('k')();
    expect(s.calls).toEqual(['k', 'k']);
  });
});
