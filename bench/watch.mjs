// Daemon scale benchmark (issue 12): `watch` in a private IPC namespace holding
// 1,000, 10,000 and 50,000 queues, idle and under continuous scraping, and
// node_exporter scraped the same way in the same run.
//   npm run bench:watch                       all three sizes
//   BENCH_SIZES=10000 BENCH_SCRAPE_SECONDS=5 npm run bench:watch
// Targets: probe ≤ 5 µs per queue; RSS under 10 scrapers ≤ 80 MB at 10,000
// queues and ≤ 110 MB at 50,000; p99 scrape ≤ 50 ms at 10 scrapers, and below
// node_exporter's at 50. Needs root (a private IPC namespace).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dropStartupCost } from './lib/env.mjs';

// The daemon as a DaemonSet runs it: without the machine's NODE_EXTRA_CA_CERTS (1.8 MB of RSS here).
dropStartupCost();

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const ADDON = fileURLToPath(new URL('../native/getrlimit/build/Release/getrlimit.node', import.meta.url));
const SCRAPERS = fileURLToPath(new URL('./lib/scrapers.mjs', import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const SCRAPE_S = Number(process.env.BENCH_SCRAPE_SECONDS ?? 10);
// Short enough that probes happen while the scrapers run: a scrape must not wait for one.
const INTERVAL = process.env.BENCH_INTERVAL ?? '5s';
// What the scrapers accept: gzip, as Prometheus asks; BENCH_ENCODING=identity for plain text.
const ENCODING = process.env.BENCH_ENCODING ?? 'gzip';
// Probes timed before any scraping: on two cores, 50 scrapers slow the probe down as much as anything it does.
// The first reads every queue whole; the later ones take the queues unchanged since
// the last probe from it (MqDirCache: one stat each), as a daemon does all day.
const IDLE_PROBES = 6;
const PORT = 29469;
const NE_PORT = 29470;
// A 1×1 queue is charged 97 bytes on 64-bit (`mq-doctor check --maxmsg 1 --msgsize 1`):
// 8,000 fit a default 819,200-byte budget.
const PER_UID = 8_000;
// Fresh high uids for each daemon: the charge is per uid across every namespace, so
// nothing else on this machine may hold queues under them (checked below).
const freshUids = (n) => Array.from({ length: n }, () => 400_000 + Math.floor(Math.random() * 100_000));

if (process.getuid?.() !== 0 || spawnSync('unshare', ['--ipc', '--mount', '--fork', 'true']).status !== 0) {
  console.log('bench/watch.mjs: skipped: needs root and unshare for a private IPC namespace');
  process.exit(0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const value = (text, name) => Number(text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))?.split(' ').pop());

function daemonScript(queues) {
  const uids = freshUids(Math.ceil(queues / PER_UID));
  const create = (uid, count) =>
    `setpriv --reuid=${uid} --regid=${uid} --clear-groups ${process.execPath} -e '
      const a = require(${JSON.stringify(ADDON)}); const c = a.constants;
      for (let i = 0; i < ${count}; i++) { const r = a.mqOpen("/bench-${uid}-" + i, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 1 }); if (!r.ok) { console.error("uid ${uid}: queue " + i + ": " + r.errno); process.exit(1); } a.mqClose(r.fd); }'`;
  let left = queues;
  const lines = uids.map((uid) => {
    const n = Math.min(PER_UID, left);
    left -= n;
    // A uid that already holds queues (here: in the host's namespace) would make the budget a guess.
    return `if [ -n "$(find /dev/mqueue -user ${uid} 2>/dev/null)" ]; then echo "uid ${uid} holds queues" >&2; exit 1; fi\n${create(uid, n)}`;
  });
  return `set -e; d=$(mktemp -d); mount -t mqueue none "$d"; echo ${queues + 100} > /proc/sys/fs/mqueue/queues_max
${lines.join('\n')}
[ "$(ls "$d" | wc -l)" = ${queues} ] || { echo "expected ${queues} queues" >&2; exit 1; }
exec ${BIN} watch --interval ${INTERVAL} --listen 127.0.0.1:${PORT}`;
}

async function ready(port, path, child) {
  for (let i = 0; i < 1200; i++) {
    await sleep(100);
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.spawnargs[0]} exited before it answered`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}${path}`)).ok) return;
    } catch {}
  }
  throw new Error(`nothing answered on port ${port}`);
}

function scrape(port, concurrency) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRAPERS, `http://127.0.0.1:${port}/metrics`, String(concurrency), String(SCRAPE_S), ENCODING], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`scrapers exited with ${code}`))));
  });
}

/** Runs fn while sampling the process's RSS every 100 ms: its result, the peak and the last sample. */
async function sampling(pid, fn) {
  const samples = [];
  const timer = setInterval(() => samples.push(rssMb(pid)), 100);
  const result = await fn();
  clearInterval(timer);
  samples.push(rssMb(pid));
  return { result, peak: Math.max(...samples), last: samples.at(-1) };
}

