// Read-only HTTP(S) for the daemon: /metrics for Prometheus, /healthz for
// liveness, /status for people. Loopback unless told otherwise; TLS, client
// certificates, basic auth and a rate limit from --web-config, in
// exporter-toolkit's order (rate limit, headers, authentication, handler).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type BasicAuth, basicAuth } from './basic-auth.js';
import { acceptsGzip, type Exposition, matchesEtag } from './exposition.js';
import { type RateLimiter, tokenBucket } from './rate-limit.js';
import { secureContextOptions, type TlsSettings, type WebConfig } from './web-config.js';

export interface Endpoints {
  /** The last probe's exposition, rendered once. */
  metrics(): Exposition;
  healthy(): { ok: boolean; reason: string };
  /** The JSON of /status, rendered once per probe. */
  status(): string;
}

/**
 * Bounds on what one client can hold: a scrape is one small GET, so a
 * connection that sends its headers slowly, never finishes a request or
 * piles up beside dozens of others is dropped, not served forever.
 */
export const SERVER_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 64,
  maxHeadersCount: 64,
  maxHeaderSize: 16 * 1024,
} as const;

export interface Exporter {
  readonly tls: boolean;
  /** Applies a new web configuration: in place, or by re-listening when TLS is switched on or off. */
  reload(web: WebConfig | null): Promise<'reloaded' | 'restarted'>;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  web: WebConfig | null;
  /** A TLS connection refused for its client certificate: why (the daemon logs it at debug level). */
  onRefused?: (reason: string, remote: string | undefined) => void;
}

interface State {
  web: WebConfig | null;
  auth: BasicAuth | null;
  limiter: RateLimiter | null;
}

const stateOf = (web: WebConfig | null): State => ({
  web,
  auth: web && web.users.size > 0 ? basicAuth(web.users) : null,
  limiter: web?.rateLimit ? tokenBucket(web.rateLimit.intervalMs, web.rateLimit.burst) : null,
});

