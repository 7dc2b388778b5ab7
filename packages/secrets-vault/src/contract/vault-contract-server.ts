import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A loopback HTTP server that answers the slice of Vault's API the backend
 * uses, written from Vault's API documentation (KV v2 read/write/delete and
 * metadata, auth/token/lookup-self and renew-self, auth/approle/login,
 * auth/kubernetes/login, X-Vault-Namespace). It is a contract double for
 * tests where no Vault can run: it checks that the backend speaks the
 * documented protocol, not that Vault behaves as documented. Test support
 * only: not exported from the package.
 */

interface TokenRecord {
  readonly namespace: string;
  readonly canRead: boolean;
  readonly canWrite: boolean;
  readonly renewable: boolean;
  /** 0 = no TTL (root). */
  readonly ttlMs: number;
  readonly maxExpiresAt: number;
  expiresAt: number;
}

interface Version {
  readonly data: Record<string, unknown>;
  readonly created: string;
  deleted: string;
  destroyed: boolean;
}

export interface LoginRole {
  readonly namespace?: string;
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly canRead?: boolean;
}

export class ContractVault {
  readonly rootToken = `hvs.root-${randomBytes(8).toString('hex')}`;
  readonly stats = { logins: 0, renewals: 0, reads: 0 };
  /** Namespaces seen on each request, in order. */
  readonly namespacesSeen: string[] = [];
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly kv = new Map<string, Version[]>();
  private readonly appRoles = new Map<string, LoginRole & { readonly secretId: string }>();
  private readonly k8sRoles = new Map<string, LoginRole & { readonly jwt: string }>();
  private failures: number[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly now: () => number = Date.now) {
    this.tokens.set(this.rootToken, {
      namespace: '',
      canRead: true,
      canWrite: true,
      renewable: false,
      ttlMs: 0,
      maxExpiresAt: Infinity,
      expiresAt: Infinity,
    });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A token as `vault token create` would make it. */
  createToken(o: {
    ttlSeconds: number;
    maxTtlSeconds?: number;
    renewable?: boolean;
    canRead?: boolean;
    canWrite?: boolean;
    namespace?: string;
  }): string {
    const token = `hvs.${randomBytes(12).toString('hex')}`;
    const at = this.now();
    this.tokens.set(token, {
      namespace: o.namespace ?? '',
      canRead: o.canRead ?? true,
      canWrite: o.canWrite ?? false,
      renewable: o.renewable ?? true,
      ttlMs: o.ttlSeconds * 1000,
      maxExpiresAt: o.maxTtlSeconds === undefined ? Infinity : at + o.maxTtlSeconds * 1000,
      expiresAt: o.ttlSeconds === 0 ? Infinity : at + o.ttlSeconds * 1000,
    });
    return token;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** Revokes every token but the root token (an operator's `vault token revoke -mode=path auth/`). */
  revokeAllButRoot(): void {
    for (const token of [...this.tokens.keys()]) if (token !== this.rootToken) this.tokens.delete(token);
  }

  addAppRole(roleId: string, secretId: string, role: LoginRole): void {
    this.appRoles.set(roleId, { ...role, secretId });
  }

  addKubernetesRole(name: string, jwt: string, role: LoginRole): void {
    this.k8sRoles.set(name, { ...role, jwt });
  }

  /** The next requests answer these statuses (503 = sealed, 500 = internal error). */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  /** Writes as an operator would (`vault kv put`), bypassing HTTP. */
  put(path: string, data: Record<string, unknown>, namespace = ''): number {
    const key = `${namespace}\u0000${path}`;
    const versions = this.kv.get(key) ?? [];
    versions.push({ data, created: new Date(this.now()).toISOString(), deleted: '', destroyed: false });
    this.kv.set(key, versions);
    return versions.length;
  }

  private issue(role: LoginRole): Record<string, unknown> {
    const token = this.createToken({
      ttlSeconds: role.ttlSeconds,
      maxTtlSeconds: role.maxTtlSeconds,
      renewable: true,
      canRead: role.canRead ?? true,
      ...(role.namespace !== undefined ? { namespace: role.namespace } : {}),
    });
    this.stats.logins++;
    return {
      auth: {
        client_token: token,
        accessor: randomBytes(8).toString('hex'),
        policies: ['default', 'app'],
        token_policies: ['default', 'app'],
        metadata: null,
        lease_duration: role.ttlSeconds,
        renewable: true,
      },
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body?: unknown): void => {
      res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const denied = (): void => send(403, { errors: ['permission denied'] });
    const failure = this.failures.shift();
    if (failure !== undefined)
      return send(failure, { errors: [failure === 503 ? 'Vault is sealed' : 'internal error'] });

    const url = new URL(req.url ?? '/', 'http://vault');
    const namespace = String(req.headers['x-vault-namespace'] ?? '').replace(/^\/+|\/+$/g, '');
    this.namespacesSeen.push(namespace);
    let body: unknown;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { errors: ['failed to parse JSON input'] });
      }
    }
    const path = url.pathname.replace(/^\/v1\//, '');
    const at = this.now();

    if (req.method === 'POST' && path === 'auth/approle/login') {
      const b = body as { role_id?: unknown; secret_id?: unknown } | undefined;
      const role = typeof b?.role_id === 'string' ? this.appRoles.get(b.role_id) : undefined;
      if (role === undefined || role.secretId !== b?.secret_id || (role.namespace ?? '') !== namespace) {
        return send(400, { errors: ['invalid role or secret ID'] });
      }
      return send(200, this.issue(role));
    }
    if (req.method === 'POST' && path === 'auth/kubernetes/login') {
      const b = body as { role?: unknown; jwt?: unknown } | undefined;
      const role = typeof b?.role === 'string' ? this.k8sRoles.get(b.role) : undefined;
      if (role === undefined || role.jwt !== b?.jwt || (role.namespace ?? '') !== namespace) return denied();
      return send(200, this.issue(role));
    }

    const tokenId = String(req.headers['x-vault-token'] ?? '');
    const token = this.tokens.get(tokenId);
    if (token === undefined || token.namespace !== namespace || at >= token.expiresAt) return denied();

    if (req.method === 'GET' && path === 'auth/token/lookup-self') {
      const ttl = Number.isFinite(token.expiresAt) ? Math.floor((token.expiresAt - at) / 1000) : 0;
      return send(200, {
        data: {
          id: tokenId,
          ttl,
          creation_ttl: token.ttlMs / 1000,
          renewable: token.renewable,
          policies: ['default'],
          explicit_max_ttl: 0,
          expire_time: Number.isFinite(token.expiresAt) ? new Date(token.expiresAt).toISOString() : null,
        },
      });
    }
    if ((req.method === 'POST' || req.method === 'PUT') && path === 'auth/token/renew-self') {
      if (!token.renewable || token.ttlMs === 0) return send(400, { errors: ['lease is not renewable'] });
      token.expiresAt = Math.min(at + token.ttlMs, token.maxExpiresAt);
      this.stats.renewals++;
      const lease = Math.floor((token.expiresAt - at) / 1000);
      return send(200, {
        auth: {
          client_token: tokenId,
          accessor: 'acc',
          policies: ['default'],
          token_policies: ['default'],
          metadata: null,
          lease_duration: lease,
          renewable: true,
        },
        ...(token.expiresAt === token.maxExpiresAt
          ? { warnings: ['TTL of "1h" exceeded the effective max_ttl; TTL value is capped accordingly'] }
          : {}),
      });
    }

    const kv = /^secret\/(data|metadata)\/(.+)$/.exec(path);
    if (kv === null) return send(404, { errors: [`no handler for route "${path.slice(0, 80)}"`] });
    const [, kind, secretPath] = kv as unknown as [string, 'data' | 'metadata', string];
    const key = `${namespace}\u0000${decodeURIComponent(secretPath)}`;
    const versions = this.kv.get(key);

    if (kind === 'data' && req.method === 'GET') {
      if (!token.canRead) return denied();
      this.stats.reads++;
      if (versions === undefined) return send(404, { errors: [] });
      const requested = url.searchParams.get('version');
      const n = requested === null || requested === '0' ? versions.length : Number(requested);
      const v = versions[n - 1];
      if (v === undefined) return send(404, { errors: [] });
      const metadata = {
        created_time: v.created,
        custom_metadata: null,
        deletion_time: v.deleted,
        destroyed: v.destroyed,
        version: n,
      };
      if (v.deleted !== '' || v.destroyed) return send(404, { request_id: 'r', data: { data: null, metadata } });
      return send(200, {
        request_id: 'r',
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: { data: v.data, metadata },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    if (!token.canWrite) return denied();
    if (kind === 'data' && (req.method === 'POST' || req.method === 'PUT')) {
      const data = (body as { data?: unknown } | undefined)?.data;
      if (typeof data !== 'object' || data === null || Array.isArray(data))
        return send(400, { errors: ['no data provided'] });
      const version = this.put(decodeURIComponent(secretPath), data as Record<string, unknown>, namespace);
      return send(200, {
        data: {
          created_time: new Date(at).toISOString(),
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version,
        },
      });
    }
    if (kind === 'data' && req.method === 'DELETE') {
      const latest = versions?.[versions.length - 1];
      if (latest !== undefined) latest.deleted = new Date(at).toISOString();
      return send(204);
    }
    if (kind === 'metadata' && req.method === 'DELETE') {
      this.kv.delete(key);
      return send(204);
    }
    if (kind === 'metadata' && req.method === 'GET') {
      if (versions === undefined) return send(404, { errors: [] });
      return send(200, {
        data: {
          current_version: versions.length,
          versions: Object.fromEntries(
            versions.map((v, i) => [
              String(i + 1),
              { created_time: v.created, deletion_time: v.deleted, destroyed: v.destroyed },
            ]),
          ),
        },
      });
    }
    return send(405, { errors: ['unsupported operation'] });
  }
}
