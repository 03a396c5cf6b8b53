// Start-up benchmark: median wall time of every command's cold start, as a ratio
// to a bare `node -e 0` measured in the same run (interleaved, so machine noise
// hits both alike), with the target beside it (issue 12's table). `limits` at
// 10,000 queues is bench/limits.mjs (`npm run bench` runs both).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { roundRatio } from './lib/rounds.mjs';
import { dropStartupCost } from './lib/env.mjs';

const { extraCaCerts } = dropStartupCost();
// The launcher's own saving, where a machine sets NODE_EXTRA_CA_CERTS (or could: Debian's bundle).
const CA_BUNDLE = extraCaCerts ?? (existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : undefined);

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 31);

// The container entrypoint, measured inside a container's namespaces: a private
// IPC namespace with an mqueue mount and, as docker, podman and Kubernetes give a
// container by default, a PID namespace of its own (its /proc shows only its own
// processes). The times are taken in there, against `node -e 0` in the same
// namespaces: no wrapper (unshare, sh, mount) is in either. The same with the
// host's PID namespace (--pid=host), where every host process is visible to the
// preflight's scans, is printed beside it.
const CONTAINER_CASES = {
  'node -e 0': [process.execPath, '-e', '0'],
  'preflight --maxmsg 10 --msgsize 8192 -- true': [BIN, 'preflight', '--maxmsg', '10', '--msgsize', '8192', '--', 'true'],
  // Without measuring, root's charge elsewhere cannot be told, and the preflight fails closed unless told to ignore it.
  'preflight --no-measure --ignore MQ-RLIMIT-MSGQUEUE … -- true': [BIN, 'preflight', '--no-measure', '--ignore', 'MQ-RLIMIT-MSGQUEUE', '--maxmsg', '10', '--msgsize', '8192', '--', 'true'],
};

if (process.argv[2] === '--container-inner') {
  const samples = Object.fromEntries(Object.keys(CONTAINER_CASES).map((k) => [k, []]));
  for (const [file, ...argv] of Object.values(CONTAINER_CASES)) once({ file, args: argv });
  for (let i = 0; i < RUNS; i++) for (const [k, [file, ...argv]] of Object.entries(CONTAINER_CASES)) samples[k].push(once({ file, args: argv }));
  process.stdout.write(JSON.stringify(samples));
  process.exit(0);
}

/** CONTAINER_CASES timed in fresh namespaces: { samples }, or { skipped: why } where they cannot be made here. */
function containerPhase(ownPidNamespace) {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--mount-proc', 'true']).status !== 0) {
    return { skipped: 'needs root and unshare for private IPC, mount and PID namespaces' };
  }
  const mqdir = mkdtempSync(join(tmpdir(), 'mqd-bench-'));
  try {
    const ns = ownPidNamespace ? ['--ipc', '--mount', '--pid', '--mount-proc', '--fork'] : ['--ipc', '--mount', '--fork'];
    const inner = `mount -t mqueue none ${mqdir} && exec ${process.execPath} ${fileURLToPath(import.meta.url)} --container-inner`;
    const r = spawnSync('unshare', [...ns, 'sh', '-c', inner], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_RUNS: String(RUNS) } });
    if (r.status !== 0) throw new Error(`the container phase exited ${r.status}`);
    return { samples: JSON.parse(r.stdout) };
  } finally {
    // Only a mount point inside the phase's own mount namespace: empty out here.
    rmSync(mqdir, { recursive: true, force: true });
  }
}

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
  'check --sysv --msgsize 8192': [BIN, 'check', '--sysv', '--msgsize', '8192'],
  'tune --format all': [BIN, 'tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all'],
  'explain EMFILE': [BIN, 'explain', 'EMFILE'],
  '--help': [BIN, '--help'],
  // yargs itself: a request the build did not record (src/cli/help-store.ts).
  '--maxmsg 1 check --help (yargs)': [BIN, '--maxmsg', '1', 'check', '--help'],
  'check --help': [BIN, 'check', '--help'],
  ...(CA_BUNDLE
    ? {
        'NODE_EXTRA_CA_CERTS set: node -e 0': { file: process.execPath, args: ['-e', '0'], env: { NODE_EXTRA_CA_CERTS: CA_BUNDLE } },
        'NODE_EXTRA_CA_CERTS set: mq-doctor check …': { file: BIN, args: ['check', '--maxmsg', '3600', '--msgsize', '16384'], env: { NODE_EXTRA_CA_CERTS: CA_BUNDLE } },
      }
    : {}),
};

