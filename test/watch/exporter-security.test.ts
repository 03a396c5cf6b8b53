// The exporter behind --web-config, for real: openssl-made certificates,
// htpasswd-made bcrypt hashes, raw sockets for the limits, SIGHUP reloads,
// and a real Prometheus that loads the same file for its own web server and
// scrapes the daemon with the matching credentials (and is refused without them).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, get, hangUp, killAfterEachTest, scrape, sleep, startDaemon, track } from '../support/daemon.js';
import { namespaceSkipReason } from '../support/run-cli.js';
import { hasHtpasswd, hasOpenssl, htpasswdHash, makeTlsFixtures, type TlsFixtures } from '../support/tls-fixtures.js';
import { scratchDir } from '../support/scratch.js';
import { listenPort } from '../support/ports.js';

const skip = namespaceSkipReason() ?? (!hasOpenssl ? 'openssl is not installed (apt package openssl)' : !hasHtpasswd ? 'htpasswd is not installed (apt package apache2-utils)' : null);
if (skip) console.warn(`skipping exporter TLS and authentication tests: ${skip}`);
const hasPrometheus = !spawnSync('prometheus', ['--version']).error;
if (!skip && !hasPrometheus) console.warn('skipping the authenticated Prometheus scrape: prometheus is not installed (apt package prometheus)');

killAfterEachTest();

let f: TlsFixtures;
let dir: string;
const PASSWORD = 'correct horse battery';
let hash = '';

