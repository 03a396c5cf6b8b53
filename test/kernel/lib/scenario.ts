// Runs one mq_open scenario against the real kernel, in a fresh private IPC
// (+ mount + pid) namespace, three ways: mq-doctor's prediction (the CLI, as
// `check --json`), the C oracle (test/helpers/mq_oracle.c) and the native addon
// (fixtures/addon-open.cjs). All three see the same sysctls, the same queues
// and run under the same uid and rlimits.
//
// Why a pid namespace too: when the scenario's shell exits (or is killed on
// timeout through --kill-child), every process left in it dies with it, so no
// IPC namespace, and no queue charged to a uid's RLIMIT_MSGQUEUE, outlives it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asUid } from './uids.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..', '..');
export const ADDON_PATH = process.env.MQ_DOCTOR_ADDON ?? join(ROOT, 'native', 'getrlimit', 'build', 'Release', 'getrlimit.node');
export const ADDON_FIXTURE = join(here, '..', 'fixtures', 'addon-open.cjs');

/** The CLI entry point named by package.json's "bin" (it moved from .js to .cjs once). */
export function cliPath(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['mq-doctor'];
    if (bin && existsSync(join(ROOT, bin))) return join(ROOT, bin);
  } catch {
    /* fall through */
  }
  for (const c of ['bin/mq-doctor.cjs', 'bin/mq-doctor.js']) if (existsSync(join(ROOT, c))) return join(ROOT, c);
  return join(ROOT, 'bin', 'mq-doctor.cjs');
}

export type Access = 'rdonly' | 'wronly' | 'rdwr';
export type Sysctl = 'queues_max' | 'msg_max' | 'msgsize_max' | 'msg_default' | 'msgsize_default';
export const SYSCTL_DEFAULTS: Record<Sysctl, number> = {
  queues_max: 256,
  msg_max: 10,
  msgsize_max: 8192,
  msg_default: 10,
  msgsize_default: 8192,
};

export interface QueueSpec {
  /** With the leading slash. */
  name: string;
  /** Creator (owner and the uid charged). Default 0. */
  uid?: number;
  maxmsg: number;
  msgsize: number;
  /** chmod'ed after creation; created 0600. */
  mode?: number;
  /** chgrp'ed after creation (the creator's gid otherwise). */
  gid?: number;
  /**
   * Create it as a set-uid-root program started by uid would: real uid = uid,
   * effective uid 0. The file is then owned by root while uid is charged.
   */
  realUidOnly?: boolean;
}

export interface Scenario {
  title: string;
  sysctls?: Partial<Record<Sysctl, number>>;
  queues?: QueueSpec[];
  /** Real uid of the opener (and of the CLI). Default 0. */
  uid?: number;
  /** Soft RLIMIT_MSGQUEUE of the opener (hard stays). */
  soft?: number;
  /** Soft RLIMIT_NOFILE of an application holding exactly fds 0, 1, 2. */
  nofile?: number;
  /**
   * Hard RLIMIT_NOFILE (default: unchanged, 20000 here). Node raises its own
   * soft RLIMIT_NOFILE to the hard limit when it starts, so the CLI checking
   * itself sees the inherited soft limit only when hard = soft.
   */
  nofileHard?: number;
  /**
   * Ask the CLI about a running process (--pid) instead of itself: a sleeper
   * with exactly fds 0-2, the scenario's uid and rlimits. Lets RLIMIT_NOFILE be
   * as low as 3, which no node process could run under.
   */
  pidTarget?: boolean;
  /** undefined: fresh names that do not exist. */
  name?: string;
  /** undefined or null: attr NULL. */
  attr?: { maxmsg: number; msgsize: number } | null;
  exclusive?: boolean;
  noCreate?: boolean;
  access?: Access;
  mode?: number;
  count?: number;
}

export interface OpenResult {
  opened: number;
  errno: string | null;
}

export interface ScenarioResult {
  /** The model alone (`check --json`). */
  cli: { code: number | null; json: any; stderr: string };
  /** The same with --measure: scratch queues under the opener's own credentials. */
  measured: { code: number | null; json: any };
  oracle: OpenResult;
  addon: OpenResult;
  /** Queue listing before each real route and after the last cleanup: all must be equal. */
  listings: string[];
  /** Files of the sleeper (pidTarget). */
  targetFds?: string;
  script: string;
  stdout: string;
  stderr: string;
  ms: number;
}