/** Node writes SANs as "DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://…", quoting values that need it. */
export function subjectAltNames(text: string | undefined): string[] {
  const out: string[] = [];
  for (const m of (text ?? '').matchAll(/(?:^|, )(?:DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const v = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
    out.push(v.includes(':') && !v.includes('/') ? normaliseIPv6(v) : v);
  }
  return out;
}

/** Go prints an IPv6 SAN compressed and in lower case; OpenSSL in full. */
function normaliseIPv6(v: string): string {
  try {
    return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  } catch {
    return v;
  }
}

/** Why a TLS connection's client certificate is not acceptable under the policy, or null. */
export function clientCertProblem(t: TlsSettings, socket: TLSSocket): string | null {
  if (t.clientAuth === 'NoClientCert') return null;
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  const needsCert = t.clientAuth === 'RequireAnyClientCert' || t.clientAuth === 'RequireAndVerifyClientCert';
  if (!given) return needsCert || t.allowedSans ? 'no client certificate' : null;
  const verify = t.clientAuth === 'VerifyClientCertIfGiven' || t.clientAuth === 'RequireAndVerifyClientCert';
  if (verify && !socket.authorized) return `client certificate not trusted (${String(socket.authorizationError)})`;
  if (t.allowedSans) {
    const sans = subjectAltNames(cert.subjectaltname);
    if (!sans.some((s) => t.allowedSans!.includes(s))) return `client certificate has none of client_allowed_sans (it has: ${sans.join(', ') || 'none'})`;
  }
  return null;
}

/** The same bytes to every scrape of one probe: gzip when asked (Prometheus asks), 304 when the scraper has them, no body for HEAD. */
async function sendExposition(req: IncomingMessage, res: ServerResponse, m: Exposition): Promise<void> {
  const gz = acceptsGzip(req.headers['accept-encoding']);
  const etag = gz ? `${m.etag.slice(0, -1)}-gz"` : m.etag;
  const headers: Record<string, string | number> = { 'content-type': m.contentType, 'cache-control': 'no-cache', etag, 'last-modified': m.lastModified, vary: 'Accept-Encoding' };
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  let body = m.body;
  if (gz) {
    try {
      body = await m.gzipped();
      headers['content-encoding'] = 'gzip';
    } catch {
      // zlib failing is no reason to fail the scrape: the identity body is there
      headers.etag = m.etag;
    }
  }
  if (res.headersSent || res.destroyed) return;
  headers['content-length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startExporter(opts: ServeOptions, e: Endpoints): Promise<Exporter> {
  let state = stateOf(opts.web);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const s = state;
    const send = (code: number, type: string, body: string) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (s.limiter && !s.limiter.allow()) return send(429, 'text/plain', 'Too Many Requests\n');
    for (const [k, v] of Object.entries(s.web?.headers ?? {})) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0];
    // /healthz says only whether the last probe is recent: Kubernetes probes
    // reach it without credentials, which a manifest would otherwise hold in clear.
    if (s.auth && path !== '/healthz' && !(await s.auth.check(req.headers.authorization))) {
      res.setHeader('www-authenticate', 'Basic');
      return send(401, 'text/plain', 'Unauthorized\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'read-only: GET /metrics, /healthz, /status\n');
    if (path === '/metrics') {
      await sendExposition(req, res, e.metrics());
    } else if (path === '/healthz') {
      const h = e.healthy();
      send(h.ok ? 200 : 503, 'text/plain', `${h.reason}\n`);
    } else if (path === '/status') {
      send(200, 'application/json', e.status());
    } else {
      send(404, 'text/plain', 'not found: GET /metrics, /healthz, /status\n');
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);

  const make = (web: WebConfig | null): Server => {
    const http = {
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      requestTimeout: SERVER_LIMITS.requestTimeoutMs,
      keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
      maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: 1_000,
    };
    const tls = web?.tls;
    const server = tls
      ? createHttpsServer(
          {
            ...http,
            ...secureContextOptions(tls),
            // The policy itself is checked once the handshake is done (clientCertProblem),
            // so that a reload can change it; here only whether to ask for a certificate.
            requestCert: tls.clientAuth !== 'NoClientCert',
            rejectUnauthorized: false,
            handshakeTimeout: SERVER_LIMITS.handshakeTimeoutMs,
          },
          listener,
        )
      : createHttpServer(http, listener);
    server.maxConnections = SERVER_LIMITS.maxConnections;
    server.maxHeadersCount = SERVER_LIMITS.maxHeadersCount;
    server.setTimeout(SERVER_LIMITS.idleTimeoutMs, (socket) => socket.destroy());
    if (tls) {
      server.prependListener('secureConnection', (socket: TLSSocket) => {
        const current = state.web?.tls;
        const why = current ? clientCertProblem(current, socket) : null;
        if (why) {
          opts.onRefused?.(why, socket.remoteAddress);
          socket.destroy();
        }
      });
      // A failed handshake (no certificate the client trusts, a plain-HTTP client) is the client's business.
      server.on('tlsClientError', (err, socket) => {
        opts.onRefused?.(`TLS handshake failed: ${err.message}`, socket.remoteAddress);
        socket.destroy();
      });
    }
    return server;
  };

  const listen = (server: Server) =>
    new Promise<Server>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive connections would hold close() open: end them.
      server.closeAllConnections();
    });

  let server = await listen(make(opts.web));
  return {
    get tls() {
      return Boolean(state.web?.tls);
    },
    async reload(web) {
      if (Boolean(web?.tls) !== Boolean(state.web?.tls)) {
        await close(server);
        try {
          server = await listen(make(web));
        } catch (err) {
          // Serve on as before rather than not at all.
          server = await listen(make(state.web));
          throw err;
        }
        state = stateOf(web);
        return 'restarted';
      }
      if (web?.tls) {
        const s = server as Server & { setSecureContext(o: object): void; requestCert: boolean };
        s.setSecureContext(secureContextOptions(web.tls));
        s.requestCert = web.tls.clientAuth !== 'NoClientCert';
      }
      state = stateOf(web);
      return 'reloaded';
    },
    close: () => close(server),
  };
}
