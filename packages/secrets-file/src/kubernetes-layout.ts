import { mkdir, mkdtemp, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes a directory the way the kubelet's atomic writer does for a secret
 * volume: the files live in a timestamped `..<stamp>` directory, `..data`
 * links to it, and each top-level key links to `..data/<key>`. A rotation
 * writes a new stamped directory, points a temporary link at it and renames
 * that over `..data` (one atomic rename), then removes the old directory.
 *
 * Shipped (not only used by tests) so that deployments and local tooling can
 * produce the same layout; the backend itself only reads.
 */
export class KubernetesSecretDir {
  private readonly files = new Map<string, string>();
  private readonly linked = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly mode = 0o400,
  ) {}

  /** Sets or replaces keys and publishes the new set atomically. */
  async write(entries: Readonly<Record<string, string>>): Promise<void> {
    for (const [k, v] of Object.entries(entries)) this.files.set(k, v);
    await this.publish();
  }

  async remove(key: string): Promise<void> {
    this.files.delete(key);
    await this.publish();
  }

  private async publish(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const stamped = await mkdtemp(join(this.dir, '..' + new Date().toISOString().replace(/[-:.TZ]/g, '_')));
    for (const [key, value] of this.files) {
      const path = join(stamped, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, value, { mode: this.mode });
    }
    const dataLink = join(this.dir, '..data');
    let previous: string | undefined;
    try {
      previous = await readlink(dataLink);
    } catch {
      previous = undefined;
    }
    const tmpLink = join(this.dir, '..data_tmp');
    await rm(tmpLink, { force: true });
    await symlink(stamped.slice(this.dir.length + 1), tmpLink);
    await rename(tmpLink, dataLink);
    const tops = new Set([...this.files.keys()].map((k) => k.split('/')[0] ?? k));
    for (const top of tops) {
      if (this.linked.has(top)) continue;
      await rm(join(this.dir, top), { force: true });
      await symlink(join('..data', top), join(this.dir, top));
      this.linked.add(top);
    }
    for (const top of [...this.linked].filter((t) => !tops.has(t))) {
      await rm(join(this.dir, top), { force: true });
      this.linked.delete(top);
    }
    if (previous !== undefined) await rm(join(this.dir, previous), { recursive: true, force: true });
  }
}
