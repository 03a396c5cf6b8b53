// Start-up benchmark: median wall time of the commands users run at every
// container start, as a ratio to a bare `node -e 0` measured in the same run
// (interleaved, so machine noise hits both alike). Target for check: ≤ 1.25×.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/mq-doctor.cjs', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const TARGET = 1.25;

const cases = {
  'node -e 0 (baseline)': ['-e', '0'],
  'check --maxmsg 3600 --msgsize 16384': [BIN, 'check', '--maxmsg', '3600', '--msgsize', '16384'],
  'check --maxmsg 3600 --msgsize 16384 --json': [BIN, 'check', '--maxmsg', '3600', '--msgsize', '16384', '--json'],
  // As users run it: the bin as a program, through its /bin/sh launcher line.
  'mq-doctor check … (bin as a program)': { file: BIN, args: ['check', '--maxmsg', '3600', '--msgsize', '16384'] },
  limits: [BIN, 'limits'],
  'check --help (yargs)': [BIN, 'check', '--help'],
};

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
const ratio = median(samples['check --maxmsg 3600 --msgsize 16384']) / base;
console.log(`\ncheck / node -e 0 = ${ratio.toFixed(2)}× (target ≤ ${TARGET}×): ${ratio <= TARGET ? 'OK' : 'OVER TARGET'}`);
process.exitCode = ratio <= TARGET ? 0 : 1;
