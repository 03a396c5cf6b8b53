// Faults injected into real temporary roots, against the built CLI in real child
// processes: a lock that is not a lock, non-regular files where configuration is
// read, several owners sharing limits.d, concurrent applies for different owners,
// and whether verify and apply judge the same files the same way. Every child has
// a timeout (a hang fails the test instead of the suite), and every fault is
// counted: the last test checks that each one injected was survived.
// MQ_DOCTOR_FAULT_SUMMARY=1 prints the tally in one line.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
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
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLimitsLines } from '../../src/tune/limits-rules.js';
import { limitsBlocks } from '../../src/tune/render/limits.js';
import { BIN } from '../support/run-cli.js';
import { schemaErrors, validateVerify } from '../support/schemas.js';

const CHILD_TIMEOUT_MS = 20_000;
/** The writer's lock deadline (DEFAULT_LOCK_TIMEOUT_MS in src/tune/writer.ts). */
const LOCK_DEADLINE_MS = 5_000;
const LIMITS = '/etc/security/limits.d/60-mq-doctor.conf';
const SYSCTL = '/etc/sysctl.d/60-mq-doctor.conf';
const DROP_IN = '/etc/systemd/system/app.service.d/60-mq-doctor.conf';

// ---- the tally ------------------------------------------------------------

const tally = new Map<string, { injected: number; survived: number }>();
const entry = (category: string) => tally.get(category) ?? tally.set(category, { injected: 0, survived: 0 }).get(category)!;
/** Count `n` faults in, run the checks, count them survived only if every check passes. */
async function fault(category: string, check: () => void | Promise<void>, n = 1): Promise<void> {
  entry(category).injected += n;
  await check();
  entry(category).survived += n;
}

// ---- roots, profiles, children ----------------------------------------------

const temps: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

const PASSWD = 'root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\nbob:x:1002:1002::/home/bob:/bin/sh\nsvc:x:990:990::/:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nalice:x:1001:\nbob:x:1002:\nsvc:x:990:\nstaff:x:50:alice,bob\nother:x:51:bob\n';

/** A root with fake accounts (accountOf reads <root>/etc/passwd and group) and `files` (target path → content). */
function makeRoot(files: Record<string, string> = {}): string {
  const root = tempDir('mqd-faults-');
  put(root, '/etc/passwd', PASSWD);
  put(root, '/etc/group', GROUP);
  for (const [p, c] of Object.entries(files)) put(root, p, c);
  return root;
}
function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
const text = (root: string, path: string): string | null => (existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : null);

const profiles = tempDir('mqd-faults-profiles-');
function profile(name: string, body: object): string {
  const p = join(profiles, `${name}.json`);
  writeFileSync(p, JSON.stringify({ name, ...body }));
  return p;
}
const queues = (maxmsg: number, msgsize: number, count = 1) => ({ workload: { queues: [{ maxmsg, msgsize, count }], headroomPercent: 0 } });
/** Sysctls and an rlimit, for alice; another key set and a higher rlimit, for bob. */
const PA = profile('pa', queues(100, 16384));
const PB = profile('pb', queues(400, 8192));
/** An rlimit alone: 30 queues of the default size. */
const PQ = profile('pq', queues(10, 8192, 30));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: Record<string, string> = {}): Run {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, ...env } });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), ms: performance.now() - t0 };
}

/** Like spawnSync with a timeout, without blocking this process: for children that must run side by side. */
function spawnAsync(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}
const cliAsync = (args: string[], env: Record<string, string> = {}) => spawnAsync(process.execPath, [BIN, ...args], env);

/** `cmd` under bash, which reports the CPU time (user + system) of everything it ran (`times`, second line). */
async function timedAsync(cmd: string[]): Promise<Run & { cpuMs: number }> {
  const out = join(tempDir('mqd-times-'), 'times');
  const r = await spawnAsync('bash', ['-c', '"$@"; rc=$?; times > "$MQD_TIMES"; exit $rc', 'timed', ...cmd], { MQD_TIMES: out });
  return { ...r, cpuMs: cpuOf(out) };
}
function timed(cmd: string[]): Run & { cpuMs: number } {
  const out = join(tempDir('mqd-times-'), 'times');
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@"; rc=$?; times > "$MQD_TIMES"; exit $rc', 'timed', ...cmd], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, MQD_TIMES: out },
  });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), ms: performance.now() - t0, cpuMs: cpuOf(out) };
}
function cpuOf(timesFile: string): number {
  // "0m0.001s 0m0.000s" (the shell), then "0m0.163s 0m0.031s" (its children).
  const line = readFileSync(timesFile, 'utf8').trim().split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  expect(secs).toHaveLength(2);
  return (secs[0]! + secs[1]!) * 1000;
}

