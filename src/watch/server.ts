// Read-only HTTP for the daemon: /metrics for Prometheus, /healthz for
// liveness, /status for people. Loopback unless told otherwise.
import { createServer, type Server } from 'node:http';

export interface Endpoints {
  metrics(): Promise<{ contentType: string; body: string }>;
  healthy(): { ok: boolean; reason: string };
  status(): unknown;
}

export function startServer(host: string, port: number, e: Endpoints): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'read-only: GET /metrics, /healthz, /status\n');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      e.metrics().then(
        (m) => send(200, m.contentType, m.body),
        (err: Error) => send(500, 'text/plain', `${err.message}\n`),
      );
    } else if (path === '/healthz') {
      const h = e.healthy();
      send(h.ok ? 200 : 503, 'text/plain', `${h.reason}\n`);
    } else if (path === '/status') {
      send(200, 'application/json', `${JSON.stringify(e.status(), null, 2)}\n`);
    } else {
      send(404, 'text/plain', 'not found: GET /metrics, /healthz, /status\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
