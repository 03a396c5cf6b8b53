// npm "install" script: builds the optional native addon with npm's own
// node-gyp. A failed build must never fail `npm install`: read-only diagnosis
// works from /proc alone, so we warn and exit 0.
//   node native/getrlimit/build.mjs [--verbose]   (--verbose: show compiler output)
//   MQ_DOCTOR_SKIP_ADDON=1                        skip the build entirely
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const verbose = process.argv.includes('--verbose');
const TAIL = 'read-only diagnosis still works; features that need a syscall will say they are unavailable';

function warn(reason) {
  process.stderr.write(`mq-doctor: native addon not built (${reason}); ${TAIL}\n`);
  process.exit(0);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The command that runs node-gyp, npm's bundled copy first: it is the one matched to this npm. */
function findNodeGyp() {
  const inNpm = (npmDir) => join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const scripts = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    process.env.npm_execpath && inNpm(join(dirname(process.env.npm_execpath), '..')),
    inNpm(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')),
  ];
  for (const s of scripts) {
    if (s && s.endsWith('.js') && existsSync(s)) return [process.execPath, [s]];
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = dir && join(dir, 'node-gyp');
    if (bin && isExecutable(bin)) return [bin, []];
  }
  // --no: never fetch node-gyp from the registry behind the user's back.
  return ['npm', ['exec', '--no', '--', 'node-gyp']];
}

/**
 * Outside npm the npmrc's nodedir is not seen, and node-gyp would try to
 * download headers. The headers installed next to this node binary (distro
 * packages, official tarballs) are the right ones, so use them when present.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir || process.argv.some((a) => a.startsWith('--nodedir'))) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  const headers = join(prefix, 'include', 'node');
  if (existsSync(join(headers, 'node_api.h')) && existsSync(join(headers, 'common.gypi'))) {
    return [`--nodedir=${prefix}`];
  }
  return [];
}

/** The first line of a failed build that says why, e.g. "not found: make" or a compiler error. */
function firstCause(output) {
  const lines = output.split('\n').map((l) => l.replace(/^gyp ERR! (stack )?/, '').trim());
  const hit =
    lines.find((l) => /fatal error|error:|not found|No such file|could not find|ENOENT|EACCES/i.test(l)) ??
    lines.find((l) => /error/i.test(l));
  return hit?.slice(0, 200);
}

if (process.env.MQ_DOCTOR_SKIP_ADDON === '1') warn('MQ_DOCTOR_SKIP_ADDON=1');

const [cmd, pre] = findNodeGyp();
const result = spawnSync(cmd, [...pre, 'rebuild', ...nodedirArgs()], {
  cwd: here,
  env: process.env,
  stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 5 * 60 * 1000, // never hang an install, e.g. on a header download with no network
  maxBuffer: 64 * 1024 * 1024,
});

const addon = join(here, 'build', 'Release', 'getrlimit.node');
if (result.status === 0 && existsSync(addon)) {
  if (verbose) process.stdout.write(`mq-doctor: native addon built: ${addon}\n`);
  process.exit(0);
}

let reason;
if (result.error) {
  reason = result.error.code === 'ETIMEDOUT' ? 'node-gyp timed out' : `cannot run ${cmd}: ${result.error.message}`;
} else {
  const cause = verbose ? undefined : firstCause(`${result.stderr}\n${result.stdout}`);
  reason = cause || `node-gyp exited with ${result.status ?? result.signal}`;
}
if (!verbose && (result.stdout || result.stderr)) {
  const log = join(here, 'build', 'build.log');
  try {
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(log, `${cmd} ${pre.join(' ')} rebuild\n\n${result.stdout}\n${result.stderr}`);
    reason += `; log: ${log}`;
  } catch {
    // an unwritable package dir must not turn a warning into a failure
  }
}
warn(reason);