const q = (s: string | number): string => `'${String(s).replace(/'/g, `'\\''`)}'`;

export function oflagOf(s: Scenario): number {
  const access = { rdonly: 0, wronly: 1, rdwr: 2 }[s.access ?? 'rdwr'];
  const create = s.noCreate ? 0 : 0o100;
  const excl = s.exclusive && !s.noCreate ? 0o200 : 0;
  return access | create | excl;
}

export function namesOf(s: Scenario, tag = 'q'): string[] {
  const count = s.count ?? 1;
  if (s.name !== undefined) return [s.name];
  return Array.from({ length: count }, (_, i) => `/mqdk-${tag}-${i}`);
}

export function cliArgs(s: Scenario): string[] {
  const a = ['check', '--json'];
  if (s.attr) a.push('--maxmsg', String(s.attr.maxmsg), '--msgsize', String(s.attr.msgsize));
  if (s.name !== undefined) a.push('--name', s.name);
  if (s.exclusive) a.push('--exclusive');
  if (s.noCreate) a.push('--no-create');
  if (s.access && s.access !== 'rdwr') a.push('--access', s.access);
  if (s.mode !== undefined) a.push('--mode', `0${s.mode.toString(8)}`);
  if ((s.count ?? 1) > 1) a.push('--count', String(s.count));
  return a;
}


function limitFlags(s: Scenario, withNofile: boolean): string[] {
  const limits: string[] = [];
  if (s.soft !== undefined) limits.push(`--msgqueue=${s.soft}:`);
  if (withNofile && s.nofile !== undefined) limits.push(`--nofile=${s.nofile}:${s.nofileHard ?? ''}`);
  return limits;
}

/**
 * setpriv …, then prlimit …: the prefix every route runs under. In this order
 * only the last program (the statically linked oracle, or node) starts under a
 * low RLIMIT_NOFILE: the dynamic loader of setpriv would need a free descriptor.
 */
function prefix(s: Scenario, withNofile: boolean): string[] {
  const limits = limitFlags(s, withNofile);
  return [...asUid(s.uid ?? 0), ...(limits.length ? ['prlimit', ...limits] : [])];
}

export function buildScript(s: Scenario, oracle: string): string {
  const count = s.count ?? 1;
  if (s.name !== undefined && count !== 1) throw new Error(`${s.title}: a name and count > 1`);
  const names = namesOf(s);
  const pre = (s.queues ?? []).map((x) => x.name);
  const attr = s.attr ?? null;
  const oflag = oflagOf(s);
  const mode = s.mode ?? 0o600;
  const sys = { ...SYSCTL_DEFAULTS, ...s.sysctls };
  const node = process.execPath;
  const lines: string[] = [
    'set -u',
    // Only 0, 1, 2: an opener must not inherit descriptors (the RLIMIT_NOFILE cases count them).
    'for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-" 2>/dev/null; fi; done',
    'D=$(mktemp -d /tmp/mqd-kernel.XXXXXX) || exit 90',
    'mount -t mqueue none "$D" || { echo "@@FATAL mount mqueue on $D failed"; exit 90; }',
    // Unlink every queue before leaving: a queue that dies with its IPC namespace
    // is uncharged only later (the namespace is freed from a workqueue after an
    // RCU grace period), and the next scenario of the same uid would see it.
    'trap \'shopt -s dotglob nullglob; rm -f -- "$D"/*; umount "$D" 2>/dev/null; rmdir "$D" 2>/dev/null\' EXIT',
    'S=/proc/sys/fs/mqueue',
    'die() { echo "@@FATAL $*"; exit 91; }',
    'listing() { echo "@@LIST $(cd "$D" && ls -A | sort | tr "\\n" " ")"; }',
    // Permissive while the pre-existing queues are created; the scenario's values come after.
    'echo 65536 > $S/msg_max && echo 16777216 > $S/msgsize_max && echo 1024 > $S/queues_max || die "sysctl setup"',
  ];
  for (const x of s.queues ?? []) {
    const who = x.realUidOnly ? ['setpriv', `--ruid=${x.uid ?? 0}`] : asUid(x.uid ?? 0);
    const cmd = [...who, oracle, 'create', x.name, x.maxmsg, x.msgsize].map(q).join(' ');
    lines.push(`r=$(${cmd}); [ "$r" = OK ] || die "create ${x.name.replace(/"/g, '')} as uid ${x.uid ?? 0}: $r"`);
    if (x.mode !== undefined) lines.push(`chmod ${x.mode.toString(8)} "$D"/${q(x.name.slice(1))} || die chmod`);
    if (x.gid !== undefined) lines.push(`chgrp ${x.gid} "$D"/${q(x.name.slice(1))} || die chgrp`);
  }
  for (const k of ['queues_max', 'msg_max', 'msgsize_max', 'msg_default', 'msgsize_default'] as const) {
    lines.push(`echo ${sys[k]} > $S/${k} || die "sysctl ${k}=${sys[k]}"`);
  }
  // Remove what a route created: every name it tried that did not exist before.
  const fresh = names.filter((n) => !pre.includes(n) && n.startsWith('/') && /^\/[^/]+$/.test(n) && n !== '/.' && n !== '/..');
  lines.push(`cleanup() { ${fresh.length ? fresh.map((n) => `rm -f "$D"/${q(n.slice(1))}`).join('; ') : ':'}; }`);
  lines.push('listing');

  // (a) the prediction, through the bin run as a program (its launcher records
  // the soft RLIMIT_NOFILE before Node raises its own), as users run it.
  const cli = [cliPath(), ...cliArgs(s)];
  if (s.pidTarget) {
    // The limits are lowered from outside once it runs: a dynamically linked
    // program cannot even start under RLIMIT_NOFILE 3.
    const target = [...asUid(s.uid ?? 0), 'sleep', '600'].map(q).join(' ');
    lines.push(`${target} </dev/null >/dev/null 2>&1 & P=$!`);
    lines.push('for i in $(seq 1 500); do [ "$(cat /proc/$P/comm 2>/dev/null)" = sleep ] && break; sleep 0.01; done');
    const limits = limitFlags(s, true);
    // As the target's own uid: prlimit(2) on another uid's process needs CAP_SYS_RESOURCE.
    if (limits.length) lines.push(`${[...asUid(s.uid ?? 0), 'prlimit'].map(q).join(' ')} --pid "$P" ${limits.map(q).join(' ')} || die "prlimit --pid"`);
    lines.push('echo "@@TARGETFDS $(ls /proc/$P/fd | sort -n | tr "\\n" " ")"');
    lines.push(`echo @@CLI; ${[...cli, '--pid'].map(q).join(' ')} "$P" </dev/null; echo "@@CLIRC $?"`);
    lines.push(`echo @@MEASURED; ${[...cli, '--measure', '--pid'].map(q).join(' ')} "$P" </dev/null; echo "@@MEASUREDRC $?"`);
    lines.push('kill -9 $P; wait $P 2>/dev/null');
  } else {
    lines.push(`echo @@CLI; ${[...prefix(s, true), ...cli].map(q).join(' ')} </dev/null; echo "@@CLIRC $?"`);
    lines.push(`echo @@MEASURED; ${[...prefix(s, true), ...cli, '--measure'].map(q).join(' ')} </dev/null; echo "@@MEASUREDRC $?"`);
  }

  // (b) the C oracle: the i-th open runs with i extra descriptors (3 … 3+i-1),
  // as the application holding i queues would; each queue stays (--keep).
  const attrArgs = attr ? [attr.maxmsg, attr.msgsize] : ['null', 'null'];
  lines.push('listing');
  lines.push('echo @@ORACLE; opened=0; err=');
  lines.push(`ORACLE_PRE=(${prefix(s, true).map(q).join(' ')})`);
  lines.push(`NAMES=(${names.map(q).join(' ')})`);
  lines.push('for i in "${!NAMES[@]}"; do');
  lines.push('  r=$( j=3; while [ $j -lt $((3+i)) ]; do eval "exec $j</dev/null"; j=$((j+1)); done;');
  lines.push(`     exec "\${ORACLE_PRE[@]}" ${q(oracle)} open "\${NAMES[$i]}" ${oflag} ${mode} ${attrArgs.map(q).join(' ')} --keep 2>&1 )`);
  lines.push('  if [ "$r" = OK ]; then opened=$((opened+1)); else err=$r; break; fi');
  lines.push('done');
  lines.push('echo "@@ORACLERES $opened ${err:-null}"');
  lines.push('cleanup');
  lines.push('listing');

  // (c) the addon
  const addonArgs = JSON.stringify({ addon: ADDON_PATH, names, oflag, mode, attr, nofile: s.nofile ?? null });
  lines.push(`echo @@ADDON; ${[...prefix(s, false), node, ADDON_FIXTURE, addonArgs].map(q).join(' ')} </dev/null`);
  lines.push('cleanup');
  lines.push('listing');
  lines.push('echo @@END');
  return lines.join('\n');
}

