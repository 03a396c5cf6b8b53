// A fleet, simulated for real: three daemons, each in its own IPC namespace
// (its own "node") on its own loopback address, behind TLS + basic auth; one
// real Prometheus finds them through file_sd_configs and evaluates the shipped
// alerting rules (their `for:` shortened, nothing else changed). One node's
// queues_max fills: the alert fires for that node only, then resolves.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { type Daemon, get, inNs, killAfterEachTest, sleep, startDaemon, track } from '../support/daemon.js';
import { namespaceSkipReason, ROOT } from '../support/run-cli.js';
import { hasHtpasswd, hasOpenssl, htpasswdHash, makeTlsFixtures } from '../support/tls-fixtures.js';
import { scratchDir } from '../support/scratch.js';
import { listenPort } from '../support/ports.js';

const hasPrometheus = !spawnSync('prometheus', ['--version']).error;
const skip =
  namespaceSkipReason() ??
  (!hasPrometheus ? 'prometheus is not installed (apt package prometheus)' : !hasOpenssl ? 'openssl is not installed (apt package openssl)' : !hasHtpasswd ? 'htpasswd is not installed (apt package apache2-utils)' : null);
if (skip) console.warn(`skipping the fleet test: ${skip}`);

killAfterEachTest();

const NODES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const PASSWORD = 'fleet password';

interface Alert {
  labels: Record<string, string>;
  state: string;
}

describe.skipIf(skip !== null)('a fleet of three nodes, one Prometheus', () => {
  let oracle = '';
  beforeAll(async () => {
    oracle = (await buildOracle()) ?? '';
  });

  it('file_sd discovery over TLS + auth; the queues_max alert fires for the full node only, then resolves', async () => {
    const f = makeTlsFixtures();
    onTestFinished(() => rmSync(f.dir, { recursive: true, force: true }));
    const dir = scratchDir('mqd-fleet-');
    const web = join(dir, 'web.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: ${f.serverCert}\n  key_file: ${f.serverKey}\nbasic_auth_users:\n  prometheus: '${htpasswdHash(PASSWORD, 5)}'\n`);
    const nodes: Daemon[] = await Promise.all(NODES.map((host) => startDaemon(['--web-config', web], { host, scheme: 'https', ca: f.ca, interval: '500ms' })));

    writeFileSync(join(dir, 'targets.json'), JSON.stringify(nodes.map((d, i) => ({ targets: [`${d.host}:${d.port}`], labels: { node: `node-${i + 1}` } }))));
    // The shipped rules, with every `for:` at 1s so the test does not wait 5 minutes.
    const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/mq-doctor.rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ for?: string }> }> };
    let shortened = 0;
    for (const g of rules.groups) for (const r of g.rules) if (r.for) (r.for = '1s'), shortened++;
    expect(shortened).toBeGreaterThan(0);
    writeFileSync(join(dir, 'rules.yml'), stringify(rules));
    writeFileSync(join(dir, 'password'), PASSWORD);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yml')],
        scrape_configs: [
          {
            job_name: 'mq-doctor',
            scheme: 'https',
            tls_config: { ca_file: f.ca },
            basic_auth: { username: 'prometheus', password_file: join(dir, 'password') },
            file_sd_configs: [{ files: [join(dir, 'targets.json')], refresh_interval: '1s' }],
          },
        ],
      }),
    );
    const check = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const promPort = listenPort();
    track(spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' }));
    const api = async <T>(q: string): Promise<T> => (JSON.parse((await get(`http://127.0.0.1:${promPort}/api/v1/${q}`)).body) as { data: T }).data;
    const until = async <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> => {
      let v: T | undefined;
      for (const end = Date.now() + ms; Date.now() < end; await sleep(500)) {
        try {
          v = await read();
          if (done(v)) return v;
        } catch {
          // Prometheus is still starting
        }
      }
      throw new Error(`${what}: still ${JSON.stringify(v)}`);
    };
    const queuesAlerts = async () => (await api<{ alerts: Alert[] }>('alerts')).alerts.filter((a) => a.labels.alertname === 'MQDoctorQueuesNearMax');

    const up = await until(
      'all three targets up',
      () => api<{ result: Array<{ metric: { node: string }; value: [number, string] }> }>('query?query=up{job="mq-doctor"}'),
      (r) => r.result.length === 3 && r.result.every((x) => x.value[1] === '1'),
    );
    expect(up.result.map((r) => r.metric.node).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(await queuesAlerts()).toEqual([]);

    // Fill node 2: queues_max 4, four queues.
    const full = nodes[1]!;
    inNs(full, ['sh', '-c', 'echo 4 > /proc/sys/fs/mqueue/queues_max']);
    for (let i = 0; i < 4; i++) expect(inNs(full, [oracle, 'create', `/fill${i}`, '2', '64']).stdout.trim()).toBe('OK');
    const firing = await until('the alert firing', queuesAlerts, (a) => a.filter((x) => x.state === 'firing').length === 2);
    expect(new Set(firing.map((a) => a.labels.severity))).toEqual(new Set(['warning', 'critical']));
    for (const a of firing) expect(a.labels).toMatchObject({ node: 'node-2', instance: `${full.host}:${full.port}`, host: 'false' });
    // The other nodes' queues: none, and no alert for them.
    expect(firing.filter((a) => a.labels.node !== 'node-2')).toEqual([]);

    for (let i = 0; i < 4; i++) inNs(full, [oracle, 'unlink', `/fill${i}`]);
    await until('the alert resolved', queuesAlerts, (a) => a.length === 0);
  }, 90_000);
});
