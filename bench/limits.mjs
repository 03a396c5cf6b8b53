// `limits` at scale: one private IPC namespace holding 10,000 queues (three fresh
// uids, 1 × 128 each, as bench/watch.mjs creates them), then the median wall time
// of `mq-doctor limits` (text, --json, and lsipc-style list output) against a bare
// `node -e 0` in the same namespace. Needs root (a private IPC namespace).
//   node bench/limits.mjs            BENCH_QUEUES=N BENCH_RUNS=N
//   BENCH_BEFORE=/copy/of/an/older/bin/mq-doctor.cjs  also times that build, interleaved
//   (its addon: BENCH_BEFORE_ADDON=/path/getrlimit.node)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { roundRatio } from './lib/rounds.mjs';
import { dropStartupCost } from './lib/env.mjs';

dropStartupCost();

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const ADDON = fileURLToPath(new URL('../native/getrlimit/build/Release/getrlimit.node', import.meta.url));
const QUEUES = Number(process.env.BENCH_QUEUES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

if (process.argv[2] === '--inner') {
  // Inside the namespace: time each command, interleaved.
  const cases = {
    'node -e 0 (baseline)': [process.execPath, ['-e', '0']],
    limits: [BIN, ['limits']],
    'limits --json': [BIN, ['limits', '--json']],
    'limits --raw -o NAME,HOLDERS': [BIN, ['limits', '--raw', '-o', 'NAME,HOLDERS']],
    // check reads the queues and their holders (a queue unlinked but still open counts), not their files.
    'check --maxmsg 10 --msgsize 100': [BIN, ['check', '--maxmsg', '10', '--msgsize', '100'], false, true],
    // The floor: node, the addon and its one read of the mount, and nothing else
    // (with each queue file read, as limits does for NOTIFY_PID; and without).
    'floor: node + addon scan': [process.execPath, ['-e', `require(${JSON.stringify(ADDON)}).mqReadDir(${JSON.stringify(process.env.BENCH_DIR)}, true)`]],
    'floor: node + addon scan, no files': [process.execPath, ['-e', `require(${JSON.stringify(ADDON)}).mqReadDir(${JSON.stringify(process.env.BENCH_DIR)}, false)`]],
    ...(process.env.BENCH_BEFORE
      ? {
          'before: limits': [process.env.BENCH_BEFORE, ['limits'], true],
          'before: limits --json': [process.env.BENCH_BEFORE, ['limits', '--json'], true],
          'before: check --maxmsg 10 --msgsize 100': [process.env.BENCH_BEFORE, ['check', '--maxmsg', '10', '--msgsize', '100'], true, true],
        }
      : {}),
  };
  const once = ([file, args, before, anyCode]) => {
    const t0 = process.hrtime.bigint();
    const env = before && process.env.BENCH_BEFORE_ADDON ? { ...process.env, MQ_DOCTOR_ADDON: process.env.BENCH_BEFORE_ADDON } : process.env;
    const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, env });
    if (r.status !== 0 && !(anyCode && (r.status === 1 || r.status === 3))) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const c of Object.values(cases)) once(c);
  for (let i = 0; i < RUNS; i++) for (const [k, c] of Object.entries(cases)) samples[k].push(once(c));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples['node -e 0 (baseline)']);
  console.log(`median of ${RUNS} interleaved runs, ${process.env.BENCH_SEEN} queues in the namespace, node ${process.version}`);
  for (const [k, xs] of Object.entries(samples)) {
    const m = median(xs);
    console.log(`${k.padEnd(36)} ${m.toFixed(1).padStart(8)} ms  ${(m / base).toFixed(2)}×  (${(m - base).toFixed(1)} ms over node -e 0)`);
  }
  // Issue 12's target for limits at 10,000 queues, text and JSON.
  let over = false;
  console.log('');
  const rounds = (k) => roundRatio(samples[k], samples['node -e 0 (baseline)']);
  for (const k of ['limits', 'limits --json']) {
    const { ratio, spread } = rounds(k);
    over ||= ratio > 1.5;
    console.log(`${`${k}, ${process.env.BENCH_SEEN} queues`.padEnd(58)} ${ratio.toFixed(2)}× ${spread}  target ≤ 1.5×  ${ratio <= 1.5 ? 'OK' : 'OVER TARGET'}`);
  }
  const floor = rounds('floor: node + addon scan');
  console.log(`${'floor: node, the addon and its scan, nothing else'.padEnd(58)} ${floor.ratio.toFixed(2)}× ${floor.spread}  (what no limits run can go below here)`);
  process.exit(over ? 1 : 0);
}

if (process.getuid?.() !== 0 || spawnSync('unshare', ['--ipc', '--mount', '--fork', 'true']).status !== 0) {
  console.log('bench/limits.mjs: skipped: needs root and unshare for a private IPC namespace');
  process.exit(0);
}
// 1 × 128 costs 224 bytes: a uid's default 819,200-byte budget holds 3,657, so three uids share the 10,000.
const uids = [0, 1, 2].map(() => 300_000 + Math.floor(Math.random() * 100_000));
const per = Math.ceil(QUEUES / 3);
const create = (uid) =>
  `setpriv --reuid=${uid} --regid=${uid} --clear-groups ${process.execPath} -e '
    const a = require(${JSON.stringify(ADDON)}); const c = a.constants;
    for (let i = 0; i < ${per}; i++) { const r = a.mqOpen("/bench-${uid}-" + i, c.O_RDWR|c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 128 }); if (!r.ok) { console.error(r.errno); process.exit(1); } a.mqClose(r.fd); }'`;
const script = `set -e; d=$(mktemp -d); mount -t mqueue none "$d"; echo ${QUEUES + 100} > /proc/sys/fs/mqueue/queues_max
${uids.map(create).join('\n')}
export BENCH_SEEN=$(ls "$d" | wc -l) BENCH_DIR="$d"
${process.execPath} ${fileURLToPath(import.meta.url)} --inner
rm -f "$d"/*`;
const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'bash', '-c', script], { stdio: 'inherit' });
process.exit(r.status ?? 1);