type VerifyDoc = { ok: boolean; drift: boolean; rows: Array<{ key: string; status: string; configured: unknown; configuredHard?: unknown; sources: string[] }> };
function checkedVerify(r: Run): VerifyDoc {
  expect(r.signal).toBeNull();
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as VerifyDoc;
  expect(schemaErrors(validateVerify, doc)).toBe('');
  expect(r.code).toBe(doc.ok ? 0 : 1);
  return doc;
}
const verifyJsonAsync = async (args: string[]) => checkedVerify(await cliAsync(['verify', ...args, '--json']));
const verifyJson = (args: string[]) => checkedVerify(cli(['verify', ...args, '--json']));
const row = (doc: VerifyDoc, key: string) => doc.rows.find((r) => r.key === key)!;

/** Everything under a directory, by relative path: type, mode, size, mtime, and content hash or link target. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = join(rel, name);
      const st = lstatSync(join(dir, p));
      const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'other';
      const what = st.isFile() ? createHash('sha256').update(readFileSync(join(dir, p))).digest('hex') : st.isSymbolicLink() ? readlinkSync(join(dir, p)) : '';
      out[p] = `${kind} ${(st.mode & 0o7777).toString(8)} ${st.size} ${st.mtimeMs} ${what}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out;
}
const tempsLeft = (root: string) => Object.keys(tree(root)).filter((p) => p.includes('.mq-doctor-tmp-'));

function mkfifo(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const r = spawnSync('mkfifo', [path]);
  expect(r.status).toBe(0);
}
async function mksocket(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const server = createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, r));
  expect(lstatSync(path).isSocket()).toBe(true);
}

/** The soft and hard msgqueue lines of one owner's block, verbatim; undefined when it has none. */
function block(file: string | null, domain: string): string | undefined {
  return limitsBlocks(file).get(domain)?.join('\n');
}

