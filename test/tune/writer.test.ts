// The writer against a real filesystem, always under a temporary root. What a test
// worker must not do to itself (be killed, race another writer, mount, enter a
// private IPC namespace) runs in a child process through fixtures/run-writer.cjs,
// which loads an esbuild bundle of the writer built here. What needs root or
// unshare is skipped, saying why.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { cjsOptions } from '../../scripts/esbuild-options.mjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApplyPlan,
  type ApplyReport,
  type PlannedFile,
  type RollbackReport,
  applyPlan,
  readCurrent,
  readSysctl,
  resolveUnderRoot,
  rollbackLast,
} from '../../src/tune/writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '../..');
const RUNNER = join(here, 'fixtures', 'run-writer.cjs');
const WITH_MOUNT = join(here, 'fixtures', 'with-mount.sh');
const PAUSE_ENV = 'MQ_DOCTOR_TEST_PAUSE_AFTER_STEP';

const SYSCTL_CONF = '/etc/sysctl.d/60-mq-doctor.conf';
const LIMITS_CONF = '/etc/security/limits.d/60-mq-doctor.conf';
const DROP_IN_DIR = '/etc/systemd/system/app.service.d';
const DROP_IN = `${DROP_IN_DIR}/60-mq-doctor.conf`;

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  const r = spawnSync('unshare', ['--mount', '--ipc', '--fork', 'true'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : 'unshare --mount --ipc --fork fails (no CAP_SYS_ADMIN?)';
}
function skipping(reason: string | undefined, what: string): boolean {
  if (reason) console.warn(`skipped: ${what}: ${reason}`);
  return reason !== undefined;
}
const noNamespace = missing();

const cleanup: string[] = [];
afterEach(() => {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(dir);
  return dir;
}

/** A temporary root holding `files` (target-system path → content). */
function makeRoot(files: Record<string, string> = {}): string {
  const root = tempDir('mqd-writer-');
  for (const [path, content] of Object.entries(files)) put(root, path, content);
  return root;
}

function put(root: string, path: string, content: string, mode = 0o644): void {
  const abs = resolveUnderRoot(root, path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
  chmodSync(abs, mode);
}

const at = (root: string, path: string) => resolveUnderRoot(root, path);
const content = (root: string, path: string): string | null => (existsSync(at(root, path)) ? readFileSync(at(root, path), 'utf8') : null);
const modeOf = (abs: string) => statSync(abs).mode & 0o7777;
const backupsOf = (root: string) => {
  const dir = at(root, '/var/lib/mq-doctor/backups');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

/** Every leftover temporary file under a directory, at any depth. */
function tempFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.includes('.mq-doctor-tmp-'));
}

/** A fake procfs for live sysctls: tests must not change this machine's. */
function fakeProc(values: Record<string, number>): string {
  const proc = tempDir('mqd-proc-');
  for (const [key, value] of Object.entries(values)) {
    const abs = join(proc, 'sys', ...key.split('.'));
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, `${value}\n`);
  }
  return proc;
}

const plan = (root: string, files: PlannedFile[], sysctls: ApplyPlan['sysctls'] = []): ApplyPlan => ({ root, files, sysctls });

describe('apply and rollback', () => {
  it('creates files with content and mode, changes nothing the second time, backs up what it replaces, and rolls back step by step', async () => {
    const root = makeRoot();
    const first: PlannedFile[] = [
      { path: SYSCTL_CONF, content: 'fs.mqueue.msg_max = 3600\n' },
      { path: LIMITS_CONF, content: 'app - msgqueue 59328000\n' },
      { path: DROP_IN, content: '[Service]\nLimitMSGQUEUE=59328000\n', mode: 0o640 },
    ];
    // Created directories must be 0755 whatever the umask, or readers of sysctl.d see nothing.
    const umask = process.umask(0o077);
    let r1: ApplyReport;
    try {
      r1 = await applyPlan(plan(root, first));
    } finally {
      process.umask(umask);
    }
    expect(r1.ok).toBe(true);
    expect(r1.files.map((f) => f.action)).toEqual(['created', 'created', 'created']);
    expect(r1.transaction).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const f of first) {
      expect(content(root, f.path)).toBe(f.content);
      expect(modeOf(at(root, f.path))).toBe(f.mode ?? 0o644);
    }
    expect(modeOf(at(root, DROP_IN_DIR))).toBe(0o755);
    expect(modeOf(at(root, '/etc/security/limits.d'))).toBe(0o755);

    const mtimes = first.map((f) => statSync(at(root, f.path)).mtimeMs);
    await new Promise((r) => setTimeout(r, 20));
    const r2 = await applyPlan(plan(root, first));
    expect(r2).toEqual({ transaction: null, ok: true, sysctls: [], files: first.map((f) => ({ path: f.path, action: 'unchanged' })) });
    expect(first.map((f) => statSync(at(root, f.path)).mtimeMs)).toEqual(mtimes);
    expect(backupsOf(root)).toEqual([r1.transaction]);

    const second = [{ ...(first[0] as PlannedFile), content: 'fs.mqueue.msg_max = 7200\n' }, ...first.slice(1)];
    const r3 = await applyPlan(plan(root, second));
    expect(r3.ok).toBe(true);
    expect(r3.files.map((f) => f.action)).toEqual(['replaced', 'unchanged', 'unchanged']);
    expect(content(root, SYSCTL_CONF)).toBe('fs.mqueue.msg_max = 7200\n');
    expect(backupsOf(root)).toEqual([r1.transaction, r3.transaction]);
    const txn = at(root, `/var/lib/mq-doctor/backups/${r3.transaction}`);
    const manifest = JSON.parse(readFileSync(join(txn, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ state: 'complete', files: [{ path: SYSCTL_CONF, kind: 'replaced', status: 'done' }] });
    const backup = join(txn, manifest.files[0].old.backup);
    expect(readFileSync(backup, 'utf8')).toBe('fs.mqueue.msg_max = 3600\n');
    expect(modeOf(backup)).toBe(0o644);

    const back1 = await rollbackLast(root);
    expect(back1).toMatchObject({ ok: true, transaction: r3.transaction, restored: [SYSCTL_CONF], removed: [] });
    expect(content(root, SYSCTL_CONF)).toBe('fs.mqueue.msg_max = 3600\n');
    expect(content(root, LIMITS_CONF)).toBe('app - msgqueue 59328000\n');

    const back2 = await rollbackLast(root);
    expect(back2.ok).toBe(true);
    expect(back2.transaction).toBe(r1.transaction);
    expect([...back2.removed].sort()).toEqual([SYSCTL_CONF, LIMITS_CONF, DROP_IN].sort());
    expect(back2.removedDirs).toEqual(expect.arrayContaining([DROP_IN_DIR, '/etc/security/limits.d', '/etc/sysctl.d']));
    for (const f of first) expect(existsSync(at(root, f.path))).toBe(false);
    expect(existsSync(at(root, DROP_IN_DIR))).toBe(false);

    const back3 = await rollbackLast(root);
    expect(back3).toMatchObject({ ok: true, transaction: null, restored: [], removed: [] });
    expect(back3.message).toMatch(/nothing to roll back/);
    expect(tempFilesUnder(root)).toEqual([]);
  });

  it('replaces a file whose content matches but whose mode does not, keeping its owner', async () => {
    const root = makeRoot();
    put(root, SYSCTL_CONF, 'same\n', 0o600);
    const r = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'same\n', mode: 0o644 }]));
    expect(r.files).toEqual([{ path: SYSCTL_CONF, action: 'replaced' }]);
    expect(modeOf(at(root, SYSCTL_CONF))).toBe(0o644);
    await rollbackLast(root);
    expect(modeOf(at(root, SYSCTL_CONF))).toBe(0o600);
  });

  it('a replaced file keeps its mode unless the plan names one (an administrator\'s 0640 stays 0640)', async () => {
    const root = makeRoot();
    put(root, SYSCTL_CONF, 'old\n', 0o640);
    const same = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'old\n' }]));
    expect(same.files).toEqual([{ path: SYSCTL_CONF, action: 'unchanged' }]);
    const r = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'new\n' }]));
    expect(r.files).toEqual([{ path: SYSCTL_CONF, action: 'replaced' }]);
    expect(content(root, SYSCTL_CONF)).toBe('new\n');
    expect(modeOf(at(root, SYSCTL_CONF))).toBe(0o640);
  });

  it('a rollback leaves alone a file edited since the apply, and keeps the transaction for another try', async () => {
    const root = makeRoot({ [SYSCTL_CONF]: 'old\n' });
    const r = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'new\n' }, { path: LIMITS_CONF, content: 'limits\n' }]));
    writeFileSync(at(root, LIMITS_CONF), 'edited by the admin\n');
    const back = await rollbackLast(root);
    expect(back).toMatchObject({ ok: false, transaction: r.transaction, restored: [SYSCTL_CONF] });
    expect(back.message).toMatch(/limits\.d\/60-mq-doctor\.conf has been changed since the apply/);
    expect(content(root, SYSCTL_CONF)).toBe('old\n');
    expect(content(root, LIMITS_CONF)).toBe('edited by the admin\n');
    // Put back what mq-doctor wrote: the retry now completes.
    writeFileSync(at(root, LIMITS_CONF), 'limits\n');
    expect(await rollbackLast(root)).toMatchObject({ ok: true, transaction: r.transaction, restored: [], removed: [LIMITS_CONF], removedDirs: ['/etc/security/limits.d', '/etc/security'] });
  });

  it('readCurrent and resolveUnderRoot stay under the root', () => {
    const root = makeRoot({ [SYSCTL_CONF]: 'x = 1\n' });
    expect(readCurrent(root, SYSCTL_CONF)).toBe('x = 1\n');
    expect(readCurrent(root, LIMITS_CONF)).toBeNull();
    expect(resolveUnderRoot('/', SYSCTL_CONF)).toBe(SYSCTL_CONF);
    expect(resolveUnderRoot('/srv/img/', '/etc//x')).toBe('/srv/img/etc/x');
    expect(() => resolveUnderRoot(root, '/etc/../../x')).toThrow(/"\.\."/);
    expect(() => resolveUnderRoot(root, 'etc/x')).toThrow(/not an absolute path/);
  });

  it('refuses bad plans before writing anything', async () => {
    const root = makeRoot();
    const r = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'a\n' }, { path: '/etc/../x', content: 'b\n' }]));
    expect(r.ok).toBe(false);
    expect(r.transaction).toBeNull();
    expect(r.files[0]).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/not attempted/) });
    expect(r.files[1]).toMatchObject({ action: 'failed', error: expect.stringMatching(/^EINVAL/) });
    expect(existsSync(at(root, '/etc'))).toBe(false);
    expect(existsSync(at(root, '/var'))).toBe(false);
  });
});

