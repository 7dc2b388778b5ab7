import { Console } from 'node:console';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import {
  createSecretResolver,
  loadConfigWithSecrets,
  type AnySecretBackendPlugin,
  type SecretBackend,
  type SecretBackendFailed,
  type SecretEvent,
  type SecretFailureReason,
  type SecretLookup,
  type SecretRef,
} from '@palisade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What a secret backend's test gives the suite: a way to build the backend
 * over a real peer, and a way to write to that peer behind the backend's back
 * (as an operator or a rotation job would).
 */
export interface SecretBackendHarness {
  /** Called once before the tests (start a server, create a directory). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** A backend over the peer. Called for each test that needs one; each is closed after. */
  backend(): SecretBackend | Promise<SecretBackend>;
  /** Creates the secret or writes a new version of it (a rotation). */
  put(name: string, value: string): Promise<void>;
  /** Writes a secret that is a JSON object of string fields. */
  putJson(name: string, fields: Readonly<Record<string, string>>): Promise<void>;
  /** Writes text that is not JSON, where the peer can hold such a thing; omit otherwise. */
  putText?(name: string, text: string): Promise<void>;
  /** Deletes the secret with all its versions. */
  remove(name: string): Promise<void>;
  /** Whether `name@version` reads an older version (Vault, AWS); env and files have one version. */
  readonly versioned: boolean;
  /** A backend whose peer does not answer: lookups must fail with `unreachable`. */
  unreachable?(): SecretBackend | Promise<SecretBackend>;
  /** A backend whose credentials are refused: lookups must fail with `denied`. */
  denied?(): SecretBackend | Promise<SecretBackend>;
  /** The backend's config plugin and its `secrets.backends[]` entry pointing at the same peer. */
  readonly config: {
    readonly plugin: AnySecretBackendPlugin;
    section(): Record<string, unknown>;
  };
}

/**
 * Runs `body` with everything it prints captured: `console.*` (replaced by a
 * Console over a capture stream, formatting exactly as the real one) and
 * direct writes to process.stdout and process.stderr.
 */
