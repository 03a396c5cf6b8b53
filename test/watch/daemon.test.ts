// The daemon for real: in a private IPC namespace, with queues created and
// churned through nsenter, scraped by fetch, promtool and a real Prometheus.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { get, inNs, killAfterEachTest, scrape, sleep, startDaemon, track } from '../support/daemon.js';
import { gunzipSync } from 'node:zlib';
import { ROOT, namespaceSkipReason } from '../support/run-cli.js';
import { asUid, testUids } from '../kernel/lib/uids.js';
import { scratchDir } from '../support/scratch.js';
import { listenPort } from '../support/ports.js';

const nsSkip = namespaceSkipReason();
if (nsSkip) console.warn(`skipping daemon tests: ${nsSkip}`);
const hasPromtool = !spawnSync('promtool', ['--version']).error;
const hasPrometheus = !spawnSync('prometheus', ['--version']).error;
if (!hasPromtool) console.warn('skipping promtool check metrics: promtool is not installed (apt package prometheus)');
if (!hasPrometheus) console.warn('skipping the Prometheus scrape test: prometheus is not installed (apt package prometheus)');

let oracle = '';
const ADDON = join(ROOT, 'native/getrlimit/build/Release/getrlimit.node');

// A fresh high uid: the charge is per uid across namespaces, and low uids are shared with the machine.
const [CHARGED] = testUids(1, 5) as [number];