describe('symlinks', () => {
  it('refuses a symlink at the target path and leaves what it points to alone', async () => {
    const root = makeRoot({ [LIMITS_CONF]: 'old limits\n' });
    const outside = tempDir('mqd-outside-');
    writeFileSync(join(outside, 'precious'), 'precious\n');
    mkdirSync(at(root, '/etc/sysctl.d'), { recursive: true });
    symlinkSync(join(outside, 'precious'), at(root, SYSCTL_CONF));

    const r = await applyPlan(plan(root, [{ path: LIMITS_CONF, content: 'new limits\n' }, { path: SYSCTL_CONF, content: 'evil\n' }]));
    expect(r.ok).toBe(false);
    expect(r.transaction).toBeNull();
    expect(r.files[1]).toMatchObject({ action: 'failed', error: expect.stringContaining(`${SYSCTL_CONF} is a symbolic link`) });
    // Known before the first write, so nothing at all is written.
    expect(r.files[0]).toMatchObject({ action: 'skipped' });
    expect(content(root, LIMITS_CONF)).toBe('old limits\n');
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('precious\n');
    expect(lstatSync(at(root, SYSCTL_CONF)).isSymbolicLink()).toBe(true);
    expect(readdirSync(at(root, '/etc/sysctl.d'))).toEqual(['60-mq-doctor.conf']);
    expect(() => readCurrent(root, SYSCTL_CONF)).toThrow(/symbolic link/);
  });

  it('refuses a symlinked directory between the root and the target', async () => {
    const root = makeRoot();
    const outside = tempDir('mqd-outside-');
    mkdirSync(at(root, '/etc'), { recursive: true });
    symlinkSync(outside, at(root, '/etc/security'));

    const r = await applyPlan(plan(root, [{ path: LIMITS_CONF, content: 'x\n' }]));
    expect(r.files).toEqual([{ path: LIMITS_CONF, action: 'failed', error: expect.stringMatching(/^ELOOP: \/etc\/security is a symbolic link -> /) }]);
    expect(readdirSync(outside)).toEqual([]);
    expect(readlinkSync(at(root, '/etc/security'))).toBe(outside);
  });
});