function parse(stdout: string): Omit<ScenarioResult, 'script' | 'stdout' | 'stderr' | 'ms' | 'cli' | 'measured'> & { cliText: string; cliCode: number | null; measuredText: string; measuredCode: number } {
  const fatal = /^@@FATAL (.*)$/m.exec(stdout);
  if (fatal) throw new Error(`scenario setup failed: ${fatal[1]}`);
  if (!stdout.includes('@@END')) throw new Error('scenario did not finish');
  const cliText = /@@CLI\n([\s\S]*?)@@CLIRC (\d+)/.exec(stdout);
  const measuredText = /@@MEASURED\n([\s\S]*?)@@MEASUREDRC (\d+)/.exec(stdout);
  const oracle = /^@@ORACLERES (\d+) (\S+)$/m.exec(stdout);
  const addon = /^@@ADDON\n(\{.*\})$/m.exec(stdout);
  if (!cliText || !measuredText || !oracle || !addon) throw new Error('unparsable scenario output');
  const listings = [...stdout.matchAll(/^@@LIST ?(.*)$/gm)].map((m) => m[1]!.trim());
  const a = JSON.parse(addon[1]!) as OpenResult;
  return {
    cliText: cliText[1]!,
    cliCode: Number(cliText[2]),
    measuredText: measuredText[1]!,
    measuredCode: Number(measuredText[2]),
    oracle: { opened: Number(oracle[1]), errno: oracle[2] === 'null' ? null : oracle[2]! },
    addon: { opened: a.opened, errno: a.errno },
    listings,
    targetFds: /^@@TARGETFDS (.*)$/m.exec(stdout)?.[1]?.trim(),
  };
}

