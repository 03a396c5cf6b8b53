// apply / verify / rollback through the built CLI, into temporary roots, and
// live inside a private IPC namespace where a real mq_open shows the effect.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, inNamespace, namespaceSkipReason, runCli } from '../support/run-cli.js';
import { scratchDir } from '../support/scratch.js';

const PROFILE = join(ROOT, 'profiles', 'ipcqueue-3600x16384.json');
const newRoot = () => scratchDir('mqd-root-');
const sysctlFile = (root: string) => join(root, 'etc/sysctl.d/60-mq-doctor.conf');
const dropIn = (root: string) => join(root, 'etc/systemd/system/ipcqueue-app.service.d/60-mq-doctor.conf');

describe('apply into an alternate root', () => {
  it('writes the files, then reports unchanged and touches nothing on a second run', () => {
    const root = newRoot();
    const first = runCli(['apply', '--profile', PROFILE, '--root', root]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created\s+\/etc\/sysctl\.d\/60-mq-doctor\.conf/);
    expect(readFileSync(sysctlFile(root), 'utf8')).toMatch(/^fs\.mqueue\.msg_max = 3600$/m);
    expect(readFileSync(dropIn(root), 'utf8')).toMatch(/^LimitMSGQUEUE=65260800$/m);
    const second = runCli(['apply', '--profile', PROFILE, '--root', root]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/unchanged\s+\/etc\/sysctl\.d\/60-mq-doctor\.conf/);
    expect(second.stdout).toMatch(/Nothing changed\./);
  });

  it('is raise-only: keeps a higher value and says so, unless --allow-lower', () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(sysctlFile(root), 'fs.mqueue.msg_max = 5000\n');
    const r = runCli(['apply', '--profile', PROFILE, '--root', root]);
    expect(r.stdout).toMatch(/fs\.mqueue\.msg_max\s+kept at 5,000: higher than the 3,600 needed/);
    expect(readFileSync(sysctlFile(root), 'utf8')).toMatch(/^fs\.mqueue\.msg_max = 5000$/m);
    const lower = runCli(['apply', '--profile', PROFILE, '--root', root, '--allow-lower']);
    expect(lower.stdout).toMatch(/5,000 → 3,600\s+LOWERED/);
    expect(readFileSync(sysctlFile(root), 'utf8')).toMatch(/^fs\.mqueue\.msg_max = 3600$/m);
  });

  it('raise-only counts every configured value: an earlier sysctl.d file, the unit, its own file', () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(join(root, 'etc/sysctl.d/50-site.conf'), 'fs.mqueue.msg_max = 5000\n');
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/system/ipcqueue-app.service'), '[Service]\nExecStart=/bin/true\nLimitMSGQUEUE=100000000\n');
    const r = runCli(['apply', '--profile', PROFILE, '--root', root]);
    expect(r.stdout).toMatch(/fs\.mqueue\.msg_max\s+kept at 5,000/);
    expect(r.stdout).toMatch(/RLIMIT_MSGQUEUE\s+kept at 100,000,000/);
    expect(readFileSync(sysctlFile(root), 'utf8')).toMatch(/^fs\.mqueue\.msg_max = 5000$/m);
    expect(readFileSync(dropIn(root), 'utf8')).toMatch(/^LimitMSGQUEUE=100000000$/m);
  });

  it('a profile that needs an rlimit but names no owner is refused before anything is written', () => {
    const root = newRoot();
    const p = join(root, 'p.json');
    writeFileSync(p, JSON.stringify({ name: 'ownerless', workload: { queues: [{ maxmsg: 3600, msgsize: 16384 }] } }));
    const r = runCli(['apply', '--profile', p, '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs RLIMIT_MSGQUEUE 65,260,800, which is set per user or service: name its owner/);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('refuses a symlink where its file belongs, with one line', () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(join(root, 'elsewhere'), 'x\n');
    symlinkSync(join(root, 'elsewhere'), sysctlFile(root));
    const r = runCli(['apply', '--profile', PROFILE, '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/symlink/);
    expect(readFileSync(join(root, 'elsewhere'), 'utf8')).toBe('x\n');
  });

  it('--dry-run prints a unified diff and writes nothing', () => {
    const root = newRoot();
    const r = runCli(['apply', '--profile', PROFILE, '--root', root, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\+\+\+ \/etc\/sysctl\.d\/60-mq-doctor\.conf$/m);
    expect(r.stdout).toMatch(/^\+fs\.mqueue\.msg_max = 3600$/m);
    expect(existsSync(join(root, 'etc'))).toBe(false);
    expect(existsSync(join(root, 'var'))).toBe(false);
  });

  it('rollback restores what the last apply replaced and removes what it created', () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/sysctl.d'), { recursive: true });
    writeFileSync(sysctlFile(root), 'fs.mqueue.msg_max = 20\n');
    runCli(['apply', '--profile', PROFILE, '--root', root]);
    const r = runCli(['rollback', '--root', root]);
    expect(r.code).toBe(0);
    expect(readFileSync(sysctlFile(root), 'utf8')).toBe('fs.mqueue.msg_max = 20\n');
    expect(existsSync(dropIn(root))).toBe(false);
    expect(runCli(['rollback', '--root', root]).stdout).toMatch(/nothing to roll back/i);
  });

  it('verify: drift (exit 1) before, OK (exit 0) after, and names a later file that wins', () => {
    const root = newRoot();
    expect(runCli(['verify', '--profile', PROFILE, '--root', root]).code).toBe(1);
    runCli(['apply', '--profile', PROFILE, '--root', root]);
    const ok = runCli(['verify', '--profile', PROFILE, '--root', root, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).rows.map((r: { status: string }) => r.status)).toEqual(['ok', 'ok', 'ok']);
    // A configured value below the need is drift even while the live one is fine.
    writeFileSync(join(root, 'etc/sysctl.d/99-zz.conf'), 'fs/mqueue/msg_max = 50\n');
    const drift = runCli(['verify', '--profile', PROFILE, '--root', root]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toMatch(/fs\.mqueue\.msg_max\s+3,600\s+-\s+50\s+DRIFT\s+\/etc\/sysctl\.d\/99-zz\.conf/);
    expect(runCli(['apply', '--profile', PROFILE, '--root', root]).stdout).toMatch(/99-zz\.conf sets fs\.mqueue\.msg_max = 50 and is read after/);
  });

  it("warns that logind's RemoveIPC deletes a regular user's queues", () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nsvc:x:990:990::/:/bin/false\n');
    const user = (u: string) => runCli(['apply', '--profile', PROFILE, '--root', root, '--user', u, '--dry-run']).stdout;
    expect(user('app')).toMatch(/app \(uid 1000\) is a regular user and systemd-logind's RemoveIPC is on/);
    expect(user('svc')).not.toMatch(/RemoveIPC/);
    writeFileSync(join(root, 'etc/systemd-placeholder'), '');
    mkdirSync(join(root, 'etc/systemd'), { recursive: true });
    writeFileSync(join(root, 'etc/systemd/logind.conf'), '[Login]\nRemoveIPC=no\n');
    expect(user('app')).not.toMatch(/RemoveIPC is on/);
  });

  it.each([
    [['apply', '--profile', '/nonexistent.json'], /cannot read profile \/nonexistent\.json: ENOENT/],
    [['apply'], /apply needs --profile FILE/],
    [['apply', '--profile', PROFILE, '--root', 'relative'], /--root must be an absolute path/],
    [['apply', '--profile', PROFILE, '--root', '/nonexistent-root'], /--root \/nonexistent-root is not an existing directory/],
    [['rollback', '--root', '/nonexistent-root'], /is not an existing directory/],
    [['tune', '--maxmsg', '70000', '--msgsize', '128'], /maxmsg 70,000 is over the kernel's hard cap HARD_MSGMAX = 65,536/],
    [['tune', '--profile', PROFILE, '--user', 'a', '--service', 'b.service'], /not both/],
    [['tune', '--maxmsg', '10', '--msgsize', '10', '--format', 'xml'], /--format must be one of/],
  ])('%j is a usage error with one line and nothing written', (args, message) => {
    const r = runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('a bad profile names the JSON pointer and the rule; nothing is written', () => {
    const root = newRoot();
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'bad', settings: { 'kernel.msgmni': 40000 } }));
    const r = runCli(['apply', '--profile', bad, '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/settings\/kernel\.msgmni must be <= 32768 \(rule: maximum\)/);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });
});

describe('tune', () => {
  it('renders one format to stdout', () => {
    const r = runCli(['tune', '--maxmsg', '3600', '--msgsize', '16384', '--service', 'app.service', '--format', 'systemd']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# \/etc\/systemd\/system\/app\.service\.d\/60-mq-doctor\.conf$/m);
    expect(r.stdout).toMatch(/^LimitMSGQUEUE=65260800$/m);
  });
  it('warns, as a comment, when one uid could pin a large share of RAM', () => {
    const r = runCli(['tune', '--maxmsg', '65536', '--msgsize', '16777216', '--format', 'sysctl']);
    expect(r.stdout).toMatch(/^# WARNING: RLIMIT_MSGQUEUE .* unswappable kernel memory/m);
  });
});

const nsSkip = namespaceSkipReason();
if (nsSkip) console.warn(`skipping live apply tests: ${nsSkip}`);

describe.skipIf(nsSkip !== null)('apply where the drop-in cannot be written', () => {
  it('a read-only unit directory: the drop-in fails, and the systemd lines do not say it will be loaded', () => {
    const root = newRoot();
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    const r = inNamespace(`mount --bind ${root}/etc/systemd/system ${root}/etc/systemd/system && mount -o remount,bind,ro ${root}/etc/systemd/system
      node bin/mq-doctor.cjs apply --profile ${PROFILE} --root ${root}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/failed\s+\/etc\/systemd\/system\/ipcqueue-app\.service\.d\/60-mq-doctor\.conf: EROFS/);
    expect(r.stdout).toContain('systemd:\n  no reload  the drop-in of ipcqueue-app.service was not written (above): nothing of it for systemd to load\n');
    expect(r.stdout).not.toMatch(/gets the drop-in/);
  });
});

describe.skipIf(nsSkip !== null)('live apply in a private IPC namespace', () => {
  it('a real mq_open that failed before the apply succeeds after it', () => {
    const dir = scratchDir('mqd-live-');
    // 20 × 9000 needs both sysctls raised and costs 181,920 bytes: well within root's budget even
    // while other root-owned queues exist (the test ballast holds 414,400); 3600 × 16384 (59 MB) cannot fit at all.
    const profile = join(dir, 'p.json');
    writeFileSync(profile, JSON.stringify({ name: 'live-test', workload: { queues: [{ maxmsg: 20, msgsize: 9000 }], headroomPercent: 0 } }));
    const r = inNamespace(
      `set -e; mount -t tmpfs none /etc/sysctl.d; mount -t tmpfs none /var/lib
       node bin/mq-doctor.cjs check --maxmsg 20 --msgsize 9000 --live --json > ${dir}/before.json || true
       node bin/mq-doctor.cjs apply --profile ${profile}
       node bin/mq-doctor.cjs check --maxmsg 20 --msgsize 9000 --live --json > ${dir}/after.json
       node bin/mq-doctor.cjs verify --profile ${profile} --json > ${dir}/verify.json
       mount -t tmpfs none /etc/systemd/system
       node bin/mq-doctor.cjs apply --profile profiles/ipcqueue-3600x16384.json
       node bin/mq-doctor.cjs check --maxmsg 3600 --msgsize 16384 --live --json > ${dir}/seed.json || true`,
    );
    expect(r.stderr).not.toMatch(/Error/);
    const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
    expect(read('before.json').live.result.errno).toBe('EINVAL');
    expect(read('after.json').live).toMatchObject({ ran: true, agrees: true, result: { errno: null, opened: 1 } });
    expect(read('verify.json').drift).toBe(false);
    // The seed example: after its profile, the sysctls allow 3600 × 16384 and only the
    // per-uid budget stands in the way (this machine's hard limit is 819,200 bytes).
    const seed = read('seed.json');
    expect(seed.blockers.map((b: { limit?: string }) => b.limit)).toEqual(['RLIMIT_MSGQUEUE']);
    expect(seed.outcome.errno).toBe('EMFILE');
    expect(seed.live).toMatchObject({ ran: true, agrees: true, result: { errno: 'EMFILE' } });
    // The host's namespace never saw it.
    expect(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8').trim()).toBe('10');
  });
});