describe('live sysctls against a fake /proc', () => {
  it('sets, reports unchanged, refuses an unreadable key before writing, and rolls back', async () => {
    const root = makeRoot();
    const proc = fakeProc({ 'fs.mqueue.msg_max': 10, 'fs.mqueue.msgsize_max': 8192 });
    expect(readSysctl('fs.mqueue.msg_max', proc)).toBe(10);
    expect(readSysctl('fs.mqueue.nope', proc)).toBeNull();
    expect(readSysctl('../../etc/passwd', proc)).toBeNull();

    const sysctls = [
      { key: 'fs.mqueue.msg_max', value: 3600 },
      { key: 'fs.mqueue.msgsize_max', value: 8192 },
    ];
    const r = await applyPlan(plan(root, [{ path: SYSCTL_CONF, content: 'x\n' }], sysctls), { procRoot: proc });
    expect(r.ok).toBe(true);
    expect(r.sysctls).toEqual([
      { key: 'fs.mqueue.msg_max', action: 'set', old: 10, new: 3600 },
      { key: 'fs.mqueue.msgsize_max', action: 'unchanged', old: 8192, new: 8192 },
    ]);
    expect(readSysctl('fs.mqueue.msg_max', proc)).toBe(3600);
    expect((await applyPlan(plan(root, [], sysctls), { procRoot: proc })).transaction).toBeNull();

    const bad = await applyPlan(plan(root, [{ path: LIMITS_CONF, content: 'y\n' }], [{ key: 'fs.mqueue.nope', value: 1 }]), { procRoot: proc });
    expect(bad).toMatchObject({ ok: false, transaction: null, files: [{ action: 'skipped' }], sysctls: [{ action: 'failed', error: expect.stringMatching(/^ENOENT/) }] });
    expect(existsSync(at(root, LIMITS_CONF))).toBe(false);

    const back = await rollbackLast(root, { procRoot: proc });
    expect(back).toMatchObject({ ok: true, removed: [SYSCTL_CONF], removedDirs: ['/etc/sysctl.d', '/etc'], sysctls: [{ key: 'fs.mqueue.msg_max', value: 10, ok: true }] });
    expect(readSysctl('fs.mqueue.msg_max', proc)).toBe(10);
  });
});

