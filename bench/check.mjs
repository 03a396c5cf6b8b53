// Start-up benchmark: median wall time of every command's cold start, as a ratio
// to a bare `node -e 0` measured in the same run (interleaved, so machine noise
// hits both alike), with the target beside it (issue 12's table). `limits` at
// 10,000 queues is bench/limits.mjs (`npm run bench` runs both).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roundRatio } from './lib/rounds.mjs';

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 31);

const cases = {
  'node -e 0 (baseline)': ['-e', '0'],
  'check --maxmsg 3600 --msgsize 16384': [BIN, 'check', '--maxmsg', '3600', '--msgsize', '16384'],
  'check --maxmsg 3600 --msgsize 16384 --json': [BIN, 'check', '--maxmsg', '3600', '--msgsize', '16384', '--json'],
  // As users run it: the bin as a program, through its /bin/sh launcher line.
  'mq-doctor check … (bin as a program)': { file: BIN, args: ['check', '--maxmsg', '3600', '--msgsize', '16384'] },
  // The RLIMIT check decides here (the sysctls allow the queue); --measure forks its helper.
  'check --maxmsg 10 --msgsize 100': [BIN, 'check', '--maxmsg', '10', '--msgsize', '100'],
  'check --maxmsg 10 --msgsize 100 --measure': [BIN, 'check', '--maxmsg', '10', '--msgsize', '100', '--measure'],
  limits: [BIN, 'limits'],
  // The container entrypoint, measured as in a container: a private IPC namespace
  // with an mqueue mount, against `node -e 0` under the same wrapper.
  ...containerCases(),
  'check --sysv --msgsize 8192': [BIN, 'check', '--sysv', '--msgsize', '8192'],
  'tune --format all': [BIN, 'tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all'],
  'explain EMFILE': [BIN, 'explain', 'EMFILE'],
  '--help (yargs)': [BIN, '--help'],
  'check --help (yargs)': [BIN, 'check', '--help'],
};

function containerCases() {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['--ipc', '--mount', '--fork', 'true']).status !== 0) {
    console.log('(preflight measured without a private namespace: needs root and unshare)');
    return {
      'container: node -e 0': ['-e', '0'],
      'container: preflight --maxmsg 10 --msgsize 8192 -- true': [BIN, 'preflight', '--maxmsg', '10', '--msgsize', '8192', '--', 'true'],
    };
  }
  const mqdir = mkdtempSync(join(tmpdir(), 'mqd-bench-'));
  // Only a mount point inside each run's own mount namespace: empty out here, removed at the end.
  process.on('exit', () => rmSync(mqdir, { recursive: true, force: true }));
  const wrap = (cmd) => ({ file: 'unshare', args: ['--ipc', '--mount', '--fork', 'sh', '-c', `mount -t mqueue none ${mqdir} && exec ${cmd}`] });
  return {
    'container: node -e 0': wrap(`${process.execPath} -e 0`),
    'container: preflight --maxmsg 10 --msgsize 8192 -- true': wrap(`${BIN} preflight --maxmsg 10 --msgsize 8192 -- true`),
    // Without measuring, root's charge elsewhere cannot be told, and the preflight fails closed unless told to ignore it.
    'container: preflight --no-measure --ignore MQ-RLIMIT-MSGQUEUE … -- true': wrap(`${BIN} preflight --no-measure --ignore MQ-RLIMIT-MSGQUEUE --maxmsg 10 --msgsize 8192 -- true`),
  };
}

function once(args) {
  const [file, argv] = Array.isArray(args) ? [process.execPath, args] : [args.file, args.args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`${file} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const args of Object.values(cases)) once(args); // warm the page cache
for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(cases)) samples[name].push(once(args));

const base = median(samples['node -e 0 (baseline)']);
console.log(`median of ${RUNS} interleaved runs, node ${process.version}`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(46)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}×`);
}
// Targets: issue 12 (a bare V8 start with an empty snapshot is already ~1.07×).
const targets = [
  ['check --maxmsg 3600 --msgsize 16384', 'node -e 0 (baseline)', 1.2],
  ['limits', 'node -e 0 (baseline)', 1.2],
  ['container: preflight --maxmsg 10 --msgsize 8192 -- true', 'container: node -e 0', 1.2],
  ['check --sysv --msgsize 8192', 'node -e 0 (baseline)', 1.3],
  ['tune --format all', 'node -e 0 (baseline)', 1.3],
  ['--help (yargs)', 'node -e 0 (baseline)', 1.5],
];
console.log('');
let over = false;
for (const [name, baseline, target] of targets) {
  const { ratio, spread } = roundRatio(samples[name], samples[baseline]);
  over ||= ratio > target;
  console.log(`${name.padEnd(58)} ${ratio.toFixed(2)}× ${spread}  target ≤ ${target}×  ${ratio <= target ? 'OK' : 'OVER TARGET'}`);
}
process.exitCode = over ? 1 : 0;