async function measureDaemon(queues) {
  const child = spawn('unshare', ['--ipc', '--mount', '--fork', '--kill-child', 'bash', '-c', daemonScript(queues)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((r) => child.on('exit', r));
  await ready(PORT, '/healthz', child);
  const pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
  // Every probe's duration, read off the exposition twice a second.
  const probes = new Map();
  const poll = setInterval(async () => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
      probes.set(value(text, 'mqdoctor_probes_total'), value(text, 'mqdoctor_probe_duration_seconds') * 1000);
    } catch {}
  }, 500);
  // Idle first: the probe's own cost (the target), then RSS once a few probes have come and gone.
  while (probes.size < IDLE_PROBES) await sleep(250);
  const first = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  const seen = value(first, 'mqdoctor_posix_queues');
  if (seen !== queues) throw new Error(`the daemon sees ${seen} queues, not ${queues}`);
  const firstProbeMs = probes.get(1);
  const idleProbes = [...probes].filter(([n]) => n > 1).map(([, ms]) => ms);
  probes.clear();
  const idle = rssMb(pid);
  const at10 = await sampling(pid, () => scrape(PORT, 10));
  const at50 = await sampling(pid, () => scrape(PORT, 50));
  clearInterval(poll);
  // How many queues the last probe took from the one before (all, the queues being idle, but on every
  // 16th probe): asked last, since /status of 50,000 queues is a JSON document of megabytes.
  const unchanged = (await (await fetch(`http://127.0.0.1:${PORT}/status`)).json()).namespaces[0]?.queuesUnchanged ?? 0;
  process.kill(pid, 'SIGTERM');
  await exited;
  return { queues, unchanged, firstProbeMs, probeMs: median(idleProbes), probes: idleProbes.length, busyProbeMs: median([...probes.values()]), idle, at10, at50 };
}

async function measureNodeExporter() {
  const child = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${NE_PORT}`], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    await ready(NE_PORT, '/metrics', child);
    const at10 = await sampling(child.pid, () => scrape(NE_PORT, 10));
    const at50 = await sampling(child.pid, () => scrape(NE_PORT, 50));
    return { at10, at50 };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const ne = spawnSync('prometheus-node-exporter', ['--version']).status === 0 ? await measureNodeExporter() : null;
const rows = [];
for (const n of SIZES) rows.push(await measureDaemon(n));

const ok = (v, target) => (v <= target ? 'ok' : 'OVER');
const ms = (v) => `${v.toFixed(1)} ms`;
console.log(`\nwatch --interval ${INTERVAL}, ${SCRAPE_S} s of back-to-back scrapes per row (keep-alive connections, Accept-Encoding: ${ENCODING})`);
console.log('| queues | first probe (every queue read) | probe, idle | per queue (≤ 5 µs) | probe while scraped | RSS idle | RSS at 10 scrapers: peak / end | p50 / p99 at 10 (p99 ≤ 50 ms) | RSS at 50: peak | p99 at 50 (< node_exporter) | exposition (as sent) |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const perQueue = (r.probeMs * 1000) / r.queues;
  const rssTarget = r.queues >= 50_000 ? 110 : r.queues >= 10_000 ? 80 : Infinity;
  const rss = `${r.at10.peak.toFixed(0)} / ${r.at10.last.toFixed(0)} MB${rssTarget < Infinity ? ` (≤ ${rssTarget}: ${ok(Math.max(r.at10.peak, r.at50.peak), rssTarget)})` : ''}`;
  const vsNe = ne ? ` (${ok(r.at50.result.p99, ne.at50.result.p99)})` : '';
  console.log(
    `| ${r.queues} | ${r.firstProbeMs === undefined ? 'not seen' : `${ms(r.firstProbeMs)} (${((r.firstProbeMs * 1000) / r.queues).toFixed(2)} µs a queue)`} | ${ms(r.probeMs)} (median of ${r.probes}; the last probe's queues unchanged since the one before: ${r.unchanged}) | ${perQueue.toFixed(2)} µs ${ok(perQueue, 5)} | ${ms(r.busyProbeMs)} | ${r.idle.toFixed(0)} MB | ${rss} | ${ms(r.at10.result.p50)} / ${ms(r.at10.result.p99)} ${ok(r.at10.result.p99, 50)} (${r.at10.result.scrapes} scrapes) | ${r.at50.peak.toFixed(0)} MB | ${ms(r.at50.result.p99)}${vsNe} (${r.at50.result.scrapes} scrapes) | ${(r.at10.result.bytes / 1024).toFixed(0)} KB |`,
  );
}
if (ne) {
  console.log(
    `| node_exporter | | | | | | ${ne.at10.peak.toFixed(0)} / ${ne.at10.last.toFixed(0)} MB | ${ms(ne.at10.result.p50)} / ${ms(ne.at10.result.p99)} (${ne.at10.result.scrapes} scrapes) | ${ne.at50.peak.toFixed(0)} MB | ${ms(ne.at50.result.p99)} (${ne.at50.result.scrapes} scrapes) | ${(ne.at10.result.bytes / 1024).toFixed(0)} KB |`,
  );
} else console.log('node_exporter: not measured (apt-get install prometheus-node-exporter)');
// What each further queue costs, apart from what every probe pays whatever the
// queues (the scan of every process for their limits): the slope between sizes.
for (let i = 1; i < rows.length; i++) {
  const [a, b] = [rows[i - 1], rows[i]];
  const slope = ((b.probeMs - a.probeMs) * 1000) / (b.queues - a.queues);
  console.log(`probe per queue from ${a.queues} to ${b.queues} queues: ${slope.toFixed(2)} µs (≤ 5 µs: ${ok(slope, 5)}); the rest of a probe: ${(a.probeMs - (slope * a.queues) / 1000).toFixed(1)} ms`);
}