/** Exit code of bin/mq-doctor when dist/ is missing. */
const NOT_BUILT = 70;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Others may rebuild dist/ (scripts/build.mjs deletes it first) while these
 * tests run: a scenario whose CLI found no bundle is run again, from scratch,
 * once the bundle is back. Any other failure is reported as it is.
 */
export function runScenario(s: Scenario, oracle: string): ScenarioResult {
  for (let attempt = 1; ; attempt++) {
    try {
      return runScenarioOnce(s, oracle);
    } catch (err) {
      const rebuilt = err instanceof CliNotBuilt;
      if (!rebuilt || attempt >= 5) throw err;
      sleepMs(500 * attempt);
    }
  }
}

class CliNotBuilt extends Error {}

function runScenarioOnce(s: Scenario, oracle: string): ScenarioResult {
  const script = buildScript(s, oracle);
  const t0 = Date.now();
  const r = spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = Date.now() - t0;
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  try {
    if (r.error) throw r.error;
    const p = parse(stdout);
    const jsonOf = (text: string, code: number) => {
      try {
        return JSON.parse(text);
      } catch {
        if (code === NOT_BUILT || /not built yet|Cannot find module/.test(stderr)) throw new CliNotBuilt('dist/ was being rebuilt');
        throw new Error(`the CLI printed no JSON (exit ${code})`);
      }
    };
    const json = jsonOf(p.cliText, p.cliCode ?? -1);
    return {
      cli: { code: p.cliCode, json, stderr },
      measured: { code: p.measuredCode, json: jsonOf(p.measuredText, p.measuredCode) },
      oracle: p.oracle,
      addon: p.addon,
      listings: p.listings,
      targetFds: p.targetFds,
      script,
      stdout,
      stderr,
      ms,
    };
  } catch (err) {
    if (err instanceof CliNotBuilt) throw err;
    throw new Error(`${s.title}: ${(err as Error).message}\n--- stdout\n${stdout.slice(0, 4000)}\n--- stderr\n${stderr.slice(0, 4000)}`);
  }
}