export const capturePrinted = async (body: () => Promise<void>): Promise<string> => {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const realConsole = globalThis.console;
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const capture = ((chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stdout.write;
  globalThis.console = new Console({ stdout: sink, stderr: sink });
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await body();
  } finally {
    globalThis.console = realConsole;
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  return chunks.join('');
};

// A host's config with a section of its own: the redaction HMAC key list.
const HostConfig = t.type({ redaction: t.type({ hash_keys: t.array(t.string) }), storage: t.type({ kind: t.string }) });

let counter = 0;
/** Names unique per run, so suites can share a peer. Only characters every backend maps one-to-one. */
const uniqueName = (stem: string): string => `conformance/${stem}${Date.now().toString(36)}${(counter++).toString(36)}`;

// Values with characters that break naive quoting, encodings and line handling.
const TRICKY_VALUES = [
  's3cr3t-Alpha-1',
  'pä$$ wörd "quoted" \\ {braces} ${x}',
  'line1\nline2',
  '🔑-émoji-ключ',
  'x'.repeat(4096),
];

/** Everything the suite ever wrote; errors and events are checked against it. */
const written = new Set<string>();

const lookup = async (backend: SecretBackend, ref: SecretRef): Promise<E.Either<SecretBackendFailed, SecretLookup>> =>
  backend.lookup(ref)();

const expectFound = async (backend: SecretBackend, ref: SecretRef): Promise<{ value: string; version: string }> => {
  const outcome = await lookup(backend, ref);
  if (E.isLeft(outcome))
    throw new Error(`expected '${ref.name}' to be found, got ${outcome.left.code} (${outcome.left.reason})`);
  if (outcome.right._tag !== 'Found') throw new Error(`expected '${ref.name}' to be found, got NotFound`);
  expect(typeof outcome.right.version).toBe('string');
  expect(outcome.right.version.length).toBeGreaterThan(0);
  return { value: outcome.right.value.reveal(), version: outcome.right.version };
};

const expectFailure = async (
  backend: SecretBackend,
  ref: SecretRef,
  reason: SecretFailureReason,
): Promise<SecretBackendFailed> => {
  const outcome = await lookup(backend, ref);
  if (E.isRight(outcome)) throw new Error(`expected '${ref.name}' to fail with ${reason}, got ${outcome.right._tag}`);
  expect(outcome.left._tag).toBe('SecretBackendFailed');
  expect(outcome.left.code).toBe('PALISADE_SECRET_BACKEND_FAILED');
  expect(outcome.left.reason).toBe(reason);
  expect(outcome.left.backend).toBe(backend.name);
  expect(outcome.left.secret).toBe(ref.name);
  expectNoValueIn(outcome.left);
  return outcome.left;
};

/** No value the suite wrote may appear in an error or an event, however it is printed. */
export const expectNoValueIn = (u: unknown): void => {
  const shown = [
    JSON.stringify(u),
    inspect(u, { depth: 10, showHidden: true }),
    ((m: unknown) => (typeof m === 'string' ? m : ''))((u as { message?: unknown }).message),
  ].join('\n');
  for (const value of written) {
    if (value.length >= 4) expect(shown.includes(value), 'a secret value appears in an error or event').toBe(false);
  }
};

/**
 * The conformance suite every secret backend runs unchanged. It checks the
 * three outcomes (found, not found, failed), rotation, deletion, JSON fields,
 * versions, that failures carry no value, and that the chain's cache sees a
 * rotation after its TTL and at once on invalidate.
 */
export const secretBackendConformance = (name: string, harness: SecretBackendHarness): void => {
  describe(`secret backend conformance: ${name}`, () => {
    const opened: SecretBackend[] = [];
    const open = async (
      make: () => SecretBackend | Promise<SecretBackend> = () => harness.backend(),
    ): Promise<SecretBackend> => {
      const b = await make();
      opened.push(b);
      return b;
    };
    const put = async (n: string, v: string): Promise<void> => {
      written.add(v);
      await harness.put(n, v);
    };

    beforeAll(async () => {
      await harness.setup?.();
    });
    afterAll(async () => {
      await Promise.allSettled(opened.map((b) => b.close()));
      await harness.teardown?.();
    });

    it('finds a secret that exists, with a version, wrapped so it prints as [secret]', async () => {
      const backend = await open();
      const n = uniqueName('found');
      await put(n, 'conformance-value-1');
      const outcome = await lookup(backend, { name: n });
      expect(E.isRight(outcome) && outcome.right._tag).toBe('Found');
      if (E.isLeft(outcome) || outcome.right._tag !== 'Found') return;
      const secret = outcome.right.value;
      expect(secret.reveal()).toBe('conformance-value-1');
      expect(String(secret)).toBe('[secret]');
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a careless log line would do
      expect(`${secret}`).toBe('[secret]');
      expect(JSON.stringify({ secret })).toBe('{"secret":"[secret]"}');
      expect(inspect(outcome.right, { depth: 5, showHidden: true })).not.toContain('conformance-value-1');
    });

    it('says not found, not failed, for a secret that does not exist', async () => {
      const backend = await open();
      const outcome = await lookup(backend, { name: uniqueName('missing') });
      expect(outcome).toEqual(E.right({ _tag: 'NotFound' }));
    });

    it('round-trips values with quotes, dollars, newlines, non-ASCII and 4 KiB length', async () => {
      const backend = await open();
      for (const value of TRICKY_VALUES) {
        const n = uniqueName('tricky');
        await put(n, value);
        expect((await expectFound(backend, { name: n })).value).toBe(value);
      }
    });

    it('sees a rotation: the new value with a new version', async () => {
      const backend = await open();
      const n = uniqueName('rotate');
      await put(n, 'rotation-before-1');
      const before = await expectFound(backend, { name: n });
      await put(n, 'rotation-after-2');
      const after = await expectFound(backend, { name: n });
      expect(before.value).toBe('rotation-before-1');
      expect(after.value).toBe('rotation-after-2');
      expect(after.version).not.toBe(before.version);
    });

    it('says not found once a secret is deleted', async () => {
      const backend = await open();
      const n = uniqueName('deleted');
      await put(n, 'soon-deleted-value');
      await expectFound(backend, { name: n });
      await harness.remove(n);
      expect(await lookup(backend, { name: n })).toEqual(E.right({ _tag: 'NotFound' }));
    });

    it('reads one field of a JSON secret', async () => {
      const backend = await open();
      const n = uniqueName('json');
      written.add('json-user-name');
      written.add('json-pass-word');
      await harness.putJson(n, { username: 'json-user-name', password: 'json-pass-word' });
      expect((await expectFound(backend, { name: n, field: 'password' })).value).toBe('json-pass-word');
      expect((await expectFound(backend, { name: n, field: 'username' })).value).toBe('json-user-name');
    });

    it('fails with missing_key, naming the field and not the value, when a JSON secret lacks the field', async () => {
      const backend = await open();
      const n = uniqueName('jsonmissing');
      written.add('only-field-value');
      await harness.putJson(n, { present: 'only-field-value' });
      const failure = await expectFailure(backend, { name: n, field: 'absent' }, 'missing_key');
      expect(failure.message).toContain('absent');
    });

    if (harness.putText !== undefined) {
      const putText = harness.putText.bind(harness);
      it('fails with malformed, quoting none of the text, when a field is asked of a secret that is not JSON', async () => {
        const backend = await open();
        const n = uniqueName('malformed');
        const text = '{"password": "malformed-json-value", oops';
        written.add('malformed-json-value');
        await putText(n, text);
        await expectFailure(backend, { name: n, field: 'password' }, 'malformed');
        // Without a field the text is the value, malformed or not.
        expect((await expectFound(backend, { name: n })).value).toBe(text);
      });
    }

    if (harness.versioned) {
      it('reads an older version by the version the backend reported', async () => {
        const backend = await open();
        const n = uniqueName('versions');
        await put(n, 'version-one-value');
        const first = await expectFound(backend, { name: n });
        await put(n, 'version-two-value');
        expect((await expectFound(backend, { name: n })).value).toBe('version-two-value');
        const old = await expectFound(backend, { name: n, version: first.version });
        expect(old).toEqual(first);
      });
    } else {
      it('refuses a version it cannot honour with unsupported, rather than returning the current value', async () => {
        const backend = await open();
        const n = uniqueName('noversions');
        await put(n, 'unversioned-value');
        await expectFailure(backend, { name: n, version: '1' }, 'unsupported');
      });
    }

    if (harness.unreachable !== undefined) {
      const make = harness.unreachable.bind(harness);
      it('fails with unreachable (retryable) when the peer does not answer', async () => {
        const backend = await open(make);
        const failure = await expectFailure(backend, { name: uniqueName('unreachable') }, 'unreachable');
        expect(failure.retryable).toBe(true);
      });
    }

    if (harness.denied !== undefined) {
      const make = harness.denied.bind(harness);
      it('fails with denied (not retryable) when the credentials are refused', async () => {
        const n = uniqueName('denied');
        await put(n, 'denied-secret-value');
        const backend = await open(make);
        const failure = await expectFailure(backend, { name: n }, 'denied');
        expect(failure.retryable).toBe(false);
      });
    }

    it('through the cache: serves the cached value within the TTL, the rotated one after it, and at once after invalidate', async () => {
      const backend = await open();
      let clock = 1_000_000;
      const events: SecretEvent[] = [];
      const resolver = createSecretResolver([backend], {
        cache: { ttlMs: 1_000, staleIfErrorMs: 0 },
        now: () => clock,
        onEvent: (e) => events.push(e),
      });
      const n = uniqueName('cached');
      await put(n, 'cached-value-one');
      const first = await resolver.resolve(n)();
      expect(E.isRight(first) && first.right.value.reveal()).toBe('cached-value-one');

      await put(n, 'cached-value-two');
      clock += 500;
      const withinTtl = await resolver.resolve(n)();
      expect(E.isRight(withinTtl) && withinTtl.right.value.reveal()).toBe('cached-value-one');

      clock += 600;
      const afterTtl = await resolver.resolve(n)();
      expect(E.isRight(afterTtl) && afterTtl.right.value.reveal()).toBe('cached-value-two');
      expect(events.map((e) => e.type)).toEqual(['resolved', 'rotated']);

      await put(n, 'cached-value-three');
      resolver.invalidate(n);
      const afterInvalidate = await resolver.resolve(n)();
      expect(E.isRight(afterInvalidate) && afterInvalidate.right.value.reveal()).toBe('cached-value-three');
      for (const e of events) expectNoValueIn(e);
    });

    it('gives config its secrets: a redaction hash key written ${secret:...} comes from this backend, and a rotation reaches refresh()', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'palisade-secret-config-'));
      const n = uniqueName('hmac');
      await put(n, 'hmac-key-generation-1');
      written.add('password-from-json');
      const db = uniqueName('db');
      await harness.putJson(db, { password: 'password-from-json' });
      const section = harness.config.section();
      await writeFile(
        join(dir, 'palisade.config.json'),
        JSON.stringify({
          secrets: { backends: [{ ...section, name: 'primary' }], cache: { ttl_ms: 60_000, stale_if_error_ms: 0 } },
          storage: { kind: 'postgres', password: `\${secret:${db}#password}` },
          redaction: { hash_keys: [`\${secret:${n}}`, 'literal-$${secret:not-a-reference}'] },
        }),
      );
      const loaded = await loadConfigWithSecrets({ cwd: dir, plugins: [harness.config.plugin], codec: HostConfig })();
      if (E.isLeft(loaded)) throw new Error(loaded.left.message);
      const { config, bindings } = loaded.right;
      expect(config.redaction.hash_keys).toEqual(['hmac-key-generation-1', 'literal-${secret:not-a-reference}']);
      expect((config.storage as { password?: string }).password).toBe('password-from-json');
      expect(bindings.map((b) => [b.path, b.backend])).toEqual(
        expect.arrayContaining([
          ['redaction.hash_keys.0', 'primary'],
          ['storage.password', 'primary'],
        ]),
      );

      await put(n, 'hmac-key-generation-2');
      loaded.right.secrets.invalidate(n);
      const refreshed = await loaded.right.refresh()();
      if (E.isLeft(refreshed)) throw new Error(refreshed.left.message);
      expect(refreshed.right.config.redaction.hash_keys[0]).toBe('hmac-key-generation-2');
      expect(refreshed.right.changed).toEqual(['redaction.hash_keys.0']);
      await loaded.right.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('config that cannot be resolved is ConfigInvalid naming the path and the secret, never a value', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'palisade-secret-config-'));
      const json = uniqueName('cfgjson');
      written.add('config-json-field-value');
      await harness.putJson(json, { present: 'config-json-field-value' });
      const missing = uniqueName('cfgmissing');
      await writeFile(
        join(dir, 'palisade.config.json'),
        JSON.stringify({
          secrets: { backends: [harness.config.section()] },
          storage: { kind: 'x' },
          redaction: { hash_keys: [`\${secret:${missing}}`, `\${secret:${json}#absent}`] },
        }),
      );
      const loaded = await loadConfigWithSecrets({ cwd: dir, plugins: [harness.config.plugin], codec: HostConfig })();
      expect(E.isLeft(loaded)).toBe(true);
      if (E.isLeft(loaded)) {
        expect(loaded.left.code).toBe('PALISADE_CONFIG_INVALID');
        expect(loaded.left.issues).toEqual([
          { path: 'redaction.hash_keys.0', message: expect.stringContaining(missing) as unknown },
          { path: 'redaction.hash_keys.1', message: expect.stringContaining('missing_key') as unknown },
        ]);
        expectNoValueIn(loaded.left);
      }
      await rm(dir, { recursive: true, force: true });
    });

    it('prints no secret value on any path: found values, events, and every failure, logged the usual ways', async () => {
      const backend = await open();
      const n = uniqueName('printed');
      const j = uniqueName('printedjson');
      await put(n, 'printed-secret-value');
      written.add('printed-json-value');
      await harness.putJson(j, { field: 'printed-json-value' });
      const failing = [
        harness.unreachable !== undefined ? await open(() => harness.unreachable?.() as SecretBackend) : undefined,
        harness.denied !== undefined ? await open(() => harness.denied?.() as SecretBackend) : undefined,
      ].filter((b): b is SecretBackend => b !== undefined);
      const printed = await capturePrinted(async () => {
        const resolver = createSecretResolver([backend], {
          cache: { ttlMs: 0, staleIfErrorMs: 0 },
          onEvent: (e) => {
            console.log('secret event', e);
            console.info(JSON.stringify(e));
          },
        });
        const ok = await resolver.resolve(n)();
        console.log(ok);
        console.log('value: %s %o %j', E.isRight(ok) && ok.right.value, E.isRight(ok) && ok.right.value, ok);
        if (E.isRight(ok)) {
          console.error(
            // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a careless log line would do
            `template ${ok.right.value}`,
            String(ok.right.value),
            inspect(ok.right, { showHidden: true, depth: 10 }),
          );
          process.stdout.write(`${JSON.stringify({ resolved: ok.right })}\n`);
        }
        for (const ref of [`${j}#missing`, `${j}#field@x`, uniqueName('absent'), '../escape', `${n}@999999`]) {
          const failed = await resolver.resolve(ref)();
          console.error('lookup failed', failed);
          if (E.isLeft(failed)) console.warn(new Error(failed.left.message));
        }
        for (const b of failing) {
          const failed = await createSecretResolver([b], { fallThroughOnError: false }).resolve(n)();
          console.error(failed, JSON.stringify(failed));
        }
      });
      expect(printed).toContain('[secret]');
      expect(printed).toContain('PALISADE_SECRET');
      for (const value of ['printed-secret-value', 'printed-json-value']) expect(printed.includes(value)).toBe(false);
      expectNoValueIn(printed);
    });

    it('closes without error', async () => {
      const backend = await harness.backend();
      await expect(backend.close()).resolves.toBeUndefined();
    });
  });
};
