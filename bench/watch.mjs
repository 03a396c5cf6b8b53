// Daemon scale benchmark: one IPC namespace holding 10,000 queues.
// Reports the probe time (what each interval costs), the /metrics latency,
// RSS, and idle CPU at the default 15 s interval. Targets: probe ≤ 150 ms,
// RSS ≤ 80 MB, idle CPU negligible. Needs root (a private IPC namespace).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const ADDON = fileURLToPath(new URL('../native/getrlimit/build/Release/getrlimit.node', import.meta.url));
const QUEUES = Number(process.env.BENCH_QUEUES ?? 10_000);
// 1 × 128 costs 224 bytes: a uid's default 819,200-byte budget holds 3,657, so three uids share the 10,000.
// Fresh uids for each daemon: the charge of a namespace that just ended lingers a moment, and
// the tests' uids (0, 1000) must not find this benchmark's queues charged to them.
const freshUids = () => [0, 1, 2].map(() => 300_000 + Math.floor(Math.random() * 100_000));
const PORT = 29469;

if (process.getuid?.() !== 0 || spawnSync('unshare', ['--ipc', '--mount', '--fork', 'true']).status !== 0) {
  console.log('bench/watch.mjs: skipped: needs root and unshare for a private IPC namespace');
  process.exit(0);
}
const per = Math.ceil(QUEUES / 3);
const create = (uid) =>
  `setpriv --reuid=${uid} --regid=${uid} --clear-groups ${process.execPath} -e '
    const a = require(${JSON.stringify(ADDON)}); const c = a.constants; let n = 0;
    for (let i = 0; i < ${per} && n < ${per}; i++) { const r = a.mqOpen("/bench-${uid}-" + i, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 128 }); if (!r.ok) { console.error(r.errno); process.exit(1); } a.mqClose(r.fd); n++; }'`;
const script = (uids) => `set -e; d=$(mktemp -d); mount -t mqueue none "$d"; echo ${QUEUES + 100} > /proc/sys/fs/mqueue/queues_max
${uids.map(create).join('\n')}
echo "queues: $(ls "$d" | wc -l)"
exec ${BIN} watch --interval "$INTERVAL" --listen 127.0.0.1:${PORT}`;

function run(interval) {
  const child = spawn('unshare', ['--ipc', '--mount', '--fork', '--kill-child', 'bash', '-c', script(freshUids())], { env: { ...process.env, INTERVAL: interval }, stdio: ['ignore', 'pipe', 'inherit'] });
  return child;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function metrics() {
  const t0 = performance.now();
  const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  return { ms: performance.now() - t0, text };
}
const value = (text, name) => Number(text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))?.split(' ').pop());
async function ready() {
  for (let i = 0; i < 600; i++) {
    await sleep(100);
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) return;
    } catch {}
  }
  throw new Error('the daemon did not come up');
}
const daemonPid = (child) => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
const cpuTicks = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
// unshare ignores SIGTERM while it waits: stop the daemon itself, then unshare follows.
const stop = async (child, pid) => {
  const gone = new Promise((r) => child.on('exit', r));
  process.kill(pid, 'SIGTERM');
  await gone;
};
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

// 1. Probe time: a 1 s interval, ten probes.
let child = run('1s');
child.stdout.on('data', (d) => process.stdout.write(d));
await ready();
const probes = [];
const scrapes = [];
for (let i = 0; i < 10; i++) {
  await sleep(1000);
  const m = await metrics();
  scrapes.push(m.ms);
  probes.push(value(m.text, 'mqdoctor_probe_duration_seconds') * 1000);
  if (i === 0) console.log(`queues seen: ${value(m.text, 'mqdoctor_posix_queues')}, exported one by one: ${QUEUES - value(m.text, 'mqdoctor_queues_aggregated')}`);
}
const pid = daemonPid(child);
const rss = rssMb(pid);
await stop(child, pid);

// 2. Idle CPU at the default interval.
child = run('15s');
await ready();
const idlePid = daemonPid(child);
await sleep(2000);
const probesBefore = value((await metrics()).text, 'mqdoctor_probes_total');
const t0 = cpuTicks(idlePid);
const IDLE_S = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
await sleep(IDLE_S * 1000);
const cpuS = (cpuTicks(idlePid) - t0) / 100;
const cpuPct = (cpuS / IDLE_S) * 100;
const idleProbes = value((await metrics()).text, 'mqdoctor_probes_total') - probesBefore;
// 3. /metrics alone: between probes (a scrape during a probe waits for it).
const alone = [];
for (let i = 0; i < 10; i++) {
  alone.push((await metrics()).ms);
  await sleep(200);
}
const idleRss = rssMb(idlePid);
await stop(child, idlePid);

const ok = (v, target) => (v <= target ? 'OK' : 'OVER TARGET');
console.log(`probe of ${QUEUES} queues: median ${median(probes).toFixed(1)} ms (max ${Math.max(...probes).toFixed(1)}) — target ≤ 150 ms: ${ok(median(probes), 150)}`);
console.log(`GET /metrics: median ${median(alone).toFixed(1)} ms between probes; ${median(scrapes).toFixed(1)} ms at a 1 s interval (may wait for a probe)`);
console.log(`probe + GET /metrics: ${(median(probes) + median(alone)).toFixed(1)} ms — target ≤ 150 ms: ${ok(median(probes) + median(alone), 150)}`);
console.log(`RSS after 10 probes at 1 s: ${rss.toFixed(1)} MB; at 15 s, after ${IDLE_S} s and 10 scrapes: ${idleRss.toFixed(1)} MB — target ≤ 80 MB: ${ok(Math.max(rss, idleRss), 80)}`);
console.log(`idle CPU at --interval 15s over ${IDLE_S} s: ${cpuPct.toFixed(2)}% of one core (${idleProbes} probe(s), ${idleProbes ? ((cpuS * 1000) / idleProbes).toFixed(0) : '?'} ms of CPU each)`);
