// The preflight as a container runs it, emulated with namespaces: PID 1 of a
// private PID + IPC namespace, limits set from outside with prlimit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, namespaceSkipReason, runCli } from '../support/run-cli.js';
import { asUid, testUids } from '../kernel/lib/uids.js';

// The preflight measures the real budget: where the test is about it, a fresh uid, not root (shared with the machine).
const [FRESH] = testUids(1, 8) as [number];

const nsSkip = namespaceSkipReason();
const addonSkip = existsSync(`${ROOT}native/getrlimit/build/Release/getrlimit.node`) ? null : 'native addon not built (no execvp)';
const skip = nsSkip ?? addonSkip;
if (skip) console.warn(`skipping preflight namespace tests: ${skip}`);

/** Runs `prefix… mq-doctor preflight args` as PID 1 of fresh PID, IPC and mount namespaces. */
function container(args: string[], opts: { prefix?: string[]; env?: Record<string, string>; setup?: string } = {}) {
  // Docker and Podman give every container an mqueue mount; so does this emulation.
  const inner = `d=$(mktemp -d); mount -t mqueue none "$d"\n${opts.setup ?? ''}\nexec ${[...(opts.prefix ?? []), BIN, 'preflight', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  const r = spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', inner], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const APP = ['bash', '-c', 'echo "pid=$$ msgqueue=$(ulimit -q) nofile=$(ulimit -n)"; echo to-stderr >&2; exit 42'];

describe.skipIf(skip !== null)('preflight in a private IPC + PID namespace', () => {
  it('fits: becomes the application, as PID 1, with its stdout, stderr and exit code', () => {
    const r = container(['--maxmsg', '10', '--msgsize', '8192', '--', ...APP]);
    expect(r.stdout).toMatch(/^pid=1 msgqueue=819200 nofile=20000$/m);
    expect(r.stderr).toBe('to-stderr\n');
    expect(r.code).toBe(42);
  });

  it('fits after raising the soft RLIMIT_MSGQUEUE, which the application inherits', () => {
    // 40 × 16384 costs 659,200 bytes: more than the soft 100,000, less than the hard 819,200.
    const r = container(['--maxmsg', '40', '--msgsize', '16384', '--', ...APP], {
      prefix: [...asUid(FRESH), 'prlimit', '--msgqueue=100000:819200'],
      setup: 'echo 40 > /proc/sys/fs/mqueue/msg_max; echo 16384 > /proc/sys/fs/mqueue/msgsize_max',
    });
    expect(r.stdout).toMatch(/^pid=1 msgqueue=659200 /m);
    expect(r.code).toBe(42);
  });

  it("sets fs.mqueue sysctls in the container's own IPC namespace, then the application's real mq_open works", () => {
    // Inside a container the model cannot see other containers' queues: --measure asks the kernel.
    // 40 × 1024 needs msg_max raised and costs 44,800 bytes of root's budget: little, since root's is shared.
    const r = container(['--maxmsg', '40', '--msgsize', '1024', '--', BIN, 'check', '--maxmsg', '40', '--msgsize', '1024', '--live', '--measure']);
    expect(r.stdout).toMatch(/Result: SUCCEEDS/);
    expect(r.stdout).toMatch(/Measured: uid 0 may still be charged [\d,]+ bytes now/);
    expect(r.stdout).toMatch(/private IPC namespace/);
    expect(r.stdout).toMatch(/Live test .*all 1 opened, kernel gave 40 × 1024/);
    expect(r.code).toBe(0);
  });

  it('needs the runtime: exits 78 with the report, without starting the application', () => {
    const r = container(['--maxmsg', '3600', '--msgsize', '16384', '--', ...APP], { prefix: ['prlimit', '--msgqueue=400000:819200'], env: { MQ_DOCTOR_LOG_LEVEL: 'warn' } });
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ERROR: \[1\] preflight check failed; the application was not started:$/m);
    // At least the queue's 59,328,000 bytes, plus whatever root holds elsewhere (measured: root's budget is the machine's).
    const needed = /^\[1\] MQ-RLIMIT-MSGQUEUE: soft RLIMIT_MSGQUEUE .* \[400,000\] is too low, increase to at least \[([\d,]+)\]; the hard limit is \[819,200\]/m.exec(r.stderr);
    expect(needed, r.stderr).not.toBeNull();
    const bytes = Number(needed![1]!.replace(/,/g, ''));
    expect(bytes).toBeGreaterThanOrEqual(59_328_000);
    expect(r.stderr).toContain(`docker run --ulimit msgqueue=${bytes}:${bytes}`);
    expect(r.stderr).toMatch(/Already raised from inside:\n  fs\.mqueue\.msg_max 10 → 3,600/);
    // At the default log level (warn) the report is all there is: no JSON records between its lines.
    expect(r.stderr).not.toMatch(/^\{/m);
  });

  it('--warn (or MQ_DOCTOR_MODE=warn) reports, then starts the application anyway', () => {
    const viaFlag = container(['--warn', '--maxmsg', '3600', '--msgsize', '16384', '--', ...APP]);
    expect(viaFlag.stderr).toMatch(/preflight check failed/);
    expect(viaFlag.stdout).toMatch(/^pid=1 /m);
    expect(viaFlag.code).toBe(42);
    const viaEnv = container(['--maxmsg', '3600', '--msgsize', '16384', '--', ...APP], { env: { MQ_DOCTOR_MODE: 'warn' } });
    expect(viaEnv.code).toBe(42);
  });

  it('takes the workload from the environment; flags win over it', () => {
    const env = { MQ_DOCTOR_MAXMSG: '3600', MQ_DOCTOR_MSGSIZE: '16384' };
    expect(container(['--', ...APP], { env }).code).toBe(78);
    expect(container(['--maxmsg', '10', '--msgsize', '100', '--', ...APP], { env }).code).toBe(42);
    expect(container(['--', ...APP], { env: { MQ_DOCTOR_PROFILE: `${ROOT}profiles/ipcqueue-3600x16384.json` } }).code).toBe(78);
  });

  it('passes SIGTERM sent to the container (PID 1) to the application', async () => {
    const child = spawn('unshare', ['--ipc', '--mount', '--pid', '--fork', '--mount-proc', BIN, 'preflight', '--', 'sh', '-c', 'trap "echo got-TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
    // As `docker stop` does: SIGTERM to the container's PID 1 (unshare itself ignores it
    // while it waits). After the exec, PID 1 is the application.
    const pid1 = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
    expect(readFileSync(`/proc/${pid1}/comm`, 'utf8').trim()).toBe('sh');
    process.kill(pid1, 'SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(out).toMatch(/got-TERM/);
    expect(code).toBe(0);
  });

  it.each([
    [['--', 'no-such-command-anywhere'], 127, /no-such-command-anywhere: command not found/],
    [['--', '/etc/passwd'], 126, /\/etc\/passwd: cannot execute \(EACCES/],
    [[], 127, /no command to run/],
  ])('%j exits %i with one clear line', (args, code, message) => {
    const r = container(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(nsSkip !== null)('preflight without the native addon (MQ_DOCTOR_NO_ADDON=1)', () => {
  it('runs the application as its child, says why, and returns its exit code; a missing command is 127', () => {
    // Without the addon nothing measures the budget nor tells the IPC namespace's owner: both stay unknown unless ignored.
    const args = ['--no-measure', '--ignore', 'MQ-RLIMIT-MSGQUEUE,MQ-ID-MAPPING', '--maxmsg', '10', '--msgsize', '8192', '--'];
    const r = container([...args, ...APP], { env: { MQ_DOCTOR_NO_ADDON: '1' } });
    expect(r.code).toBe(42);
    // Not exec'd: the application is the preflight's child, not PID 1.
    expect(r.stdout).toMatch(/^pid=(?!1 )\d+ msgqueue=819200 /m);
    expect(r.stderr).toMatch(/no execvp without the native addon: running the command as a child/);
    expect(r.stderr).toMatch(/to-stderr/);
    const missing = container([...args, 'no-such-command-anywhere'], { env: { MQ_DOCTOR_NO_ADDON: '1' } });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/no-such-command-anywhere: command not found/);
  });
});

describe('preflight usage errors', () => {
  it.each([
    [{ MQ_DOCTOR_MAXMSG: 'lots', MQ_DOCTOR_MSGSIZE: '1' }, /MQ_DOCTOR_MAXMSG must be a whole number/],
    [{ MQ_DOCTOR_MAXMSG: '10' }, /give both maxmsg and msgsize \(MQ_DOCTOR_MAXMSG alone/],
    [{ MQ_DOCTOR_MODE: 'sometimes' }, /MQ_DOCTOR_MODE must be enforce or warn/],
  ])('%j → exit 2', (env, message) => {
    const r = runCli(['preflight', '--', 'true'], { env: { ...process.env, ...env } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