function webConfig(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const tls = () => `tls_server_config:\n  cert_file: ${f.serverCert}\n  key_file: ${f.serverKey}\n`;

const refused = (p: Promise<unknown>) => p.then(
  () => 'answered',
  (err: NodeJS.ErrnoException) => err.code ?? err.message,
);

describe.skipIf(skip !== null)('exporter: TLS, basic auth, limits', () => {
  beforeAll(() => {
    f = makeTlsFixtures();
    dir = mkdtempSync(join(tmpdir(), 'mqd-exporter-'));
    hash = htpasswdHash(PASSWORD);
    return () => [dir, f.dir].forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('serves HTTPS with basic auth; refuses missing or wrong credentials; /healthz needs none; logs a start line without secrets', async () => {
    const cfg = webConfig('auth.yml', `${tls()}basic_auth_users:\n  prometheus: '${hash}'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`);
    const d = await startDaemon(['--web-config', cfg], { scheme: 'https', ca: f.ca });
    const ok = await get(`${d.base}/metrics`, { ca: f.ca, auth: `prometheus:${PASSWORD}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^mqdoctor_posix_queues\{/m);
    expect(ok.headers['x-frame-options']).toBe('deny');
    for (const auth of [undefined, 'prometheus:wrong', 'nobody:correct horse battery', `prometheus:${PASSWORD} `]) {
      const r = await get(`${d.base}/metrics`, { ca: f.ca, auth });
      expect(r.status, String(auth)).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Basic');
      expect(r.body).not.toMatch(/mqdoctor_/);
    }
    expect((await get(`${d.base}/status`, { ca: f.ca })).status).toBe(401);
    expect((await get(`${d.base}/healthz`, { ca: f.ca })).status).toBe(200);
    // Without the CA the client cannot trust the server; plain HTTP gets no answer.
    expect(await refused(get(`${d.base}/healthz`))).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|unable to verify/i);
    expect(await refused(get(`http://${d.host}:${d.port}/healthz`))).not.toBe('answered');
    const start = d.logs().split('\n').find((l) => l.includes('"msg":"watching"'))!;
    expect(JSON.parse(start)).toMatchObject({ listen: `https://127.0.0.1:${d.port}`, tls: { clientAuth: 'NoClientCert', minVersion: 'TLSv1.2' }, basicAuthUsers: ['prometheus'] });
    expect(d.logs()).not.toContain(hash);
    expect(d.logs()).not.toContain(PASSWORD);
  });

  it('client certificates: RequireAndVerifyClientCert with client_allowed_sans, then a SIGHUP that changes the SANs', async () => {
    const base = `${tls()}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${f.ca}\n`;
    const cfg = webConfig('mtls.yml', `${base}  client_allowed_sans: [prometheus.monitoring]\n`);
    const d = await startDaemon(['--web-config', cfg], { scheme: 'https', ca: f.ca, cert: f.clientCert, key: f.clientKey });
    const good = { ca: f.ca, cert: f.clientCert, key: f.clientKey };
    expect((await get(`${d.base}/metrics`, good)).status).toBe(200);
    expect(await refused(get(`${d.base}/metrics`, { ca: f.ca }))).not.toBe('answered');
    expect(await refused(get(`${d.base}/metrics`, { ca: f.ca, cert: f.strangerCert, key: f.strangerKey }))).not.toBe('answered');
    webConfig('mtls.yml', `${base}  client_allowed_sans: [someone-else]\n`);
    await hangUp(d, /SIGHUP: web configuration reloaded/);
    expect(await refused(get(`${d.base}/metrics`, good))).not.toBe('answered');
  });

  it('SIGHUP: a new password takes over, a broken file keeps the previous configuration, switching TLS on re-listens', async () => {
    const cfg = webConfig('reload.yml', `basic_auth_users:\n  prometheus: '${hash}'\n`);
    const d = await startDaemon(['--web-config', cfg]);
    const url = `${d.base}/metrics`;
    expect((await get(url, { auth: `prometheus:${PASSWORD}` })).status).toBe(200);
    webConfig('reload.yml', `basic_auth_users:\n  prometheus: '${htpasswdHash('new password')}'\n`);
    await hangUp(d, /SIGHUP: web configuration reloaded/);
    expect((await get(url, { auth: `prometheus:${PASSWORD}` })).status).toBe(401);
    expect((await get(url, { auth: 'prometheus:new password' })).status).toBe(200);

    webConfig('reload.yml', 'basic_auth_users:\n  prometheus: plaintext\n');
    expect(await hangUp(d, /SIGHUP: web configuration not/)).toMatch(/not a bcrypt hash.*SIGHUP: web configuration not reloaded, keeping the previous one/);
    expect((await get(url, { auth: 'prometheus:new password' })).status).toBe(200);
    expect((await get(url)).status).toBe(401);

    webConfig('reload.yml', tls());
    expect(await hangUp(d, /SIGHUP: web configuration reloaded/)).toMatch(/"how":"restarted"/);
    expect((await get(`https://${d.host}:${d.port}/metrics`, { ca: f.ca })).status).toBe(200);
    expect(await refused(get(url))).not.toBe('answered');
  });

  it('rate_limit: a burst, then 429 until the bucket refills', async () => {
    const cfg = webConfig('rate.yml', 'rate_limit:\n  interval: 1s\n  burst: 3\n');
    const d = await startDaemon(['--web-config', cfg], { interval: '5s' });
    await sleep(3100);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await get(`${d.base}/healthz`)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    await sleep(1100);
    expect((await get(`${d.base}/healthz`)).status).toBe(200);
  });

  it('drops a client that sends its headers too slowly, and connections beyond 64', async () => {
    const d = await startDaemon([]);
    const open = (): Promise<{ closedAfter: () => Promise<number> }> =>
      new Promise((resolve, reject) => {
        const s = connect(d.port, d.host, () => {
          const t = Date.now();
          const closed = new Promise<number>((r) => s.once('close', () => r(Date.now() - t)));
          resolve({ closedAfter: () => closed });
        });
        s.on('error', () => undefined);
        s.once('error', reject);
      });
    const slow = await open();
    // A slowloris: the request line and one header, then nothing.
    const trickle = connect(d.port, d.host);
    trickle.on('error', () => undefined);
    trickle.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const trickleClosed = new Promise<number>((r) => {
      const t = Date.now();
      trickle.once('close', () => r(Date.now() - t));
    });
    const idle = await Promise.all(Array.from({ length: 70 }, () => open()));
    // maxConnections: the server closes the ones over 64 at once.
    const closedAtOnce = await Promise.all(idle.map((c) => Promise.race([c.closedAfter(), sleep(1000).then(() => Infinity)])));
    expect(closedAtOnce.filter((ms) => ms < 1000).length).toBeGreaterThanOrEqual(70 + 2 - 64);
    const slowMs = await trickleClosed;
    expect(slowMs).toBeGreaterThanOrEqual(9_000);
    expect(slowMs).toBeLessThan(13_000);
    void slow;
    // Still serving once they are gone.
    await sleep(200);
    expect((await get(`${d.base}/healthz`)).status).toBe(200);
  }, 30_000);

  it.skipIf(!hasPrometheus)('a real Prometheus with the same file scrapes with basic_auth + tls_config; a job without them is refused', async () => {
    const cfg = webConfig('prom-web.yml', `${tls()}basic_auth_users:\n  prometheus: '${hash}'\n`);
    const d: Daemon = await startDaemon(['--web-config', cfg], { scheme: 'https', ca: f.ca });
    const pdir = scratchDir('mqd-prom-tls-');
    const pwFile = join(pdir, 'password');
    writeFileSync(pwFile, PASSWORD);
    const target = `['127.0.0.1:${d.port}']`;
    writeFileSync(
      join(pdir, 'prometheus.yml'),
      [
        'global:\n  scrape_interval: 1s\nscrape_configs:',
        `  - job_name: mq-doctor\n    scheme: https\n    tls_config:\n      ca_file: ${f.ca}\n    basic_auth:\n      username: prometheus\n      password_file: ${pwFile}\n    static_configs:\n      - targets: ${target}`,
        `  - job_name: no-credentials\n    scheme: https\n    tls_config:\n      ca_file: ${f.ca}\n    static_configs:\n      - targets: ${target}`,
        `  - job_name: no-tls\n    static_configs:\n      - targets: ${target}\n`,
      ].join('\n'),
    );
    const promPort = listenPort();
    const prom = track(
      spawn('prometheus', [`--config.file=${join(pdir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(pdir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, `--web.config.file=${cfg}`], { stdio: 'ignore' }),
    );
    void prom;
    const api = async (q: string) => JSON.parse((await get(`https://127.0.0.1:${promPort}/api/v1/${q}`, { ca: f.ca, auth: `prometheus:${PASSWORD}` })).body) as { data: unknown };
    let targets: Array<{ labels: { job: string }; health: string; lastError: string }> = [];
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      try {
        targets = ((await api('targets')).data as { activeTargets: typeof targets }).activeTargets;
        if (targets.length === 3 && targets.every((t) => t.health !== 'unknown')) break;
      } catch {
        // Prometheus is still starting
      }
    }
    const byJob = Object.fromEntries(targets.map((t) => [t.labels.job, t]));
    expect(byJob['mq-doctor']?.health, JSON.stringify(targets)).toBe('up');
    expect(byJob['no-credentials']).toMatchObject({ health: 'down', lastError: expect.stringMatching(/401/) });
    expect(byJob['no-tls']?.health).toBe('down');
    const r = (await api('query?query=mqdoctor_posix_queues')).data as { result: unknown[] };
    expect(r.result.length).toBeGreaterThan(0);
    // Prometheus's own API, behind the same file, refuses a client without the password.
    expect((await get(`https://127.0.0.1:${promPort}/api/v1/targets`, { ca: f.ca })).status).toBe(401);
    expect((await scrape(d, { ca: f.ca, auth: `prometheus:${PASSWORD}` })).value('mqdoctor_probes_total')).toBeGreaterThan(0);
  }, 60_000);
});
