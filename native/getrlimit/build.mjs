// npm "install" script for the optional native addon. A prebuild shipped in
// prebuilds/ that node-gyp-build finds and that loads here needs nothing more
// (that is also why an install with --ignore-scripts still has the full addon).
// Otherwise, or in a git checkout, it compiles with npm's own node-gyp. A failed
// build must never fail `npm install`: read-only diagnosis works from /proc
// alone, so we warn and exit 0.
//   node native/getrlimit/build.mjs [--verbose]   (--verbose: show compiler output)
//   MQ_DOCTOR_SKIP_ADDON=1                        skip the build entirely
//   npm install --build-from-source               compile even where a prebuild loads
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, localNodedir } from './node-gyp.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const verbose = process.argv.includes('--verbose');
const TAIL = 'read-only diagnosis still works; features that need a syscall will say they are unavailable';

function warn(reason) {
  process.stderr.write(`mq-doctor: native addon not built (${reason}); ${TAIL}\n`);
  process.exit(0);
}

/**
 * What mq-doctor itself would load (node-gyp-build's choice: build/Release,
 * then a prebuild matching platform, arch and libc), loaded in a child so
 * that a binary that cannot be loaded here costs the install nothing but a compile.
 */
function loadable() {
  let loader;
  try {
    loader = createRequire(import.meta.url).resolve('node-gyp-build');
  } catch {
    return { ok: false, why: 'node-gyp-build is not installed' };
  }
  const probe = `
    const first = (e) => String(e && e.message).split('\\n')[0];
    const say = (o) => process.stdout.write(JSON.stringify(o));
    let file;
    try { file = require(${JSON.stringify(loader)}).path(${JSON.stringify(here)}); }
    catch (e) { say({ none: first(e) }); process.exit(1); }
    try { require(file); } catch (e) { say({ file, error: first(e) }); process.exit(1); }
    say({ file });`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 30_000 });
  let said;
  try {
    said = JSON.parse(r.stdout);
  } catch {
    return { ok: false, why: `node-gyp-build's lookup failed: ${(r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n')[0]}` };
  }
  if (r.status === 0) return { ok: true, file: said.file };
  if (said.error) return { ok: false, why: `${said.file} does not load: ${said.error}` };
  return { ok: false, why: `no prebuild for ${wanted(said.none)}` };
}

/** "No native build was found for platform=linux arch=arm64 … libc=glibc …" (node-gyp-build) as "linux-arm64 glibc". */
function wanted(message) {
  const tag = Object.fromEntries([...message.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  return tag.platform && tag.arch ? `${tag.platform}-${tag.arch} ${tag.libc ?? ''}`.trim() : message;
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

// In a checkout the sources move on under any earlier build or prebuild, so it
// compiles every time, as before prebuilds existed (npm never packs .git).
const mustCompile = process.env.npm_config_build_from_source === 'true' || existsSync(join(here, '..', '..', '.git'));
let notFound;
if (!mustCompile) {
  const found = loadable();
  if (found.ok) {
    if (verbose) process.stdout.write(`mq-doctor: native addon found, nothing to compile: ${found.file}\n`);
    process.exit(0);
  }
  notFound = found.why;
}

const [cmd, pre] = findNodeGyp();
const nodedir = localNodedir();
// -j max: the ten sources compile in parallel (15 s → 10 s on two cores).
const jobs = process.env.npm_config_jobs || process.argv.some((a) => /^(-j|--jobs)/.test(a)) ? [] : ['--jobs=max'];
const args = [...pre, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : []), ...jobs];
const result = spawnSync(cmd, args, {
  cwd: here,
  env: process.env,
  stdio: verbose ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 5 * 60 * 1000, // never hang an install, e.g. on a header download with no network
  maxBuffer: 64 * 1024 * 1024,
});

let reason;
if (result.status === 0) {
  const built = loadable();
  if (built.ok) {
    if (verbose) process.stdout.write(`mq-doctor: native addon built: ${built.file}\n`);
    process.exit(0);
  }
  reason = `node-gyp succeeded but the addon does not load: ${built.why}`;
} else if (result.error) {
  reason = result.error.code === 'ETIMEDOUT' ? 'node-gyp timed out' : `cannot run ${cmd}: ${result.error.message}`;
} else {
  const cause = verbose ? undefined : firstCause(`${result.stderr}\n${result.stdout}`);
  reason = cause || `node-gyp exited with ${result.status ?? result.signal}`;
}
if (notFound) reason = `${notFound}; compiling instead failed: ${reason}`;
if (!verbose && (result.stdout || result.stderr)) {
  const log = join(here, 'build', 'build.log');
  try {
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(log, `${cmd} ${args.join(' ')}\n\n${result.stdout}\n${result.stderr}`);
    reason += `; log: ${log}`;
  } catch {
    // an unwritable package dir must not turn a warning into a failure
  }
}
warn(reason);
