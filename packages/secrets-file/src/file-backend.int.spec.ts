import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { secretBackendConformance } from '@palisade/storage-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileSecrets, fileSecretsPlugin, KubernetesSecretDir } from './index.js';

// The real peer: a directory in the Kubernetes secret-volume layout, rewritten by atomic `..data` swaps.
let root = '';
let k8s: KubernetesSecretDir;
secretBackendConformance('file (kubernetes layout)', {
  setup: async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-secrets-'));
    k8s = new KubernetesSecretDir(join(root, 'mounted'));
    await k8s.write({});
  },
  teardown: () => rm(root, { recursive: true, force: true }),
  backend: () => createFileSecrets({ dir: join(root, 'mounted') }),
  put: (name, value) => k8s.write({ [name]: value }),
  putJson: (name, fields) => k8s.write({ [name]: JSON.stringify(fields) }),
  putText: (name, text) => k8s.write({ [name]: text }),
  remove: (name) => k8s.remove(name),
  versioned: false,
  config: { plugin: fileSecretsPlugin, section: () => ({ kind: 'file', dir: join(root, 'mounted') }) },
});

describe('file secrets', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-secrets-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const plain = async (name: string, value: string, mode: number): Promise<void> => {
    await writeFile(join(dir, name), value);
    await chmod(join(dir, name), mode);
  };

  it('refuses a file readable by others or by its group, naming the mode and not the value', async () => {
    await plain('world', 'world-readable-value', 0o644);
    await plain('group', 'group-readable-value', 0o640);
    const backend = createFileSecrets({ dir });
    for (const [name, who] of [
      ['world', 'others'],
      ['group', 'its group'],
    ] as const) {
      const outcome = await backend.lookup({ name })();
      expect(E.isLeft(outcome) && outcome.left.reason).toBe('insecure');
      if (E.isLeft(outcome)) {
        expect(outcome.left.message).toContain(who);
        expect(JSON.stringify(outcome.left)).not.toContain('readable-value');
      }
    }
  });

  it('accepts such files only when told to', async () => {
    await plain('group2', 'group-ok-value', 0o640);
    await plain('world2', 'world-ok-value', 0o644);
    const groupOnly = createFileSecrets({ dir, allowGroupRead: true });
    const g = await groupOnly.lookup({ name: 'group2' })();
    expect(E.isRight(g) && g.right._tag === 'Found' && g.right.value.reveal()).toBe('group-ok-value');
    expect(E.isLeft(await groupOnly.lookup({ name: 'world2' })())).toBe(true);
    const any = createFileSecrets({ dir, allowGroupRead: true, allowOtherRead: true });
    const w = await any.lookup({ name: 'world2' })();
    expect(E.isRight(w) && w.right._tag === 'Found' && w.right.value.reveal()).toBe('world-ok-value');
  });

  it('drops one trailing newline by default and keeps it when told', async () => {
    await plain('newline', 'with-newline\n', 0o600);
    const a = await createFileSecrets({ dir }).lookup({ name: 'newline' })();
    expect(E.isRight(a) && a.right._tag === 'Found' && a.right.value.reveal()).toBe('with-newline');
    const b = await createFileSecrets({ dir, trimTrailingNewline: false }).lookup({ name: 'newline' })();
    expect(E.isRight(b) && b.right._tag === 'Found' && b.right.value.reveal()).toBe('with-newline\n');
  });

  it('refuses a symlink that leads out of the directory', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'palisade-outside-'));
    await writeFile(join(outside, 'stolen'), 'outside-value', { mode: 0o600 });
    await symlink(join(outside, 'stolen'), join(dir, 'escape'));
    const outcome = await createFileSecrets({ dir }).lookup({ name: 'escape' })();
    expect(E.isLeft(outcome) && outcome.left.reason).toBe('insecure');
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses oversize files as malformed', async () => {
    await plain('big', 'x'.repeat(2048), 0o600);
    const outcome = await createFileSecrets({ dir, maxBytes: 1024 }).lookup({ name: 'big' })();
    expect(E.isLeft(outcome) && outcome.left.reason).toBe('malformed');
  });

  it('refuses a FIFO as not a regular file at once, instead of waiting for a writer', async () => {
    execFileSync('mkfifo', ['-m', '600', join(dir, 'pipe')]);
    const outcome = await createFileSecrets({ dir }).lookup({ name: 'pipe' })();
    expect(E.isLeft(outcome) && outcome.left).toMatchObject({ reason: 'malformed' });
    expect(E.isLeft(outcome) && outcome.left.message).toContain('not a regular file');
  });

  it('a missing directory is a misconfiguration, not "not found"', async () => {
    const outcome = await createFileSecrets({ dir: join(dir, 'nope') }).lookup({ name: 'x' })();
    expect(E.isLeft(outcome) && outcome.left.reason).toBe('misconfigured');
  });

  it('a directory where a file is expected is "not found"', async () => {
    await mkdir(join(dir, 'adir'), { recursive: true });
    expect(await createFileSecrets({ dir }).lookup({ name: 'adir' })()).toEqual(E.right({ _tag: 'NotFound' }));
  });

  it('reads while ..data is swapped: every read is a whole old or new value, never a failure', async () => {
    const k = new KubernetesSecretDir(join(dir, 'swapping'));
    await k.write({ token: 'generation-0' });
    const backend = createFileSecrets({ dir: join(dir, 'swapping') });
    let writing = true;
    const writer = (async () => {
      for (let g = 1; g <= 40; g++) await k.write({ token: `generation-${g}` });
      writing = false;
    })();
    const seen = new Set<string>();
    let reads = 0;
    while (writing || reads < 50) {
      const outcome = await backend.lookup({ name: 'token' })();
      if (E.isLeft(outcome) || outcome.right._tag !== 'Found') throw new Error(`read ${reads} failed during a swap`);
      const value = outcome.right.value.reveal();
      expect(value).toMatch(/^generation-\d+$/);
      seen.add(value);
      reads++;
    }
    await writer;
    const last = await backend.lookup({ name: 'token' })();
    expect(E.isRight(last) && last.right._tag === 'Found' && last.right.value.reveal()).toBe('generation-40');
    expect(seen.size).toBeGreaterThan(1);
  });
});
