// The Dockerfile built and run by a real container runtime (podman + runc).
// No registry is reachable, so the base image is the host's node and its
// libraries (podman import), the build stage borrows the host's toolchain
// (/usr, read-only) and installs from the npm cache made by `npm ci`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/run-cli.js';

const PODMAN = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
const BASE = 'localhost/mq-doctor-base:test';
const IMAGE = 'localhost/mq-doctor:test';
// podman's defaults are above this machine's hard limits.
const RUN = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];

function skipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for rootful podman (fs.mqueue sysctls cannot be set rootless)';
  const v = spawnSync('podman', ['--version']);
  if (v.error || v.status !== 0) return 'podman is not installed (.ci/run installs it: apt-get install podman runc)';
  if (spawnSync('runc', ['--version']).error) return 'runc is not installed';
  return null;
}
const skip = skipReason();
if (skip) console.warn(`skipping container tests: ${skip}`);

const podman = (args: string[], timeout = 60_000) => {
  const r = spawnSync('podman', [...PODMAN, ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A base image of just the host's node, /bin/sh and the libraries they link. */
function buildBaseImage(): void {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-base-'));
  const rootfs = join(dir, 'rootfs');
  for (const d of ['usr/bin', 'usr/lib', 'usr/lib64', 'etc', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  const merged: Array<[string, string]> = [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/bin']];
  for (const [link, to] of merged) symlinkSync(to, join(rootfs, link));
  for (const bin of [process.execPath, '/bin/sh']) {
    cpSync(bin, join(rootfs, 'usr/bin', bin.split('/').pop()!), { dereference: true });
    const libs = execFileSync('ldd', [bin], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const lib of libs) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      cpSync(lib, join(rootfs, lib), { dereference: true });
    }
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  execFileSync('tar', ['-C', rootfs, '-cf', join(dir, 'base.tar'), '.']);
  const r = podman(['import', join(dir, 'base.tar'), BASE]);
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`podman import failed: ${r.stderr}`);
}

describe.skipIf(skip !== null)('the image, in podman', () => {
  beforeAll(() => {
    buildBaseImage();
    const cache = process.env.npm_config_cache ?? join(homedir(), '.npm');
    const r = podman(
      ['build', '--network', 'none', '--volume', '/usr:/usr:ro', '--volume', `${cache}:/root/.npm`,
        '--build-arg', 'NPM_FLAGS=--offline', '--build-arg', `BUILD_BASE=${BASE}`, '--build-arg', `BASE=${BASE}`, '-t', IMAGE, ROOT],
      300_000,
    );
    if (r.code !== 0) throw new Error(`podman build failed:\n${r.stdout}\n${r.stderr}`);
  }, 320_000);
  afterAll(() => {
    podman(['rmi', '-f', IMAGE, BASE]);
  });

  const WORKLOAD = ['-e', 'MQ_DOCTOR_MAXMSG=40', '-e', 'MQ_DOCTOR_MSGSIZE=16384'];

  it('without --sysctl: exit 78 and the report, the application never starts', () => {
    const r = podman([...RUN, ...WORKLOAD, IMAGE, 'sh', '-c', 'echo STARTED']);
    expect(r.code).toBe(78);
    expect(r.stdout).not.toMatch(/STARTED/);
    expect(r.stderr).toMatch(/ERROR: \[2\] preflight checks failed/);
    expect(r.stderr).toMatch(/fs\.mqueue\.msg_max \(messages per queue\) \[10\] is too low, increase to at least \[40\]/);
    expect(r.stderr).toMatch(/docker run --sysctl fs\.mqueue\.msgsize_max=16384/);
  });

  it('with too small --ulimit msgqueue: exit 78 naming the hard limit the runtime must raise', () => {
    const r = podman([...RUN, '--ulimit', 'msgqueue=100000:300000', '--sysctl', 'fs.mqueue.msg_max=40', '--sysctl', 'fs.mqueue.msgsize_max=16384', ...WORKLOAD, IMAGE, 'true']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/soft RLIMIT_MSGQUEUE .* \[100,000\] is too low, increase to at least \[659,200\]; the hard limit is \[300,000\]/);
    expect(r.stderr).toMatch(/docker run --ulimit msgqueue=659200:659200/);
  });

  it('with the settings: the application runs as PID 1 and its real mq_open succeeds', () => {
    // 40 × 16384 (659,200 bytes): 3600 × 16384 needs 59 MB of RLIMIT_MSGQUEUE, above
    // this machine's hard 819,200, which only CAP_SYS_RESOURCE could raise.
    const r = podman([
      ...RUN, '--ulimit', 'msgqueue=100000:819200', '--sysctl', 'fs.mqueue.msg_max=3600', '--sysctl', 'fs.mqueue.msgsize_max=16384', ...WORKLOAD,
      IMAGE, 'sh', '-c', 'echo "pid=$$"; exec mq-doctor check --maxmsg 40 --msgsize 16384 --live --json',
    ]);
    expect(r.code).toBe(0);
    const [pidLine, ...json] = r.stdout.split('\n');
    expect(pidLine).toBe('pid=1');
    const doc = JSON.parse(json.join('\n'));
    expect(doc.live).toMatchObject({ ran: true, agrees: true, result: { errno: null, opened: 1, roundTrip: { ok: true } } });
    // The soft limit the preflight raised (100,000 → 659,200) is what the application inherited.
    expect(doc.charge.limit).toBe(659_200);
  });

  it("the application's exit code becomes the container's; a missing command is 127", () => {
    expect(podman([...RUN, IMAGE, 'sh', '-c', 'exit 42']).code).toBe(42);
    const missing = podman([...RUN, IMAGE, 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-command: command not found/);
  });

  it('SIGTERM to the container (podman stop) reaches the application', () => {
    const name = `mqd-sigterm-${process.pid}`;
    // The trap's evidence goes to a file: conmon can lose a container's last log
    // line when it exits right after writing it (seen under load in the full suite).
    const out = mkdtempSync(join(tmpdir(), 'mqd-sigterm-'));
    chmodSync(out, 0o777); // the image runs as uid 65534
    const started = podman(['run', '-d', '--name', name, '--network', 'none', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096', '-v', `${out}:/out`, IMAGE,
      'sh', '-c', 'trap "echo got-TERM > /out/term; exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
    expect(started.code).toBe(0);
    try {
      for (let i = 0; i < 100 && !podman(['logs', name]).stdout.includes('ready'); i++) spawnSync('sleep', ['0.1']);
      expect(podman(['stop', '-t', '10', name]).code).toBe(0);
      // Exit 0 is the application's trap: SIGTERM unhandled would end it with 143.
      expect(podman(['inspect', name, '--format', '{{.State.ExitCode}}']).stdout.trim()).toBe('0');
      expect(readFileSync(join(out, 'term'), 'utf8')).toBe('got-TERM\n');
    } finally {
      podman(['rm', '-f', name]);
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the default CMD shows what the container got', () => {
    const r = podman([...RUN, IMAGE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Private IPC namespace: these fs\.mqueue values started from the kernel defaults/);
  });
});