/**
 * A fresh namespace running one bash script. The script must unlink the queues
 * it creates (see the EXIT trap in buildScript for why).
 */
export function inFreshNamespace(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export { q as shellQuote };

/**
 * Whether uid holds no POSIX queue memory anywhere: a 1 × 128 queue (224 bytes)
 * opens under soft RLIMIT_MSGQUEUE 224 only then. Retries for a while, since
 * queues of IPC namespaces that just exited (earlier tests) are uncharged late.
 */
export function uidHoldsNoQueueMemory(uid: number, oracle: string, waitMs = 3000): { ok: boolean; last: string } {
  const who = asUid(uid).map((w) => `${w} `).join('');
  const deadline = Date.now() + waitMs;
  let last = '';
  for (;;) {
    const r = inFreshNamespace(`${who}prlimit --msgqueue=224: ${q(oracle)} open /mqdk-probe ${0o100 | 0o200 | 2} 384 1 128; ${q(oracle)} unlink /mqdk-probe >/dev/null`);
    last = `${r.stdout.trim()} ${r.stderr.trim()}`.trim();
    if (r.stdout.trim() === 'OK') return { ok: true, last };
    if (Date.now() > deadline) return { ok: false, last };
    spawnSync('sleep', ['0.1']);
  }
}

export const ORACLE_SOURCE = join(ROOT, 'test', 'helpers', 'mq_oracle.c');

/**
 * test/helpers/mq_oracle.c (the same source buildOracle() compiles), linked
 * statically. The RLIMIT_NOFILE cases run it with every descriptor below the
 * limit taken: a dynamically linked program dies in ld.so there (it needs a
 * free descriptor to open libc) before main() could call mq_open.
 * Built under the system temp dir (world-readable: other uids run it).
 */
export function buildStaticOracle(): { path: string } | { path: null; reason: string } {
  let st;
  try {
    st = statSync(ORACLE_SOURCE);
  } catch {
    return { path: null, reason: `${ORACLE_SOURCE} is missing` };
  }
  const dir = join(tmpdir(), 'mq-doctor-kernel-tests');
  const path = join(dir, `mq_oracle_static.${Math.floor(st.mtimeMs)}.${st.size}`);
  if (existsSync(path)) return { path };
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const tmp = `${path}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-static', '-O2', '-Wall', '-o', tmp, ORACLE_SOURCE, '-lrt'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    return { path: null, reason: `gcc -static failed (libc6-dev's libc.a missing?): ${r.error?.message ?? r.stderr.trim().split('\n')[0]}` };
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, path);
  return { path };
}

/**
 * What the kernel charges RLIMIT_MSGQUEUE for one queue (kernel-facts.md, 64-bit, >= 3.5):
 * written out again here on purpose, not imported from src/.
 */
export function kernelCost(maxmsg: number, msgsize: number): number {
  if (maxmsg <= 0 || msgsize <= 0) return 0;
  return maxmsg * msgsize + maxmsg * 48 + Math.min(maxmsg, 32768) * 48;
}

/** Why these tests cannot run here, or null. */
export function kernelSkipReason(opts: { oracle: string | null; needAddon: boolean }): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return `needs root for unshare --ipc --mount --pid (running as uid ${process.getuid?.()})`;
  const t = spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (t.error || t.status !== 0) return `unshare --ipc --mount --pid --fork fails here: ${t.error?.message ?? t.stderr.trim()}`;
  for (const tool of ['prlimit', 'setpriv']) {
    const v = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (v.error || v.status !== 0) return `${tool}(1) from util-linux is missing`;
  }
  if (!opts.oracle) return 'the C oracle could not be built: gcc is missing';
  if (opts.needAddon && process.env.MQ_DOCTOR_NO_ADDON === '1') return 'the native addon is disabled (MQ_DOCTOR_NO_ADDON=1)';
  if (opts.needAddon && !existsSync(ADDON_PATH)) return `native addon not built (${ADDON_PATH} missing; run node native/getrlimit/build.mjs)`;
  if (!existsSync(cliPath())) return `CLI not found at ${cliPath()}`;
  const distOk = existsSync(join(ROOT, 'dist'));
  if (!distOk) return 'dist/ missing: run node scripts/build.mjs first';
  return null;
}