function once(args) {
  const [file, argv] = Array.isArray(args) ? [process.execPath, args] : [args.file, args.args];
  const env = !Array.isArray(args) && args.env ? { ...process.env, ...args.env } : process.env;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
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
// Each phase against its own `node -e 0`, rounds interleaved within it.
const phases = { 'container: ': containerPhase(true), 'host-PID container: ': containerPhase(false) };
for (const [prefix, phase] of Object.entries(phases)) {
  if (phase.skipped) console.log(`(${prefix}not measured: ${phase.skipped})`);
  else for (const [k, xs] of Object.entries(phase.samples)) samples[prefix + k] = xs;
}

const base = median(samples['node -e 0 (baseline)']);
console.log(`median of ${RUNS} interleaved runs, node ${process.version}; ratios to the host's node -e 0, except the container rows' (to their own)`);
console.log(`every run without NODE_EXTRA_CA_CERTS${extraCaCerts !== undefined ? ` (this environment sets it to ${extraCaCerts})` : ''}, but the two rows that say it is set`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  const phase = Object.keys(phases).find((prefix) => name.startsWith(prefix));
  const own = phase ? median(samples[`${phase}node -e 0`]) : base;
  console.log(`${name.padEnd(46)} ${m.toFixed(1).padStart(7)} ms  ${(m / own).toFixed(2)}×`);
}
// Targets: issue 12 (a bare V8 start with an empty snapshot is already ~1.07×).
const targets = [
  ['check --maxmsg 3600 --msgsize 16384', 'node -e 0 (baseline)', 1.2],
  ['limits', 'node -e 0 (baseline)', 1.2],
  ['container: preflight --maxmsg 10 --msgsize 8192 -- true', 'container: node -e 0', 1.2],
  // Not a target: a container that shares the host's PID namespace, where the preflight's scans see every host process.
  ['host-PID container: preflight --maxmsg 10 --msgsize 8192 -- true', 'host-PID container: node -e 0', null],
  ['check --sysv --msgsize 8192', 'node -e 0 (baseline)', 1.3],
  ['tune --format all', 'node -e 0 (baseline)', 1.3],
  ['--help', 'node -e 0 (baseline)', 1.5],
];
console.log('');
let over = false;
for (const [name, baseline, target] of targets) {
  if (!samples[name]) {
    console.log(`${name.padEnd(58)} not measured here`);
    continue;
  }
  const { ratio, spread } = roundRatio(samples[name], samples[baseline]);
  if (target === null) {
    console.log(`${name.padEnd(58)} ${ratio.toFixed(2)}× ${spread}  (no target)`);
    continue;
  }
  over ||= ratio > target;
  console.log(`${name.padEnd(58)} ${ratio.toFixed(2)}× ${spread}  target ≤ ${target}×  ${ratio <= target ? 'OK' : 'OVER TARGET'}`);
}
if (CA_BUNDLE) {
  // Not a target: what the launcher saves where the variable is set (the daemon keeps it, for its TLS server).
  const withCa = median(samples['NODE_EXTRA_CA_CERTS set: node -e 0']);
  const { ratio, spread } = roundRatio(samples['NODE_EXTRA_CA_CERTS set: mq-doctor check …'], samples['NODE_EXTRA_CA_CERTS set: node -e 0']);
  console.log(`${'NODE_EXTRA_CA_CERTS set: mq-doctor check …'.padEnd(58)} ${ratio.toFixed(2)}× ${spread}  of node -e 0 with it set (${withCa.toFixed(0)} ms; ${CA_BUNDLE}), no target`);
}
process.exitCode = over ? 1 : 0;
