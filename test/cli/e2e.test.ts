// The built CLI as users run it: exit codes, one-line errors, help, --pid, --live.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, inNamespace, namespaceSkipReason, runCli } from '../support/run-cli.js';
import { schemaErrors, validateCheck, validateLimits } from '../support/schemas.js';
import { asUid, testUids } from '../kernel/lib/uids.js';

const [FRESH, FRESH2] = testUids(2, 7) as [number, number];

const nsSkip = namespaceSkipReason();
if (nsSkip) console.warn(`skipping namespace e2e tests: ${nsSkip}`);
const addonSkip = existsSync(`${ROOT}native/getrlimit/build/Release/getrlimit.node`) ? null : 'native addon not built';
if (addonSkip) console.warn(`skipping --live e2e tests: ${addonSkip}`);

describe('usage errors: one line on stderr, exit 2, no stack trace', () => {
  it.each([
    [['check', '--maxmsg', 'ten', '--msgsize', '1']],
    [['check', '--frobnicate']],
    [['check', '--pid', '999999999']],
    [['check', '--pid', '4194303']],
    [['check', '--name', '']],
    [['limits', '--pid', '-3']],
    [['explode']],
    [[]],
  ])('%j', (args) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mq-doctor: /);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('help, version, completion (yargs)', () => {
  it('prints help with examples', () => {
    const r = runCli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--maxmsg/);
    expect(r.stdout).toMatch(/mq-doctor check --maxmsg 3600 --msgsize 16384/);
  });
  it('prints the version and a completion script', () => {
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(runCli(['completion']).stdout).toMatch(/mq-doctor/);
  });
  it('completes commands and flags', () => {
    const r = runCli(['--get-yargs-completions', 'mq-doctor', 'check', '--max']);
    expect(r.stdout).toMatch(/--maxmsg/);
  });
  it('runs a command reached through yargs (flag before the command)', () => {
    const r = runCli(['--json', 'limits']);
    expect(r.code).toBe(0);
    expect(schemaErrors(validateLimits, JSON.parse(r.stdout))).toBe('');
  });
});

describe('logs', () => {
  it('go to stderr as pino JSON, leaving stdout one document', () => {
    const r = runCli(['limits', '--json'], { env: { ...process.env, MQ_DOCTOR_LOG_LEVEL: 'debug' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).command).toBe('limits');
    const line = JSON.parse(r.stderr.trim().split('\n')[0]!);
    expect(line).toMatchObject({ name: 'mq-doctor', msg: 'probed', level: 20 });
    expect(typeof line.ms).toBe('number');
  });
  it('stay silent at the default level', () => {
    expect(runCli(['limits']).stderr).toBe('');
  });
});

describe('on this host', () => {
  it('check --json prints exactly one schema-valid document', () => {
    const r = runCli(['check', '--maxmsg', '3600', '--msgsize', '16384', '--json']);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateCheck, doc)).toBe('');
    expect(doc.cost.bytes).toBe(3600 * 16384 + 3600 * 48 * 2);
    expect([1, 3]).toContain(r.code);
    expect(r.code === 1 ? doc.outcome.errno : null).toBe(r.code === 1 ? 'EINVAL' : null);
  });

  it.each(['9223372036854775807', '-9223372036854775808', '9007199254740993'])('check --live with a C long beyond 2^53 (%s): the kernel answers EINVAL, as predicted', (v) => {
    const r = runCli(['check', '--maxmsg', v, '--msgsize', '1', '--live', '--json']);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    expect(doc.outcome).toMatchObject({ errno: 'EINVAL', errnoCertain: true });
    expect(doc.live).toMatchObject({ ran: true, agrees: true, result: { errno: 'EINVAL', opened: 0 } });
    expect(r.code).toBe(1);
  });

  describe('--pid of another process', () => {
    let child: ReturnType<typeof spawn>;
    beforeAll(() => {
      // A fresh uid (as root: setpriv): root's queue memory is shared with the machine.
      child = spawn(process.getuid?.() === 0 ? 'setpriv' : 'prlimit', [...(process.getuid?.() === 0 ? [...asUid(FRESH), 'prlimit'] : []), '--msgqueue=12345:', '--nofile=64:', 'sleep', '30'], { stdio: 'ignore' });
      return new Promise((r) => setTimeout(r, 300));
    });
    afterAll(() => child.kill());
    it("reads that process's rlimits and descriptors", () => {
      const r = runCli(['limits', '--pid', String(child.pid), '--json']);
      expect(r.code).toBe(0);
      const t = JSON.parse(r.stdout).snapshot.target;
      expect(t.self).toBe(false);
      expect(t.rlimitMsgqueue.value.value.soft).toBe(12345);
      expect(t.rlimitNofile.value.value.soft).toBe(64);
      expect(t.command.value).toBe('sleep');
    });
    it("predicts EMFILE against that process's soft limit and offers prlimit --pid", () => {
      const r = runCli(['check', '--pid', String(child.pid), '--json']);
      const doc = JSON.parse(r.stdout);
      const emfile = doc.blockers.find((b: { limit?: string }) => b.limit === 'RLIMIT_MSGQUEUE');
      expect(emfile.actual).toBe(12345);
      expect(emfile.fixes.immediate[0].command).toBe(`prlimit --pid ${child.pid} --msgqueue=82880:819200`);
    });
  });
});