// ---- child processes -------------------------------------------------------

let bundleDir: string;
let bundle: string;
beforeAll(() => {
  bundleDir = mkdtempSync(join(tmpdir(), 'mqd-writer-bundle-'));
  bundle = join(bundleDir, 'writer.cjs');
  // Exactly as scripts/build.mjs bundles the CLI.
  buildSync({ entryPoints: [join(project, 'src/tune/writer.ts')], outfile: bundle, ...cjsOptions });
});
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }));

type Op =
  | { op: 'apply'; plan: ApplyPlan; options?: { procRoot?: string; lockTimeoutMs?: number } }
  | { op: 'rollback'; root: string; options?: { procRoot?: string } }
  | { op: 'readSysctl'; key: string }
  | { op: 'list'; dir: string };

interface Child {
  proc: ChildProcess;
  /** Resolves with the step number when the writer announces its test pause, never otherwise. */
  paused: Promise<number>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; results: unknown[]; stderr: string }>;
}

function startChild(ops: Op[], opts: { prefix?: string[]; env?: Record<string, string> } = {}): Child {
  const argv = [...(opts.prefix ?? []), process.execPath, RUNNER];
  const proc = spawn(argv[0] as string, argv.slice(1), {
    env: { ...process.env, MQ_DOCTOR_WRITER_BUNDLE: bundle, NODE_PATH: join(project, 'node_modules'), ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stdin?.end(JSON.stringify({ ops }));
  let stdout = '';
  let stderr = '';
  let onPause: (n: number) => void = () => {};
  const paused = new Promise<number>((r) => (onPause = r));
  proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    const m = new RegExp(`${PAUSE_ENV}: paused after step (\\d+)`).exec(stderr);
    if (m) onPause(Number(m[1]));
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; results: unknown[]; stderr: string }>((res, rej) => {
    proc.on('error', rej);
    proc.on('close', (code, signal) => res({ code, signal, results: stdout.trim() ? (JSON.parse(stdout) as unknown[]) : [], stderr }));
  });
  return { proc, paused, done };
}

async function runChild(ops: Op[], opts: { prefix?: string[]; env?: Record<string, string> } = {}): Promise<unknown[]> {
  const r = await startChild(ops, opts).done;
  if (r.code !== 0) throw new Error(`child exited ${r.code ?? r.signal}: ${r.stderr}`);
  return r.results;
}

describe('read-only and full filesystems', () => {
  it.skipIf(skipping(noNamespace, 'read-only bind mount'))('a file on a read-only mount fails with EROFS, the files before it stay written, the rest are skipped', async () => {
    const root = makeRoot({ [SYSCTL_CONF]: 'old sysctl\n', [LIMITS_CONF]: 'old limits\n' });
    const p = plan(root, [
      { path: LIMITS_CONF, content: 'new limits\n' },
      { path: SYSCTL_CONF, content: 'new sysctl\n' },
      { path: DROP_IN, content: 'drop-in\n' },
    ]);
    const [report, listing] = (await runChild(
      [
        { op: 'apply', plan: p },
        { op: 'list', dir: at(root, '/etc/sysctl.d') },
      ],
      { prefix: ['unshare', '--mount', WITH_MOUNT, 'ro', at(root, '/etc/sysctl.d'), '--'] },
    )) as [ApplyReport, Record<string, string>];
    expect(report.ok).toBe(false);
    expect(report.files).toEqual([
      { path: LIMITS_CONF, action: 'replaced' },
      { path: SYSCTL_CONF, action: 'failed', error: expect.stringMatching(/^EROFS: read-only file system/) },
      { path: DROP_IN, action: 'skipped', reason: `not attempted: writing ${SYSCTL_CONF} failed` },
    ]);
    expect(listing).toEqual({ '60-mq-doctor.conf': 'old sysctl\n' });
    expect(content(root, SYSCTL_CONF)).toBe('old sysctl\n');
    expect(content(root, LIMITS_CONF)).toBe('new limits\n');
    expect(existsSync(at(root, DROP_IN_DIR))).toBe(false);
    expect(report.transaction).not.toBeNull();

    const back = await rollbackLast(root);
    expect(back).toMatchObject({ ok: true, transaction: report.transaction, restored: [LIMITS_CONF] });
    expect(content(root, LIMITS_CONF)).toBe('old limits\n');
    expect(tempFilesUnder(root)).toEqual([]);
  });

  it.skipIf(skipping(noNamespace, 'tiny tmpfs'))('a file bigger than the free space fails with ENOSPC, the old content intact, no temporary file left', async () => {
    const root = makeRoot({ [SYSCTL_CONF]: 'old sysctl\n' });
    const big = `# ${'x'.repeat(64 * 1024)}\n`;
    const [report, listing] = (await runChild(
      [
        { op: 'apply', plan: plan(root, [{ path: SYSCTL_CONF, content: big }]) },
        { op: 'list', dir: at(root, '/etc/sysctl.d') },
      ],
      { prefix: ['unshare', '--mount', WITH_MOUNT, 'tmpfs', '16k', at(root, '/etc/sysctl.d'), '--'] },
    )) as [ApplyReport, Record<string, string>];
    expect(report).toEqual({
      transaction: null,
      ok: false,
      sysctls: [],
      files: [{ path: SYSCTL_CONF, action: 'failed', error: expect.stringMatching(/^ENOSPC: no space left on device/) }],
    });
    expect(listing).toEqual({ '60-mq-doctor.conf': 'old sysctl\n' });
    // Nothing changed, so no transaction is kept either.
    expect(backupsOf(root)).toEqual([]);
  });
});

describe('concurrent applies', () => {
  const threeFiles = (root: string, tag: string): ApplyPlan =>
    plan(
      root,
      [SYSCTL_CONF, LIMITS_CONF, DROP_IN].map((path) => ({ path, content: `${tag} ${path}\n${tag.repeat(100_000)}\n` })),
    );
  const whole = (root: string) => [SYSCTL_CONF, LIMITS_CONF, DROP_IN].map((p) => content(root, p)?.slice(0, 1)).join('');

  it('the second waits for the first and then applies completely', async () => {
    const root = makeRoot();
    // A holds the lock for 400 ms in the middle of its transaction.
    const a = startChild([{ op: 'apply', plan: threeFiles(root, 'A') }], { env: { [PAUSE_ENV]: '6:400' } });
    await a.paused;
    const b = startChild([{ op: 'apply', plan: threeFiles(root, 'B') }]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.results).toMatchObject([{ ok: true, files: [{ action: 'created' }, { action: 'created' }, { action: 'created' }] }]);
    expect(rb.results).toMatchObject([{ ok: true, files: [{ action: 'replaced' }, { action: 'replaced' }, { action: 'replaced' }] }]);
    expect(whole(root)).toBe('BBB');
  });

  it('the second gives up with a clear error when the lock is held too long', async () => {
    const root = makeRoot();
    const a = startChild([{ op: 'apply', plan: threeFiles(root, 'A') }], { env: { [PAUSE_ENV]: '6:1500' } });
    await a.paused;
    const [rb] = await runChild([{ op: 'apply', plan: threeFiles(root, 'B'), options: { lockTimeoutMs: 300 } }]);
    expect(rb).toMatchObject({
      ok: false,
      transaction: null,
      files: [
        { path: SYSCTL_CONF, action: 'failed', error: expect.stringMatching(/^ELOCKED: another mq-doctor is writing under this root \(pid \d+ .*gave up after 0\.3 s/) },
        { path: LIMITS_CONF, action: 'skipped' },
        { path: DROP_IN, action: 'skipped' },
      ],
    });
    expect((await a.done).results).toMatchObject([{ ok: true }]);
    expect(whole(root)).toBe('AAA');
  });

  it('unsynchronised races end with one complete set of files, never a mix', async () => {
    for (let i = 0; i < 3; i++) {
      const root = makeRoot();
      const [ra, rb] = await Promise.all([runChild([{ op: 'apply', plan: threeFiles(root, 'A') }]), runChild([{ op: 'apply', plan: threeFiles(root, 'B') }])]);
      expect(ra).toMatchObject([{ ok: true }]);
      expect(rb).toMatchObject([{ ok: true }]);
      expect(['AAA', 'BBB']).toContain(whole(root));
      expect(backupsOf(root)).toHaveLength(2);
    }
  });
});

describe('killed', () => {
  const old = { [SYSCTL_CONF]: 'old sysctl\n', [LIMITS_CONF]: 'old limits\n' };
  const next = { [SYSCTL_CONF]: 'new sysctl\n', [LIMITS_CONF]: 'new limits\n', [DROP_IN]: 'new drop-in\n' };
  function setup() {
    const root = makeRoot(old);
    const proc = fakeProc({ 'fs.mqueue.msg_max': 10 });
    const p = plan(
      root,
      Object.entries(next).map(([path, c]) => ({ path, content: c })),
      [{ key: 'fs.mqueue.msg_max', value: 3600 }],
    );
    const expectOld = () => {
      for (const [path, c] of Object.entries(old)) expect(content(root, path)).toBe(c);
      expect(existsSync(at(root, DROP_IN_DIR))).toBe(false);
      expect(readSysctl('fs.mqueue.msg_max', proc)).toBe(10);
      expect(tempFilesUnder(root)).toEqual([]);
    };
    const expectOldOrNew = () => {
      for (const [path, c] of Object.entries(next)) expect([old[path as keyof typeof old] ?? null, c]).toContain(content(root, path));
      expect([10, 3600]).toContain(readSysctl('fs.mqueue.msg_max', proc));
    };
    return { root, proc, p, expectOld, expectOldOrNew };
  }

  /** Run `op` in a child told to pause at `step`; SIGKILL it there. False when it finished first. */
  async function killAt(op: Op, step: number): Promise<{ killed: boolean; results: unknown[] }> {
    const child = startChild([op], { env: { [PAUSE_ENV]: `${step}:30000` } });
    const outcome = await Promise.race([child.paused.then(() => 'paused' as const), child.done.then(() => 'finished' as const)]);
    if (outcome === 'finished') return { killed: false, results: (await child.done).results };
    child.proc.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    return { killed: true, results: [] };
  }

  it('mid-apply, at every step: each file is old or new, and rollback restores the old state', async () => {
    const { root, proc, p, expectOld, expectOldOrNew } = setup();
    let killedAt = 0;
    for (let step = 1; ; step++) {
      const { killed, results } = await killAt({ op: 'apply', plan: p, options: { procRoot: proc } }, step);
      if (!killed) {
        expect(results).toMatchObject([{ ok: true, files: [{ action: 'replaced' }, { action: 'replaced' }, { action: 'created' }] }]);
        for (const [path, c] of Object.entries(next)) expect(content(root, path)).toBe(c);
        expect((await rollbackLast(root, { procRoot: proc })).ok).toBe(true);
        expectOld();
        break;
      }
      killedAt = step;
      expectOldOrNew();

      const back = await rollbackLast(root, { procRoot: proc });
      expect(back, `rollback after a kill at step ${step}`).toMatchObject({ ok: true, transaction: expect.any(String) });
      expectOld();
      expect((await rollbackLast(root, { procRoot: proc })).transaction).toBeNull();
      expect(step).toBeLessThan(60);
    }
    // Backups, manifest, three files and a sysctl: every one of them was a kill point.
    expect(killedAt).toBeGreaterThanOrEqual(15);
  });

  it('mid-rollback, at every step: another rollback finishes the job', async () => {
    const { root, proc, p, expectOld, expectOldOrNew } = setup();
    let killedAt = 0;
    for (let step = 1; ; step++) {
      expect((await applyPlan(p, { procRoot: proc })).ok).toBe(true);
      const { killed, results } = await killAt({ op: 'rollback', root, options: { procRoot: proc } }, step);
      if (!killed) {
        expect(results).toMatchObject([{ ok: true, restored: [LIMITS_CONF, SYSCTL_CONF] }]);
        expectOld();
        break;
      }
      killedAt = step;
      expectOldOrNew();
      expect(await rollbackLast(root, { procRoot: proc })).toMatchObject({ ok: true, transaction: expect.any(String) });
      expectOld();
      expect(step).toBeLessThan(20);
    }
    // Two restores, a removal, a sysctl, and the manifest marked rolled back before it is filed away.
    expect(killedAt).toBeGreaterThanOrEqual(7);
    expect((await rollbackLast(root, { procRoot: proc })).transaction).toBeNull();
  });
});

describe('live sysctls in a private IPC namespace', () => {
  it.skipIf(skipping(noNamespace, 'private IPC namespace'))('sets, confirms, reports EINVAL from the kernel, and rolls back, leaving the host alone', async () => {
    const hostBefore = readSysctl('fs.mqueue.msg_max');
    const root = makeRoot();
    const set = (msgMax: number, msgsizeMax: number): Op => ({
      op: 'apply',
      plan: plan(root, [], [
        { key: 'fs.mqueue.msg_max', value: msgMax },
        { key: 'fs.mqueue.msgsize_max', value: msgsizeMax },
      ]),
    });
    const read: Op[] = [
      { op: 'readSysctl', key: 'fs.mqueue.msg_max' },
      { op: 'readSysctl', key: 'fs.mqueue.msgsize_max' },
    ];
    const rollback: Op = { op: 'rollback', root };
    const child = startChild([...read, set(50, 16384), set(50, 16384), set(100, 1), ...read, rollback, ...read, rollback, ...read, rollback], {
      prefix: ['unshare', '--ipc', '--fork'],
      env: { MQ_DOCTOR_LOG_LEVEL: 'info' },
    });
    const { code, results, stderr } = await child.done;
    expect(code, stderr).toBe(0);
    const [d1, d2, first, again, partial, m1, s1, back1, m2, s2, back2, m3, s3, none] = results as [
      number, number, ApplyReport, ApplyReport, ApplyReport, number, number, RollbackReport, number, number, RollbackReport, number, number, RollbackReport,
    ];
    // A new IPC namespace starts from the kernel defaults.
    expect([d1, d2]).toEqual([10, 8192]);
    expect(first).toMatchObject({ ok: true, sysctls: [{ action: 'set', old: 10, new: 50 }, { action: 'set', old: 8192, new: 16384 }] });
    expect(again).toMatchObject({ ok: true, transaction: null, sysctls: [{ action: 'unchanged' }, { action: 'unchanged' }] });
    expect(partial).toMatchObject({
      ok: false,
      sysctls: [
        { key: 'fs.mqueue.msg_max', action: 'set', old: 50, new: 100 },
        { key: 'fs.mqueue.msgsize_max', action: 'failed', error: expect.stringMatching(/^EINVAL: invalid argument/) },
      ],
    });
    expect([m1, s1]).toEqual([100, 16384]);
    // The failed write is checked too: the kernel refused it, so msgsize_max is still its old value.
    expect(back1).toMatchObject({
      ok: true,
      transaction: partial.transaction,
      sysctls: [
        { key: 'fs.mqueue.msgsize_max', value: 16384, ok: true },
        { key: 'fs.mqueue.msg_max', value: 50, ok: true },
      ],
    });
    expect([m2, s2]).toEqual([50, 16384]);
    expect(back2).toMatchObject({ ok: true, transaction: first.transaction });
    expect([m3, s3]).toEqual([10, 8192]);
    expect(none.transaction).toBeNull();
    expect(readSysctl('fs.mqueue.msg_max')).toBe(hostBefore);

    // Every change is logged through pino, on stderr.
    const logged = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; key?: string; old?: number; new?: number });
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'sysctl set', key: 'fs.mqueue.msg_max', old: 10, new: 50 }));
    expect(logged.filter((l) => l.msg === 'sysctl set')).toHaveLength(6);
  });
});
