import pg from 'pg';
import { TenantId } from '@palisade/core';
import { quoteIdent } from './schema.js';

/*
 * Wake-ups from other processes: one dedicated connection LISTENs on the
 * schema's channel (a pooled connection cannot: LISTEN belongs to a session).
 * It starts with the first subscriber, reconnects with backoff when the
 * connection drops, and wakes every local subscriber after a reconnect because
 * notifications sent while it was away are lost. Polling stays the safety net.
 */

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export class AppendListener {
  private client: pg.Client | null = null;
  private connecting = false;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private everConnected = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly wake: (tenant: TenantId) => void,
    private readonly wakeAll: () => void,
  ) {}

  /** Starts listening if not already; safe to call on every subscribe. */
  ensureStarted(): void {
    if (this.stopped || this.client !== null || this.connecting || this.retryTimer !== null) return;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    this.connecting = true;
    const client = new pg.Client(this.config);
    // Without an error listener a dropped connection would crash the process.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === this.channel && TenantId.is(message.payload)) this.wake(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.backoff = MIN_BACKOFF_MS;
      if (this.everConnected) this.wakeAll();
      this.everConnected = true;
    } catch {
      await client.end().catch(() => undefined);
      this.scheduleRetry();
    } finally {
      this.connecting = false;
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== null) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
