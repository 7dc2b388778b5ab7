import type { TenantId } from './ids.js';

/** In-process wake-ups for live subscriptions, per tenant. Adapters share it. */
export class AppendNotifier {
  private readonly listeners = new Map<TenantId, Set<() => void>>();

  on(tenant: TenantId, listener: () => void): () => void {
    let set = this.listeners.get(tenant);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(tenant, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(tenant);
    };
  }

  notify(tenant: TenantId): void {
    const set = this.listeners.get(tenant);
    if (set === undefined) return;
    for (const listener of [...set]) listener();
  }

  clear(): void {
    this.listeners.clear();
  }
}