describe.skipIf(nsSkip !== null)('in a private IPC namespace', () => {
  it('reads the namespace, not the host, and reports it as private', () => {
    const r = inNamespace('echo 77 > /proc/sys/fs/mqueue/msg_max; node bin/mq-doctor.cjs limits --json');
    const s = JSON.parse(r.stdout).snapshot;
    expect(s.mqueue.msg_max).toEqual({ ok: true, value: 77 });
    expect(s.target.ipcNamespace.value.initial).toBe(false);
  });

  it("--pid into another IPC namespace reads that namespace's sysctls through setns", async () => {
    const holder = spawn('unshare', ['--ipc', 'sh', '-c', 'echo 1234 > /proc/sys/fs/mqueue/msg_max && exec sleep 20'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = runCli(['limits', '--pid', String(holder.pid), '--json']);
      const s = JSON.parse(r.stdout).snapshot;
      expect(s.target.ipcNamespace.value.initial).toBe(false);
      expect(s.sysctlSource).toMatch(/setns/);
      expect(s.mqueue.msg_max).toEqual(addonSkip ? expect.objectContaining({ ok: false }) : { ok: true, value: 1234 });
      // mq-doctor itself is back in its own namespace afterwards: the host value is untouched.
      expect(runCli(['limits', '--json']).stdout).toContain('"initial": true');
    } finally {
      holder.kill();
    }
  });

  it.skipIf(addonSkip !== null)("does not count the queues of a mount inherited from another IPC namespace: it reads its own through a detached mount", () => {
    const r = inNamespace(
      `d=$(mktemp -d); mount -t mqueue none $d; test/helpers/bin/mq_oracle create /outer 1 128 >/dev/null || node -e "
        const a=require('./native/getrlimit/build/Release/getrlimit.node'); a.mqOpen('/outer', a.constants.O_RDWR|a.constants.O_CREAT, 0o600, {maxmsg:1,msgsize:128})"
       unshare --ipc sh -c 'test/helpers/bin/mq_oracle create /inner 2 128 >/dev/null; node bin/mq-doctor.cjs limits --json; test/helpers/bin/mq_oracle unlink /inner >/dev/null'
       echo "---"; node bin/mq-doctor.cjs limits --json; rm -f $d/outer`,
    );
    const [inner, outer] = r.stdout.split('---\n').map((t) => JSON.parse(t).snapshot);
    expect(inner.queues.value.mountPath).toMatch(/detached mqueue mount/);
    expect(inner.queues.value.queues.map((q: { name: string }) => q.name)).toEqual(['inner']);
    expect(outer.queues.value.queues.map((q: { name: string }) => q.name)).toEqual(['outer']);
    // And the mount's namespace is found as another one, its queue charged to root there.
    const other = inner.otherNamespaces.value.namespaces.find((n: { queues: { ok: boolean; value?: Array<{ name: string }> } }) => n.queues.ok && n.queues.value!.some((q) => q.name === 'outer'));
    expect(other).toBeDefined();
  });

  it.skipIf(addonSkip !== null)('--live agrees with the prediction, and cleans up its scratch queues', () => {
    const r = inNamespace(
      `d=$(mktemp -d); mount -t mqueue none $d
       echo 3600 > /proc/sys/fs/mqueue/msg_max; echo 16384 > /proc/sys/fs/mqueue/msgsize_max
       ${asUid(FRESH2).join(' ')} prlimit --msgqueue=700000: node bin/mq-doctor.cjs check --maxmsg 20 --msgsize 16384 --count 2 --live --json
       echo "exit=$?"; ${asUid(FRESH2).join(' ')} prlimit --msgqueue=100000: node bin/mq-doctor.cjs check --maxmsg 20 --msgsize 16384 --count 2 --live --json
       echo "exit=$?"; echo "left=$(ls $d | wc -l)"`,
    );
    const [okDoc, failDoc] = r.stdout.split(/exit=\d+\n/).slice(0, 2).map((t) => JSON.parse(t));
    expect(r.stdout).toMatch(/exit=0\n/);
    expect(r.stdout).toMatch(/exit=1\n/);
    expect(okDoc.live).toMatchObject({ ran: true, agrees: true, result: { errno: null, opened: 2, roundTrip: { ok: true }, attr: { maxmsg: 20, msgsize: 16384 } } });
    expect(failDoc.outcome).toMatchObject({ errno: 'EMFILE', opened: 0 });
    expect(failDoc.live).toMatchObject({ ran: true, agrees: true, result: { errno: 'EMFILE', opened: 0 } });
    expect(schemaErrors(validateCheck, failDoc)).toBe('');
    expect(r.stdout).toMatch(/left=0/);
  });

  it('works without the native addon: read-only diagnosis from /proc, --live says why not', () => {
    const env = { ...process.env, MQ_DOCTOR_NO_ADDON: '1' };
    const r = inNamespace(
      `d=$(mktemp -d); mount -t mqueue none $d; node bin/mq-doctor.cjs check --maxmsg 11 --msgsize 128 --json; echo "exit=$?"; node bin/mq-doctor.cjs check --live; echo "exit=$?"`,
      { env },
    );
    const doc = JSON.parse(r.stdout.split(/exit=\d\n/)[0]!);
    expect(doc.outcome.errno).toBe('EINVAL');
    expect(r.stdout).toMatch(/exit=1\n/);
    expect(r.stdout).toMatch(/Live test: not run \(--live needs mq_open: native addon disabled by MQ_DOCTOR_NO_ADDON=1\)/);
  });
});