/** A limits.d file that parses: every non-comment line is a pam_limits line, one marker per owner. */
function expectParses(file: string, owners: string[]): void {
  const lines = file.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  expect(parseLimitsLines(file)).toHaveLength(lines.length);
  expect([...file.matchAll(/^# --- limits for (\S+) ---$/gm)].map((m) => m[1]).sort()).toEqual([...owners].sort());
}

function decisionOf(stdout: string, key: string): 'raise' | 'unchanged' | 'kept-higher' | 'lower' | 'carried' | 'none' {
  const line = stdout.split('\n').find((l) => l.startsWith(`  ${key} `));
  if (!line) return 'none';
  if (/\bkept at [\d,]+: higher than\b/.test(line)) return 'kept-higher';
  if (/, unchanged$/.test(line)) return 'unchanged';
  if (/LOWERED/.test(line)) return 'lower';
  if (/, kept: an earlier apply/.test(line)) return 'carried';
  if (/→/.test(line)) return 'raise';
  return 'none';
}

// ---- 1. the lock ------------------------------------------------------------

describe('a lock that is not a lock', () => {
  const lockPath = (root: string) => join(root, 'var/lib/mq-doctor/lock');
  const plants: Array<[string, (root: string) => void, (root: string) => void]> = [
    [
      'a dangling symlink',
      (root) => symlinkSync(join(root, 'lock-target'), lockPath(root)),
      (root) => expect(existsSync(join(root, 'lock-target'))).toBe(false),
    ],
    [
      'a symlink to a real file',
      (root) => {
        writeFileSync(join(root, 'precious'), 'keep me\n');
        symlinkSync(join(root, 'precious'), lockPath(root));
      },
      (root) => expect(readFileSync(join(root, 'precious'), 'utf8')).toBe('keep me\n'),
    ],
    ['a FIFO', (root) => mkfifo(lockPath(root)), (root) => expect(lstatSync(lockPath(root)).isFIFO()).toBe(true)],
    ['a directory', (root) => mkdirSync(lockPath(root)), (root) => expect(readdirSync(lockPath(root))).toEqual([])],
    [
      'var/lib/mq-doctor a symlink to elsewhere',
      (root) => {
        rmSync(join(root, 'var/lib/mq-doctor'), { recursive: true });
        mkdirSync(join(root, 'elsewhere'));
        symlinkSync(join(root, 'elsewhere'), join(root, 'var/lib/mq-doctor'));
      },
      (root) => expect(readdirSync(join(root, 'elsewhere'))).toEqual([]),
    ],
  ];

  it('the measurement works: a busy child shows its CPU time, a sleeping one does not', () => {
    // Spins until it has had 400 ms of CPU, however long a loaded machine makes that take.
    const busy = timed([process.execPath, '-e', 'const t = process.cpuUsage(); for (;;) { const u = process.cpuUsage(t); if (u.user + u.system > 400_000) break; }']);
    expect(busy.code).toBe(0);
    expect(busy.cpuMs).toBeGreaterThan(380);
    const idle = timed(['sleep', '0.4']);
    expect(idle.ms).toBeGreaterThan(380);
    expect(idle.cpuMs).toBeLessThan(100);
  });

  it.each(plants)('%s: apply fails at once with one line (exit 2), follows nothing, writes nothing', async (name, plant, intact) => {
    await fault('lock', () => {
      const root = makeRoot();
      mkdirSync(join(root, 'var/lib/mq-doctor'), { recursive: true });
      plant(root);
      const before = tree(root);
      // A dry run is refused the same way (once is enough to show it).
      for (const extra of name === 'a dangling symlink' ? [[], ['--dry-run']] : [[]]) {
        const r = timed([process.execPath, BIN, 'apply', '--profile', PA, '--user', 'alice', '--root', root, ...extra]);
        expect(r.signal).toBeNull();
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^mq-doctor: cannot use .* as it is: (ELOOP|EINVAL|ENOTDIR): .*(lock|\/var\/lib\/mq-doctor)/);
        // Well under the lock deadline, and not by spinning.
        expect(r.ms).toBeLessThan(LOCK_DEADLINE_MS / 2);
        expect(r.cpuMs).toBeLessThan(LOCK_DEADLINE_MS / 5);
        expect(tree(root)).toEqual(before);
        intact(root);
      }
      // verify takes no lock: it still reads the configuration.
      expect(cli(['verify', '--profile', PA, '--user', 'alice', '--root', root]).code).toBe(1);
    });
  });

  it('rollback with a planted lock refuses (exit 1) and restores nothing', async () => {
    await fault('lock', () => {
      const root = makeRoot();
      expect(cli(['apply', '--profile', PA, '--user', 'alice', '--root', root]).code).toBe(0);
      symlinkSync(join(root, 'lock-target'), lockPath(root));
      const before = tree(root);
      const r = cli(['rollback', '--root', root]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/cannot roll back: ELOOP: the lock .* is a symlink/);
      expect(tree(root)).toEqual(before);
    });
  });

  // Started first and awaited last: its five seconds of waiting overlap the other tests.
  let held: { root: string; holder: object; run: Promise<Run & { cpuMs: number }> };
  beforeAll(() => {
    const root = makeRoot();
    mkdirSync(join(root, 'var/lib/mq-doctor'), { recursive: true });
    // This test process poses as the holder: alive, same start time, same pid namespace.
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const holder = { pid: process.pid, start, pidNamespace: readlinkSync('/proc/self/ns/pid'), host: hostname(), since: new Date().toISOString() };
    writeFileSync(lockPath(root), JSON.stringify(holder));
    held = { root, holder, run: timedAsync([process.execPath, BIN, 'apply', '--profile', PA, '--user', 'alice', '--root', root]) };
  });

  it('a lock held by a live mq-doctor is waited for until the deadline: exit 1, ELOCKED, no spinning, nothing written', async () => {
    await fault('lock', async () => {
      const r = await held.run;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/failed\s+\/etc\/sysctl\.d\/60-mq-doctor\.conf: ELOCKED: another mq-doctor is writing under this root \(pid \d+/);
      expect(r.ms).toBeGreaterThan(LOCK_DEADLINE_MS - 100);
      expect(r.cpuMs).toBeLessThan(LOCK_DEADLINE_MS / 5);
      expect(existsSync(join(held.root, 'etc/sysctl.d'))).toBe(false);
      expect(JSON.parse(readFileSync(lockPath(held.root), 'utf8'))).toEqual(held.holder);
    });
  });
});

// ---- 2. non-regular files among the configuration ----------------------------------

describe('FIFOs, sockets, devices and directories among the files read', () => {
  const READ_PLACES = ['/etc/sysctl.d/55-planted.conf', '/etc/security/limits.d/55-planted.conf', '/etc/security/limits.conf', '/etc/systemd/system/app.service.d/55-planted.conf'];
  const KINDS: Array<[string, (abs: string) => void | Promise<void>, (abs: string) => boolean]> = [
    ['FIFO', mkfifo, (abs) => lstatSync(abs).isFIFO()],
    ['socket', mksocket, (abs) => lstatSync(abs).isSocket()],
    [
      'symlink to /dev/zero',
      (abs) => {
        mkdirSync(dirname(abs), { recursive: true });
        symlinkSync('/dev/zero', abs);
      },
      (abs) => readlinkSync(abs) === '/dev/zero',
    ],
    ['directory', (abs) => mkdirSync(abs, { recursive: true }), (abs) => lstatSync(abs).isDirectory()],
    [
      'symlink to a FIFO',
      (abs) => {
        mkfifo(`${abs}.fifo`);
        symlinkSync(`${abs}.fifo`, abs);
      },
      (abs) => lstatSync(abs).isSymbolicLink() && statSync(abs).isFIFO(),
    ],
  ];

  it('the fault is live: a plain blocking read of such a FIFO hangs', () => {
    const dir = tempDir('mqd-fifo-');
    mkfifo(join(dir, 'f'));
    const r = spawnSync('cat', [join(dir, 'f')], { timeout: 300, killSignal: 'SIGKILL' });
    expect(r.signal).toBe('SIGKILL');
  });

  it.each(KINDS)('a %s at every place configuration is read: apply and verify finish, skip it, and leave it as it is', async (_kind, plant, still) => {
    const root = makeRoot({ '/etc/systemd/system/app.service': '[Service]\nExecStart=/bin/true\n' });
    for (const p of READ_PLACES) await plant(join(root, p));
    await fault(
      'non-regular file read',
      () => {
        for (const args of [
          ['apply', '--profile', PA, '--user', 'alice', '--root', root],
          ['apply', '--profile', PA, '--service', 'app', '--root', root],
        ]) {
          const r = cli(args);
          expect(r.signal).toBeNull();
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toMatch(/(created|unchanged)\s+\/etc\/sysctl\.d\/60-mq-doctor\.conf/);
          for (const p of READ_PLACES) expect(r.stdout).not.toContain(p);
        }
        for (const owner of [['--user', 'alice'], ['--service', 'app']]) {
          const doc = verifyJson(['--profile', PA, ...owner, '--root', root]);
          expect(doc.ok).toBe(true);
          for (const r of doc.rows) for (const src of r.sources) expect(READ_PLACES.some((p) => src.startsWith(p))).toBe(false);
        }
        expect(block(text(root, LIMITS), 'alice')).toMatch(/^alice hard msgqueue \d+$/m);
        expect(text(root, DROP_IN)).toMatch(/^LimitMSGQUEUE=\d+$/m);
        for (const p of READ_PLACES) expect(still(join(root, p))).toBe(true);
        expect(tempsLeft(root)).toEqual([]);
      },
      READ_PLACES.length,
    );
  });

  it('accounts, logind and the unit file as FIFOs: read as absent, nothing hangs', async () => {
    const places = ['/etc/passwd', '/etc/group', '/etc/login.defs', '/etc/systemd/logind.conf', '/etc/systemd/system/app.service', '/etc/sysctl.conf'];
    const root = tempDir('mqd-faults-');
    for (const p of places) mkfifo(join(root, p));
    await fault(
      'non-regular file read',
      () => {
        for (const args of [
      ['apply', '--profile', PA, '--user', 'alice', '--root', root],
      ['verify', '--profile', PA, '--user', 'alice', '--root', root],
      ['apply', '--profile', PA, '--service', 'app', '--root', root],
      ['verify', '--profile', PA, '--service', 'app', '--root', root],
    ]) {
          const r = cli(args);
          expect(r.signal).toBeNull();
          expect(r.code, r.stderr).toBe(0);
        }
        for (const p of places) expect(lstatSync(join(root, p)).isFIFO()).toBe(true);
      },
      places.length,
    );
  });

  it.each([
    [SYSCTL, 'FIFO'],
    [LIMITS, 'FIFO'],
    [DROP_IN, 'FIFO'],
    [LIMITS, 'directory'],
    ['/etc/systemd/system/app.service.d', 'FIFO'],
    ['/etc/security/limits.d', 'FIFO'],
  ])("%s, one of mq-doctor's own paths, a %s: apply and verify refuse with one line (exit 2), at once", async (path, kind) => {
    await fault("non-regular file at mq-doctor's own path", () => {
      const root = makeRoot();
      if (kind === 'FIFO') mkfifo(join(root, path));
      else mkdirSync(join(root, path), { recursive: true });
      const before = tree(root);
      const owner = path.includes('systemd') ? ['--service', 'app'] : ['--user', 'alice'];
      for (const cmd of ['apply', 'verify']) {
        const r = cli([cmd, '--profile', PA, ...owner, '--root', root]);
        expect(r.signal).toBeNull();
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/cannot use .* as it is: (EINVAL|EISDIR|ENOTDIR): .* is not (a regular file|a directory)/);
      }
      expect(tree(root)).toEqual(before);
    });
  });
});

// ---- 3. owners sharing limits.d --------------------------------------------------

describe('a second owner', () => {
  it("keeps the first owner's block byte for byte, says so, and rollback restores the first apply's file exactly", async () => {
    const root = makeRoot();
    expect(cli(['apply', '--profile', PA, '--user', 'alice', '--root', root]).code).toBe(0);
    const first = { limits: text(root, LIMITS)!, sysctl: text(root, SYSCTL)! };
    const aliceBlock = block(first.limits, 'alice');
    expect(aliceBlock).toMatch(/^alice soft msgqueue \d+\nalice hard msgqueue \d+$/m);

    await fault('owners', () => {
      const r = cli(['apply', '--profile', PB, '--user', 'svc', '--root', root]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Other owners in ${LIMITS}: alice: their lines are kept as they are.`);
      expect(r.stdout).toMatch(/replaced\s+\/etc\/security\/limits\.d\/60-mq-doctor\.conf/);
      const now = text(root, LIMITS)!;
      expect(block(now, 'alice')).toBe(aliceBlock);
      // The whole block, comments and all, is in the file exactly as the first apply wrote it.
      const verbatim = first.limits.slice(first.limits.indexOf('# --- limits for alice ---'));
      expect(now).toContain(verbatim.trimEnd());
      expectParses(now, ['alice', 'svc']);
      // The sysctl file is shared too: alice's msgsize_max stays although pb does not set it.
      expect(r.stdout).toMatch(/fs\.mqueue\.msgsize_max\s+16,384, kept: an earlier apply set it/);
      expect(text(root, SYSCTL)).toMatch(/^fs\.mqueue\.msgsize_max = 16384$/m);
      expect(text(root, SYSCTL)).toMatch(/^fs\.mqueue\.msg_max = 400$/m);
      expect(verifyJson(['--profile', PA, '--user', 'alice', '--root', root]).ok).toBe(true);
      expect(verifyJson(['--profile', PB, '--user', 'svc', '--root', root]).ok).toBe(true);
    });

    await fault('owners', () => {
      // A group or "*" cannot be an owner: refused before anything is read or written.
      const before = tree(root);
      for (const args of [['--user', '@staff'], ['--user', '*']]) {
        const r = cli(['apply', '--profile', PA, ...args, '--root', root]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/is not a valid user name/);
      }
      // No owner: "*" is never written for a profile that needs an rlimit.
      const r = cli(['apply', '--profile', PA, '--root', root]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/which is set per user or service: name its owner/);
      expect(tree(root)).toEqual(before);
    });

    await fault('owners', () => {
      const r = cli(['rollback', '--root', root]);
      expect(r.code).toBe(0);
      expect(text(root, LIMITS)).toBe(first.limits);
      expect(text(root, SYSCTL)).toBe(first.sysctl);
      expect(verifyJson(['--profile', PB, '--user', 'svc', '--root', root]).ok).toBe(false);
    });

    await fault('owners', () => {
      // Again, then alice's block removed by hand: verify for alice drifts, for svc not.
      expect(cli(['apply', '--profile', PB, '--user', 'svc', '--root', root]).code).toBe(0);
      const svcBlock = block(text(root, LIMITS), 'svc');
      const edited = text(root, LIMITS)!.replace(/\n# --- limits for alice ---\n[\s\S]*?(?=\n# --- limits for )/, '');
      expect(edited).not.toContain('alice');
      writeFileSync(join(root, LIMITS), edited);
      const drift = verifyJson(['--profile', PA, '--user', 'alice', '--root', root]);
      expect(drift.ok).toBe(false);
      expect(row(drift, 'RLIMIT_MSGQUEUE')).toMatchObject({ status: 'drift', configured: null, configuredHard: null, sources: [] });
      const text1 = cli(['verify', '--profile', PA, '--user', 'alice', '--root', root]);
      expect(text1.code).toBe(1);
      expect(text1.stdout).toMatch(/RLIMIT_MSGQUEUE .* DRIFT\s+pam_limits for alice: no soft limit configured, no hard limit configured/);
      expect(verifyJson(['--profile', PB, '--user', 'svc', '--root', root]).ok).toBe(true);
      // alice applies again: her block is back, svc's is untouched.
      const again = cli(['apply', '--profile', PA, '--user', 'alice', '--root', root]);
      expect(again.stdout).toContain(`Other owners in ${LIMITS}: svc: their lines are kept as they are.`);
      expect(block(text(root, LIMITS), 'svc')).toBe(svcBlock);
      expect(verifyJson(['--profile', PA, '--user', 'alice', '--root', root]).ok).toBe(true);
    });
  });

  it('a file from before blocks existed: every domain in it becomes an owner kept as it was', async () => {
    await fault('owners', () => {
      const legacy = '# written by hand\n* soft nofile 4096\n@staff hard msgqueue 5000000\n@staff soft msgqueue 5000000\nbob - msgqueue 7000000\n';
      const root = makeRoot({ [LIMITS]: legacy });
      const r = cli(['apply', '--profile', PQ, '--user', 'alice', '--root', root]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Other owners in ${LIMITS}: *, @staff, bob: their lines are kept as they are.`);
      const now = text(root, LIMITS)!;
      expectParses(now, ['*', '@staff', 'alice', 'bob']);
      expect(block(now, '*')).toBe('* soft nofile 4096');
      expect(block(now, '@staff')).toBe('@staff hard msgqueue 5000000\n@staff soft msgqueue 5000000');
      expect(block(now, 'bob')).toBe('bob - msgqueue 7000000');
      // bob's "-" line still gives him both limits; alice, in staff, already had more than she needs: kept.
      expect(r.stdout).toMatch(/RLIMIT_MSGQUEUE\s+kept at 5,000,000: higher than/);
      expect(block(now, 'alice')).toMatch(/^alice soft msgqueue 5000000\nalice hard msgqueue 5000000$/m);
      expect(row(verifyJson(['--profile', PQ, '--user', 'bob', '--root', root]), 'RLIMIT_MSGQUEUE').status).toBe('higher');
      expect(row(verifyJson(['--profile', PQ, '--user', 'alice', '--root', root]), 'RLIMIT_MSGQUEUE')).toMatchObject({
        status: 'higher',
        sources: ['soft', 'hard'].map((t) => `${LIMITS}:${now.split('\n').indexOf(`alice ${t} msgqueue 5000000`) + 1}`),
      });
      expect(cli(['rollback', '--root', root]).code).toBe(0);
      expect(text(root, LIMITS)).toBe(legacy);
    });
  });
});

// ---- 4. concurrent applies ---------------------------------------------------------

describe('concurrent applies for two owners', () => {
  it('20 contended rounds: both blocks, every key, nothing lost, no temp files, and the rollback chain is unbroken', async () => {
    const root = makeRoot();
    const ROUNDS = 20;
    const succeeded = new Set<string>();
    let applied = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // Each round needs more than the last, so each apply has something to write (raise-only).
      const pa = profile(`pa-${i}`, queues(100 + i, 16384));
      const pb = profile(`pb-${i}`, queues(400 + i, 8192));
      // One of the two holds the lock 150 ms at its first step, so the other plans while it is held.
      const pause = { MQ_DOCTOR_TEST_PAUSE_AFTER_STEP: '1:150' };
      await fault('concurrency', async () => {
        const [a, b] = await Promise.all([
          cliAsync(['apply', '--profile', pa, '--user', 'alice', '--root', root], i % 2 === 0 ? pause : {}),
          cliAsync(['apply', '--profile', pb, '--user', 'bob', '--root', root], i % 2 === 1 ? pause : {}),
        ]);
        const limits = text(root, LIMITS)!;
        expectParses(limits, ['alice', 'bob']);
        for (const [who, r, maxmsg, msgsize, paused] of [
          ['alice', a, 100 + i, 16384, i % 2 === 0],
          ['bob', b, 400 + i, 8192, i % 2 === 1],
        ] as const) {
          expect(r.signal, r.stderr).toBeNull();
          // 0, or the documented code for a lock held too long (1, ELOCKED in the report).
          if (r.code !== 0) {
            expect(r.code).toBe(1);
            expect(r.stdout).toMatch(/ELOCKED/);
            continue;
          }
          succeeded.add(who);
          applied++;
          if (paused) expect(r.stderr).toMatch(/paused after step 1/);
          if (i > 0) expect(r.stdout).toContain(`Other owners in ${LIMITS}: ${who === 'alice' ? 'bob' : 'alice'}: their lines are kept as they are.`);
          // This round's value: nothing planned from what was there before the other apply.
          expect(block(limits, who)).toContain(`# exact cost of ${maxmsg}×${msgsize} = `);
        }
        const sysctl = text(root, SYSCTL)!;
        // Both profiles' keys: pa's msgsize_max is never dropped by pb, and msg_max is the higher need.
        expect(sysctl).toMatch(/^fs\.mqueue\.msgsize_max = 16384$/m);
        expect(sysctl).toMatch(new RegExp(`^fs\\.mqueue\\.msg_max = ${400 + i}$`, 'm'));
        expect(tempsLeft(root)).toEqual([]);
      });
    }
    expect([...succeeded].sort()).toEqual(['alice', 'bob']);
    for (const who of ['alice', 'bob']) expect(verifyJson(['--profile', who === 'alice' ? PA : PB, '--user', who, '--root', root]).ok).toBe(true);

    // Serialised: every transaction started from exactly what the one before it wrote.
    const backups = join(root, 'var/lib/mq-doctor/backups');
    const ids = readdirSync(backups).sort();
    // One transaction per apply that succeeded: every round raises both needs, so none was a no-op.
    expect(ids).toHaveLength(applied);
    type M = { files: Array<{ path: string; newSha256: string; old: { sha256: string } | null }> };
    const manifests = ids.map((id) => JSON.parse(readFileSync(join(backups, id, 'manifest.json'), 'utf8')) as M);
    for (const path of [LIMITS, SYSCTL]) {
      let last: string | null = null;
      for (const m of manifests) {
        const f = m.files.find((x) => x.path === path);
        if (!f) continue;
        expect(f.old?.sha256 ?? null).toBe(last);
        last = f.newSha256;
      }
    }
    // Rolled back one by one, newest first (the last five rounds): each step leaves exactly that transaction's "before".
    await fault('concurrency', () => {
      const STEPS = 10;
      for (const [k, m] of [...manifests.entries()].slice(-STEPS).reverse()) {
        const r = cli(['rollback', '--root', root]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain(`rolled back ${ids[k]}`);
        for (const f of m.files) {
          const now = text(root, f.path);
          expect(now === null ? null : createHash('sha256').update(now).digest('hex')).toBe(f.old?.sha256 ?? null);
          if (now !== null && f.path === LIMITS) expectParses(now, ['alice', 'bob']);
        }
      }
      expect(readdirSync(backups)).toHaveLength(ids.length - STEPS);
      expect(tempsLeft(root)).toEqual([]);
      for (const who of ['alice', 'bob']) expect(verifyJson(['--profile', who === 'alice' ? PA : PB, '--user', who, '--root', root]).ok).toBe(true);
    });
  });
});

// ---- 5. verify and apply agree -------------------------------------------------------

describe('verify and apply judge the same files the same way', () => {
  const BIG = 99_999_999;
  type Verdict = 'ok' | 'higher' | 'drift';
  interface Case {
    name: string;
    owner: ['--user', string] | ['--service', string];
    files: (need: number) => Record<string, string>;
    before: Verdict;
    /** After the apply; drift only where a file read after mq-doctor's wins, which apply must warn about. */
    after: Verdict;
  }
  const UNIT = '/etc/systemd/system/app.service';
  const unitDir = '/etc/systemd/system/app.service.d';
  const alice = ['--user', 'alice'] as ['--user', string];
  const app = ['--service', 'app'] as ['--service', string];
  const limitsConf = (lines: string) => ({ '/etc/security/limits.conf': `${lines}\n` });
  const service = (limit?: string) => ({ [UNIT]: `[Service]\nExecStart=/bin/true\n${limit === undefined ? '' : `LimitMSGQUEUE=${limit}\n`}` });
  const cases: Case[] = [
    { name: 'nothing configured', owner: alice, files: () => ({}), before: 'drift', after: 'ok' },
    { name: 'hard and soft lines above the need', owner: alice, files: () => limitsConf(`alice hard msgqueue ${BIG}\nalice soft msgqueue ${BIG}`), before: 'higher', after: 'higher' },
    { name: 'a "-" line exactly at the need', owner: alice, files: (n) => limitsConf(`alice - msgqueue ${n}`), before: 'ok', after: 'ok' },
    { name: 'a "-" line above the need', owner: alice, files: () => limitsConf(`alice - msgqueue ${BIG}`), before: 'higher', after: 'higher' },
    { name: '"unlimited"', owner: alice, files: () => limitsConf('alice - msgqueue unlimited'), before: 'higher', after: 'higher' },
    { name: 'a "*" line', owner: alice, files: () => limitsConf(`* - msgqueue ${BIG}`), before: 'higher', after: 'higher' },
    { name: "a line for one of the user's groups", owner: alice, files: () => limitsConf(`@staff - msgqueue ${BIG}`), before: 'higher', after: 'higher' },
    { name: "a line for a group the user is not in", owner: alice, files: () => limitsConf(`@other - msgqueue ${BIG}`), before: 'drift', after: 'ok' },
    { name: 'the soft limit below the need, the hard one above', owner: alice, files: () => limitsConf(`alice soft msgqueue 100\nalice hard msgqueue ${BIG}`), before: 'drift', after: 'higher' },
    { name: 'only a hard limit', owner: alice, files: () => limitsConf(`alice hard msgqueue ${BIG}`), before: 'drift', after: 'higher' },
    { name: "the user's line beats a lower group line", owner: alice, files: () => limitsConf(`@staff - msgqueue 100\nalice - msgqueue ${BIG}`), before: 'higher', after: 'higher' },
    {
      name: 'an earlier limits.d file overrides limits.conf',
      owner: alice,
      files: () => ({ ...limitsConf(`alice - msgqueue ${BIG}`), '/etc/security/limits.d/10-early.conf': 'alice - msgqueue 100\n' }),
      before: 'drift',
      after: 'ok',
    },
    { name: 'a later limits.d file wins over mq-doctor\'s', owner: alice, files: () => ({ '/etc/security/limits.d/70-late.conf': 'alice - msgqueue 100\n' }), before: 'drift', after: 'drift' },
    { name: 'a later "*" line loses to the user\'s own', owner: alice, files: () => ({ '/etc/security/limits.d/70-late.conf': '* - msgqueue 100\n' }), before: 'drift', after: 'ok' },
    { name: 'the unit sets more', owner: app, files: () => service(String(BIG)), before: 'higher', after: 'higher' },
    { name: 'the unit sets "infinity"', owner: app, files: () => service('infinity'), before: 'higher', after: 'higher' },
    { name: 'the unit sets less', owner: app, files: () => service('100'), before: 'drift', after: 'ok' },
    { name: 'soft:hard with the soft one short', owner: app, files: () => service(`100:${BIG}`), before: 'drift', after: 'higher' },
    {
      name: 'an earlier drop-in resets the unit (empty LimitMSGQUEUE=)',
      owner: app,
      files: () => ({ ...service(String(BIG)), [`${unitDir}/10-reset.conf`]: '[Service]\nLimitMSGQUEUE=\n' }),
      before: 'drift',
      after: 'ok',
    },
    {
      name: 'a later drop-in resets it after mq-doctor\'s',
      owner: app,
      files: () => ({ ...service(String(BIG)), [`${unitDir}/70-reset.conf`]: '[Service]\nLimitMSGQUEUE=\n' }),
      before: 'drift',
      after: 'drift',
    },
    {
      name: 'drop-ins in lexical order: the later, lower one wins',
      owner: app,
      files: () => ({ ...service(), [`${unitDir}/10-a.conf`]: `[Service]\nLimitMSGQUEUE=${BIG}\n`, [`${unitDir}/20-b.conf`]: '[Service]\nLimitMSGQUEUE=100\n' }),
      before: 'drift',
      after: 'ok',
    },
    {
      name: 'a later drop-in in /usr/lib sorts after mq-doctor\'s and wins',
      owner: app,
      files: () => ({ ...service(), ['/usr/lib/systemd/system/app.service.d/70-vendor.conf']: '[Service]\nLimitMSGQUEUE=100\n' }),
      before: 'drift',
      after: 'drift',
    },
    {
      name: 'a drop-in outside [Service] does not count',
      owner: app,
      files: () => ({ ...service(), [`${unitDir}/10-a.conf`]: `[Unit]\nLimitMSGQUEUE=${BIG}\n` }),
      before: 'drift',
      after: 'ok',
    },
  ];

  const VERDICT_TO_DECISION = { drift: 'raise', ok: 'unchanged', higher: 'kept-higher' } as const;
  /** What the profile needs, as verify reports it: no number in this table is guessed. */
  let need = 0;
  beforeAll(() => {
    need = (row(verifyJson(['--profile', PQ, '--user', 'alice', '--root', makeRoot()]), 'RLIMIT_MSGQUEUE') as unknown as { expected: number }).expected;
    expect(need).toBeGreaterThan(819_200);
    expect(need).toBeLessThan(5_000_000);
  });

  // Side by side (each case has its own root): the children are what takes the time.
  it.concurrent.each(cases)('$name', async (c) => {
    await fault('verify/apply agreement', async () => {
      const root = makeRoot(c.files(need));
      const args = ['--profile', PQ, ...c.owner, '--root', root];
      const v1 = row(await verifyJsonAsync(args), 'RLIMIT_MSGQUEUE').status;
      const r = await cliAsync(['apply', ...args]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const decided = decisionOf(r.stdout, 'RLIMIT_MSGQUEUE');
      // One verdict: drift is a raise, exactly met is unchanged, higher is kept.
      expect({ verify: v1, apply: decided }).toEqual({ verify: c.before, apply: VERDICT_TO_DECISION[c.before] });
      const v2 = row(await verifyJsonAsync(args), 'RLIMIT_MSGQUEUE').status;
      expect(v2).toBe(c.after);
      // A file that still wins after the apply is named in a warning; otherwise there is none about it.
      const warned = /RLIMIT_MSGQUEUE for \S+ stays below the [\d,]+ needed: .*(wins over|reset after)/.test(r.stdout);
      expect(warned).toBe(c.after === 'drift');
    });
  });
});

// ---- the tally -------------------------------------------------------------------------

describe('tally', () => {
  it('every fault injected was survived', () => {
    const rows = [...tally.entries()];
    expect(rows.length).toBeGreaterThan(0);
    for (const [category, t] of rows) expect({ category, ...t }).toEqual({ category, injected: t.injected, survived: t.injected });
    if (process.env.MQ_DOCTOR_FAULT_SUMMARY === '1') {
      const total = rows.reduce((n, [, t]) => n + t.injected, 0);
      console.log(`faults: ${total} injected, ${rows.reduce((n, [, t]) => n + t.survived, 0)} survived (${rows.map(([c, t]) => `${c} ${t.survived}/${t.injected}`).join('; ')})`);
    }
  });
});