killAfterEachTest();
describe.skipIf(nsSkip !== null)('mq-doctor watch', () => {
  beforeAll(async () => {
    oracle = (await buildOracle()) ?? '';
  });

  it('exports what is really there, exactly, in a valid exposition', async () => {
    const d = await startDaemon([]);
    expect(inNs(d, [oracle, 'create', '/a', '10', '128']).stdout.trim()).toBe('OK');
    expect(inNs(d, [oracle, 'create', '/b', '5', '1024']).stdout.trim()).toBe('OK');
    expect(inNs(d, [...asUid(CHARGED), oracle, 'create', '/c', '3', '100']).stdout.trim()).toBe('OK');
    await sleep(500);
    const m = await scrape(d);
    const inode = spawnSync('readlink', [`/proc/${d.pid}/ns/ipc`], { encoding: 'utf8' }).stdout.trim().replace(/\D/g, '');
    const l = `namespace="${inode}",host="false"`;
    expect(m.value(`mqdoctor_posix_queues{${l}}`)).toBe(3);
    expect(m.value(`mqdoctor_posix_queues_max{${l}}`)).toBe(256);
    expect(m.value(`mqdoctor_sysctl{${l},name="fs.mqueue.msg_max"}`)).toBe(10);
    expect(m.value('mqdoctor_uid_charged_bytes{uid="0"}')).toBe(2240 + 5600);
    expect(m.value(`mqdoctor_uid_charged_bytes{uid="${CHARGED}"}`)).toBe(588);
    expect(m.value(`mqdoctor_queue_max_messages{namespace="${inode}",queue="/b"}`)).toBe(5);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    if (hasPromtool) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: m.text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('takes idle queues from its last probe after one stat each, and sees every send and receive at the next probe', async () => {
    const d = await startDaemon([], { interval: '250ms' });
    const inode = spawnSync('readlink', [`/proc/${d.pid}/ns/ipc`], { encoding: 'utf8' }).stdout.trim().replace(/\D/g, '');
    const node = (code: string) => {
      const r = inNs(d, [...asUid(CHARGED), process.execPath, '-e', `const a = require(${JSON.stringify(ADDON)}); const c = a.constants; ${code}`]);
      expect(r.stderr).toBe('');
    };
    node(`for (let i = 0; i < 30; i++) { const r = a.mqOpen('/idle' + i, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 4, msgsize: 8 }); if (!r.ok) throw new Error(r.errno); a.mqClose(r.fd); }`);
    const unchanged = async () => ((await (await fetch(`http://127.0.0.1:${d.port}/status`)).json()) as { namespaces: Array<{ queuesUnchanged: number }> }).namespaces[0]!.queuesUnchanged;
    /** The most queues one of the next probes took from the last (every 16th probe reads them all). */
    const mostUnchanged = async () => {
      let most = 0;
      for (let i = 0; i < 4; i++, await sleep(300)) most = Math.max(most, await unchanged());
      return most;
    };
    // Their stamps settle once the second they were made in has ended and one more has passed.
    await sleep(2500);
    expect(await mostUnchanged()).toBe(30);
    const messages = async (q: string) => {
      const m = await scrape(d);
      return [m.value(`mqdoctor_queue_messages{namespace="${inode}",queue="${q}"}`), m.value(`mqdoctor_queue_bytes{namespace="${inode}",queue="${q}"}`)];
    };
    node(`const r = a.mqOpen('/idle5', c.O_WRONLY, 0, null); a.mqSend(r.fd, Buffer.from('abc'), 0); a.mqSend(r.fd, Buffer.from('defg'), 0);`);
    await sleep(600);
    expect(await messages('/idle5')).toEqual([2, 7]);
    node(`const r = a.mqOpen('/idle5', c.O_RDONLY, 0, null); a.mqReceive(r.fd, 8);`);
    await sleep(600);
    expect(await messages('/idle5')).toEqual([1, 4]);
    // /idle5 holds a message now: its file is read for QSIZE at every probe, so it is never taken from the last.
    expect(await mostUnchanged()).toBe(29);
  }, 30_000);

  it('serves /healthz and /status, and nothing that writes', async () => {
    const d = await startDaemon([]);
    expect((await fetch(`http://127.0.0.1:${d.port}/healthz`)).status).toBe(200);
    const status = (await (await fetch(`http://127.0.0.1:${d.port}/status`)).json()) as { namespaces: unknown[] };
    expect(status.namespaces).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${d.port}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${d.port}/nope`)).status).toBe(404);
  });

  it("runs with the launcher's memory settings: two malloc arenas, a 1 MB young generation and gc(); a MALLOC_ARENA_MAX of the user's own stays", async () => {
    const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const d = await startDaemon([]);
    expect(environ(d.pid)).toContain('MALLOC_ARENA_MAX=2');
    const argv = readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(1, 3)).toEqual(['--max-semi-space-size=1', '--expose-gc']);
    const own = await startDaemon([], { env: { MALLOC_ARENA_MAX: '4' } });
    expect(environ(own.pid)).toContain('MALLOC_ARENA_MAX=4');
  });

  it('serves one probe\'s exposition as the same bytes to every scrape: HEAD, 304 and gzip included', async () => {
    const d = await startDaemon([], { interval: '1500ms' });
    expect(inNs(d, [oracle, 'create', '/cached', '4', '64']).stdout.trim()).toBe('OK');
    const url = `${d.base}/metrics`;
    // Just after a probe that saw the queue (its exposition is new), so that what follows falls within one probe interval.
    let seen = await get(url);
    for (let i = 0; i < 60; i++) {
      const now = await get(url);
      if (now.headers.etag !== seen.headers.etag && now.body.includes('queue="/cached"')) break;
      seen = now;
      await sleep(50);
    }
    const [a, b] = await Promise.all([get(url), get(url)]);
    expect(a.status).toBe(200);
    expect(a.body).toContain('queue="/cached"');
    expect(a.headers.etag).toMatch(/^"[0-9a-z]+-\d+"$/);
    expect(b.headers.etag).toBe(a.headers.etag);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(a.headers['content-length']).toBe(String(a.bytes.length));
    expect(a.headers['cache-control']).toBe('no-cache');
    expect(a.headers.vary).toBe('Accept-Encoding');
    expect(new Date(a.headers['last-modified'] as string).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const head = await get(url, { method: 'HEAD' });
    const etag = head.headers.etag as string;
    expect([head.status, head.bytes.length, head.headers['content-type']]).toEqual([200, 0, a.headers['content-type']]);
    expect(etag).toBe(a.headers.etag);
    const unchanged = await get(url, { headers: { 'if-none-match': etag } });
    expect([unchanged.status, unchanged.bytes.length, unchanged.headers.etag]).toEqual([304, 0, etag]);
    // Prometheus asks for gzip: the same text, compressed, under its own validator.
    const gz = await get(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.etag).toMatch(/-gz"$/);
    const text = gunzipSync(gz.bytes).toString();
    expect(text).toContain('mqdoctor_queue_max_messages{namespace=');
    expect(text).toMatch(/^# HELP /);
    // The next probe renders anew: a new validator, and the old one no longer matches.
    await sleep(1700);
    const later = await get(url, { headers: { 'if-none-match': etag } });
    expect(later.status).toBe(200);
    expect(later.headers.etag).not.toBe(etag);
  });

  it('survives churn: thousands of queues created and unlinked while it is scraped', async () => {
    const d = await startDaemon([], { setup: 'echo 1000 > /proc/sys/fs/mqueue/queues_max' });
    const churn = spawn('nsenter', ['--target', String(d.pid), '--ipc', process.execPath, '-e', `
      const a = require(${JSON.stringify(ADDON)}); const c = a.constants; const end = Date.now() + 3000; let n = 0;
      while (Date.now() < end) {
        const names = []; for (let i = 0; i < 200; i++) { const name = '/churn' + i; const r = a.mqOpen(name, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 128 }); if (r.ok) { a.mqClose(r.fd); names.push(name); n++; } }
        for (const name of names) a.mqUnlink(name);
      }
      console.log(n);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(churn);
    let created = '';
    churn.stdout!.on('data', (x) => (created += x));
    const churnDone = new Promise((r) => churn.on('exit', r));
    let scrapes = 0;
    while (churn.exitCode === null && scrapes < 200) {
      const m = await scrape(d);
      for (const line of m.text.split('\n').filter((x) => x.startsWith('mqdoctor_'))) {
        expect(Number(line.split(' ').pop())).toBeGreaterThanOrEqual(0);
      }
      const q = m.value(m.text.split('\n').find((x) => x.startsWith('mqdoctor_posix_queues{'))?.split(' ')[0] ?? 'none');
      if (q !== undefined) expect(q).toBeLessThanOrEqual(1000);
      scrapes++;
      await sleep(50);
    }
    await churnDone;
    expect(Number(created)).toBeGreaterThan(1000);
    await sleep(500);
    const after = await scrape(d);
    // Everything was unlinked: nothing stale stays behind.
    expect(after.text).not.toMatch(/queue="\/churn/);
    expect(after.text).toMatch(/mqdoctor_posix_queues\{[^}]*\} 0/);
    expect((await fetch(`http://127.0.0.1:${d.port}/healthz`)).status).toBe(200);
    expect(scrapes).toBeGreaterThan(5);
  });

  it('logs each queue-full transition once: 300 full queues while others churn for 4 s', async () => {
    const d = await startDaemon([], { setup: 'echo 1000 > /proc/sys/fs/mqueue/queues_max' });
    const fill = inNs(d, [process.execPath, '-e', `
      const a = require(${JSON.stringify(ADDON)}); const c = a.constants; let n = 0;
      for (let i = 0; i < 300; i++) {
        const r = a.mqOpen('/full' + i, c.O_RDWR|c.O_CREAT|c.O_NONBLOCK, 0o600, { maxmsg: 1, msgsize: 16 });
        if (r.ok && a.mqSend(r.fd, Buffer.from('x'), 0).ok) n++;
        if (r.ok) a.mqClose(r.fd);
      }
      console.log(n);`]);
    expect(fill.stdout.trim(), fill.stderr).toBe('300');
    const churn = track(spawn('nsenter', ['--target', String(d.pid), '--ipc', process.execPath, '-e', `
      const a = require(${JSON.stringify(ADDON)}); const c = a.constants; const end = Date.now() + 4000;
      while (Date.now() < end) {
        for (let i = 0; i < 100; i++) { const r = a.mqOpen('/churn' + i, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 16 }); if (r.ok) a.mqClose(r.fd); }
        for (let i = 0; i < 100; i++) a.mqUnlink('/churn' + i);
      }`], { stdio: 'ignore' }));
    await new Promise((r) => churn.on('exit', r));
    await sleep(600);
    const full = d.logs().split('\n').filter((l) => l.includes('"queue is full'));
    const names = full.map((l) => (JSON.parse(l) as { queue: string }).queue);
    expect(names).toHaveLength(300);
    expect(new Set(names).size).toBe(300);
    expect(d.logs()).not.toMatch(/queue is no longer full/);
    // Draining one logs that one transition, once.
    inNs(d, [process.execPath, '-e', `const a = require(${JSON.stringify(ADDON)}); const r = a.mqOpen('/full7', a.constants.O_RDWR|a.constants.O_NONBLOCK, 0, null); a.mqReceive(r.fd, 16);`]);
    await sleep(800);
    expect(d.logs().match(/queue is no longer full/g)).toHaveLength(1);
  }, 30_000);

  it('reports the real event-loop lag when idle (no 1 s artefact), and no histogram gauges', async () => {
    const d = await startDaemon([], { interval: '1s' });
    await sleep(2500);
    await scrape(d);
    const m = await scrape(d);
    const lag = m.value('nodejs_eventloop_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(0.2);
    expect(m.text).not.toMatch(/^nodejs_eventloop_lag_(min|max|mean|stddev|p50|p90|p99)_seconds/m);
  });

  it('stops within a second on SIGTERM, and reloads its profile on SIGHUP', async () => {
    const dir = scratchDir('mqd-watch-');
    const profile = join(dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ name: 'w', workload: { queues: [{ maxmsg: 40, msgsize: 128 }] } }));
    const d = await startDaemon(['--profile', profile]);
    process.kill(d.pid, 'SIGHUP');
    await sleep(300);
    expect(d.logs()).toMatch(/SIGHUP: profile reloaded/);
    const t = Date.now();
    process.kill(d.pid, 'SIGTERM');
    const code = await new Promise<number | null>((r) => d.proc.on('exit', r));
    expect(Date.now() - t).toBeLessThan(1000);
    expect(code).toBe(0);
  });

  it('reports drift and, with --enforce, repairs it through the safe writer', async () => {
    const dir = scratchDir('mqd-watch-');
    const profile = join(dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ name: 'w', workload: { queues: [{ maxmsg: 40, msgsize: 128 }] } }));
    // Private copies of the paths apply writes, so the host's are never touched.
    const privatePaths = 'mount -t tmpfs none /etc/sysctl.d; mount -t tmpfs none /var/lib';
    const watching = await startDaemon(['--profile', profile], { setup: privatePaths });
    await sleep(400);
    expect((await scrape(watching)).value('mqdoctor_drift{key="fs.mqueue.msg_max"}')).toBe(1);
    expect(inNs(watching, ['cat', '/proc/sys/fs/mqueue/msg_max']).stdout.trim()).toBe('10');
    expect(watching.logs()).toMatch(/drift: the live value is below the profile/);

    const enforcing = await startDaemon(['--profile', profile, '--enforce'], { setup: privatePaths });
    await sleep(400);
    expect(inNs(enforcing, ['cat', '/proc/sys/fs/mqueue/msg_max']).stdout.trim()).toBe('40');
    inNs(enforcing, ['sh', '-c', 'echo 10 > /proc/sys/fs/mqueue/msg_max']);
    await sleep(600);
    expect(inNs(enforcing, ['cat', '/proc/sys/fs/mqueue/msg_max']).stdout.trim()).toBe('40');
    expect(enforcing.logs().match(/drift repaired/g)?.length).toBeGreaterThanOrEqual(2);
    expect((await scrape(enforcing)).value('mqdoctor_drift{key="fs.mqueue.msg_max"}')).toBe(0);
  });

  it("--all-namespaces reads a container's queues from outside, through /proc/PID/root", async () => {
    // A "container": its own IPC and mount namespaces, an mqueue mount, two queues.
    const holder = spawn('unshare', ['--ipc', '--mount', '--fork', '--kill-child', 'bash', '-c',
      `d=$(mktemp -d); mount -t mqueue none "$d"; ${oracle} create /in-container 4 256 >/dev/null; echo 77 > /proc/sys/fs/mqueue/queues_max; echo ready; exec sleep 30`], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(holder);
    await new Promise<void>((r) => holder.stdout!.on('data', (x) => String(x).includes('ready') && r()));
    const holderPid = Number(readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ')[0]);
    const inode = spawnSync('readlink', [`/proc/${holderPid}/ns/ipc`], { encoding: 'utf8' }).stdout.trim().replace(/\D/g, '');
    // The daemon itself runs in yet another namespace: the holder's is not its own.
    const d = await startDaemon(['--all-namespaces']);
    await sleep(500);
    const m = await scrape(d);
    expect(m.value(`mqdoctor_posix_queues{namespace="${inode}",host="false"}`)).toBe(1);
    expect(m.value(`mqdoctor_posix_queues_max{namespace="${inode}",host="false"}`)).toBe(77);
    expect(m.value(`mqdoctor_queue_max_messages{namespace="${inode}",queue="/in-container"}`)).toBe(4);
    expect(m.text).toMatch(/mqdoctor_posix_queues\{namespace="4026531839",host="true"\}|mqdoctor_probe_errors_total\{kind="queue"\}/);
  });

  it.skipIf(!hasPrometheus)('is scraped by a real Prometheus, and a query returns the queue count', async () => {
    const d = await startDaemon([]);
    for (const q of ['/p1', '/p2']) inNs(d, [oracle, 'create', q, '2', '128']);
    const dir = scratchDir('mqd-prom-');
    const promPort = listenPort();
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: mq-doctor\n    static_configs:\n      - targets: ['127.0.0.1:${d.port}']\n`);
    const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' });
    track(prom);
    let result: number | undefined;
    for (let i = 0; i < 60 && result === undefined; i++) {
      await sleep(500);
      try {
        const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=mqdoctor_posix_queues`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
        if (r.data.result.length) result = Number(r.data.result[0]!.value[1]);
      } catch {
        // Prometheus is still starting
      }
    }
    expect(result).toBe(2);
  }, 60_000);
});
