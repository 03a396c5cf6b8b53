// Who holds each queue, against the real kernel: a private IPC + mount namespace
// with queues of two fresh uids, one held open by a sleeping process, two with
// mq_notify registered (SIGEV_SIGNAL and SIGEV_NONE), one nobody holds (leaked),
// and one unlinked while still open. mq-doctor reads it three ways: from inside
// (limits --json, with and without the addon), and from outside through
// --pid (probeSnapshot, probeHolders), and the pure holdersReport() on that.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdersReport } from '../../src/model/holders.js';
import { hidepidGap, kernelThreadFromStat } from '../../src/probe/holders.js';
import { probeSnapshot } from '../../src/probe/index.js';
import { renderHoldersText } from '../../src/render/holders-text.js';
import type { QueueInfo, Snapshot } from '../../src/snapshot.js';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { testUids } from '../kernel/lib/uids.js';
import { BIN, namespaceSkipReason, ROOT } from '../support/run-cli.js';
import { schemaErrors, validateLimits } from '../support/schemas.js';

const SKIP = namespaceSkipReason();
const oracle = SKIP ? null : await buildOracle();
const WHY = SKIP ?? (oracle ? null : 'gcc is missing: the C oracle holds the queues');
if (WHY) console.log(`holders.test.ts skipped: ${WHY}`);

const [A, B, C] = testUids(3, 12) as [number, number, number];

/** The kernel's charge (kernel-facts.md), for the sizes below. */
const cost = (maxmsg: number, msgsize: number) => maxmsg * msgsize + maxmsg * 48 + Math.min(maxmsg, 32768) * 48;

interface Scene {
  shell: ChildProcessWithoutNullStreams;
  /** The namespace's bash: nsenter's target. */
  nsPid: number;
  dir: string;
  held: number;
  notified: number;
  none: number;
  gone: number;
  started: number;
}

let scene: Scene;

function setupScript(o: string): string {
  const as = (uid: number) => `setpriv --reuid=${uid} --regid=${uid} --clear-groups`;
  return `
set -u
d=$(mktemp -d); t=$(mktemp -d); chmod 755 "$t"
mount -t mqueue none "$d" || { echo "@@FATAL mount"; exit 90; }
P=
trap 'kill $P 2>/dev/null; wait 2>/dev/null; rm -f "$d"/* ; umount "$d"; rm -rf "$t"' EXIT
ck() { [ "$1" = OK ] || { echo "@@FATAL $2: $1"; exit 91; }; }
ck "$(${as(A)} ${o} create /held 4 256)" held
ck "$(${as(A)} ${o} create /notified 2 128)" notified
ck "$(${as(A)} ${o} create /none-notify 2 128)" none-notify
ck "$(${as(A)} ${o} create /leaked 3 1024)" leaked
ck "$(${as(B)} ${o} create /b-leaked 1 128)" b-leaked
ck "$(${as(B)} ${o} create /gone 2 200)" gone
${as(A)} ${o} hold /held 120 > "$t/1" & H1=$!; P="$P $H1"
${as(A)} ${o} hold /notified 120 10 > "$t/2" & H2=$!; P="$P $H2"
${as(A)} ${o} hold /none-notify 120 none > "$t/3" & H3=$!; P="$P $H3"
${as(B)} ${o} hold /gone 120 > "$t/4" & H4=$!; P="$P $H4"
for f in 1 2 3 4; do
  for i in $(seq 1 500); do [ "$(cat "$t/$f")" = OK ] && break; sleep 0.01; done
  [ "$(cat "$t/$f")" = OK ] || { echo "@@FATAL hold $f: $(cat "$t/$f")"; exit 92; }
done
ck "$(${o} unlink /gone)" unlink
echo "@@READY $$ $d $H1 $H2 $H3 $H4"
read -r _
`;
}

function waitReady(shell: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no @@READY in 30 s:\n${out}\n${err}`)), 30_000);
    shell.stderr.on('data', (d) => (err += d));
    shell.stdout.on('data', (d) => {
      out += d;
      const fatal = /@@FATAL (.*)/.exec(out);
      if (fatal) {
        clearTimeout(timer);
        reject(new Error(`setup failed: ${fatal[1]}\n${err}`));
      }
      const m = /^@@READY (.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    shell.on('exit', (code) => reject(new Error(`setup exited ${code}:\n${out}\n${err}`)));
  });
}

/** mq-doctor inside the scene's namespaces, as a process there would run it (IPC only: without its mqueue mount). */
function inside(args: string[], env: NodeJS.ProcessEnv = {}, namespaces = ['--ipc', '--mount']) {
  const r = spawnSync('nsenter', ['--target', String(scene.nsPid), ...namespaces, process.execPath, BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const byName = (snap: Snapshot) => {
  if (!snap.queues.ok) throw new Error(`queues unknown: ${snap.queues.reason}`);
  return new Map(snap.queues.value.queues.map((q) => [q.name, q]));
};

const holder = (pid: number) => ({ pid, command: 'mq_oracle', fds: [expect.any(Number)] });

/**
 * The processes whose descriptors this test (root, as mq-doctor runs here)
 * cannot follow, found without mq-doctor: on this workplace's machines PID 1,
 * which holds CAP_SYS_RESOURCE where root does not. Kernel threads list none.
 */
function unreadableHere(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      let kthread = false;
      try {
        kthread = kernelThreadFromStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      } catch {
        // gone
      }
      if (code !== 'ENOENT' && code !== 'ESRCH' && !kthread) out.push(Number(name));
      continue;
    }
    for (const fd of fds) {
      try {
        readlinkSync(`/proc/${name}/fd/${fd}`);
        break;
      } catch (err) {
        // The ptrace check refuses the link itself; any other error is one descriptor's file, not the process.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM') continue;
        out.push(Number(name));
        break;
      }
    }
  }
  return out;
}

/** The holder scan's gap for such processes: none when every process can be read. */
function gapsForUnreadable(pids: number[]) {
  if (pids.length === 0) return [];
  return [expect.stringMatching(new RegExp(`^the descriptors of \\d+ process(es)? could not be read \\(PID ${pids[0]}\\b.*\\): a process of another uid, or with capabilities mq-doctor lacks, can be read only with CAP_SYS_PTRACE over it$`))];
}

/** What every route must find, whatever the pid namespace's numbers: the scene's processes are in mq-doctor's. */
function expectScene(snap: Snapshot, opts: { sized: boolean }) {
  const q = byName(snap);
  expect([...q.keys()]).toEqual(['b-leaked', 'held', 'leaked', 'none-notify', 'notified']);
  const none = { ok: true as const, value: { notify: 0, signo: 0, pid: 0 } };
  const expected: Record<string, Partial<QueueInfo>> = {
    held: { uid: A, gid: A, mode: 0o600, notify: none, holders: [holder(scene.held)] },
    notified: { uid: A, gid: A, notify: { ok: true as const, value: { notify: 0, signo: 10, pid: scene.notified } }, holders: [holder(scene.notified)] },
    'none-notify': { uid: A, gid: A, notify: { ok: true as const, value: { notify: 1, signo: 0, pid: scene.none } }, holders: [holder(scene.none)] },
    leaked: { uid: A, gid: A, notify: none, holders: [] },
    'b-leaked': { uid: B, gid: B, notify: none, holders: [] },
  };
  for (const [name, want] of Object.entries(expected)) expect(q.get(name), name).toMatchObject(want);
  for (const info of q.values()) {
    expect(info.ino).toBeGreaterThan(0);
    // Created during the scene's set-up, and no message has moved since: mtime is the creation time.
    expect(info.mtimeMs).toBeGreaterThanOrEqual(scene.started - 1000);
    expect(info.mtimeMs).toBeLessThanOrEqual(Date.now());
    expect(info.ctimeMs).toBeGreaterThanOrEqual(info.mtimeMs!);
  }
  if (!snap.queues.ok) throw new Error('unreachable');
  const scan = snap.queues.value.holderScan;
  expect(scan?.ok).toBe(true);
  if (!scan?.ok) return;
  expect(scan.value.gaps).toEqual(gapsForUnreadable(unreadableHere()));
  expect(scan.value.processes).toBeGreaterThan(4);
  expect(scan.value.unlinked).toEqual([
    {
      ino: expect.any(Number),
      uid: B,
      gid: B,
      mode: 0o600,
      attr: opts.sized ? { ok: true, value: { maxmsg: 2, msgsize: 200, curmsgs: 0 } } : { ok: false, reason: expect.any(String) },
      holders: [holder(scene.gone)],
    },
  ]);
}

describe.skipIf(WHY !== null)('holders, notifications and times of real queues', () => {
  beforeAll(async () => {
    const started = Date.now();
    const shell = spawn('unshare', ['--ipc', '--mount', '--fork', 'bash', '-c', setupScript(oracle!)], { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
    const [nsPid, dir, held, notified, none, gone] = (await waitReady(shell)).split(' ');
    scene = { shell, nsPid: Number(nsPid), dir: dir!, held: Number(held), notified: Number(notified), none: Number(none), gone: Number(gone), started };
  });

  afterAll(async () => {
    if (!scene) return;
    const done = new Promise((r) => scene.shell.on('exit', r));
    scene.shell.stdin.end('\n');
    await done;
  });

  it('limits --json from inside: NOTIFY, SIGNO, NOTIFY_PID, gid, times, holders, the unlinked queue; schema-valid', () => {
    const r = inside(['limits', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    expect(doc.mqPrioMax.value).toBe(32768);
    expect(doc.snapshot.queues.value.mountPath).toBe(scene.dir);
    expectScene(doc.snapshot, { sized: true });
  });

  it('without the addon (stat, read and readlink in JS) the same holders and notifications', () => {
    const r = inside(['limits', '--json'], { MQ_DOCTOR_NO_ADDON: '1' });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    expectScene(doc.snapshot, { sized: false });
  });

  it('limits text from inside: the probably leaked queues with their exact removal, as their owners', () => {
    const r = inside(['limits']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  MQ_PRIO_MAX      32,768 priorities, 0 to 32,767 (mq_send: EINVAL at or above); a kernel constant, not a sysctl\n`);
    expect(r.stdout).toMatch(new RegExp(`^  holders: every process's descriptors \\(\\d+ processes, \\d+ descriptors\\)$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^  unlinked but still open \\(counted until closed\\): inode \\d+, uid ${B}, ${cost(2, 200)} bytes, held by ${scene.gone} \\(mq_oracle\\) fd \\d+$`, 'm'));
    // Where some process cannot be read (PID 1 here), "nobody holds it" is said with that reservation.
    const seen = unreadableHere().length === 0 ? 'no process has it open' : 'no process seen has it open (but see "may be missing" above)';
    expect(r.stdout).toContain(`  Probably leaked (${seen}, no notification registered): 2\n`);
    expect(r.stdout).toMatch(new RegExp(`^    /b-leaked: rm ${scene.dir}/b-leaked   \\(as uid ${B} \\(its owner\\) or root; idle \\d+s\\)$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^    /leaked: rm ${scene.dir}/leaked   \\(as uid ${A} \\(its owner\\) or root; idle \\d+s\\)$`, 'm'));
  });

  it('through a detached mount (the IPC namespace without its mqueue mount): the same holders, and mq_unlink to remove', () => {
    const r = inside(['limits', '--json'], {}, ['--ipc']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    expect(doc.snapshot.queues.value.mountPath).toBe('a detached mqueue mount (attached nowhere, gone when mq-doctor exits)');
    expectScene(doc.snapshot, { sized: true });
    const text = inside(['limits'], {}, ['--ipc']).stdout;
    expect(text).toMatch(new RegExp(`^    /leaked: mq_unlink\\("/leaked"\\)   \\(as uid ${A} \\(its owner\\) or root; idle \\d+s\\)$`, 'm'));
  });

  it(`as uid A (unprivileged): its own holders are found, what it cannot read is a gap, and B's queue files stay unknown`, () => {
    const r = inside(['limits', '--json'], {}, ['--ipc', '--mount', 'setpriv', `--reuid=${A}`, `--regid=${A}`, '--clear-groups']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    const q = byName(doc.snapshot);
    expect(q.get('held')!.holders).toEqual([holder(scene.held)]);
    expect(q.get('notified')!.notify).toEqual({ ok: true, value: { notify: 0, signo: 10, pid: scene.notified } });
    expect(q.get('b-leaked')!.notify).toEqual({ ok: false, reason: `cannot read ${scene.dir}/b-leaked (EACCES)` });
    const scan = doc.snapshot.queues.value.holderScan.value;
    // B's holder of the unlinked queue cannot be read: it is in the gap, and the queue is not seen.
    expect(scan.unlinked).toEqual([]);
    expect(scan.gaps).toEqual([expect.stringMatching(new RegExp(`^the descriptors of \\d+ process(es)? could not be read \\(.*\\): a process of another uid, or with capabilities mq-doctor lacks, can be read only with CAP_SYS_PTRACE over it$`))]);
    const text = inside(['limits'], {}, ['--ipc', '--mount', 'setpriv', `--reuid=${A}`, `--regid=${A}`, '--clear-groups']).stdout;
    expect(text).toContain('  Probably leaked (no process seen has it open (but see "may be missing" above), no notification registered): 2\n');
    expect(text).toContain(`    /b-leaked: rm ${scene.dir}/b-leaked   (as uid ${B} (its owner) or root; idle `);
    expect(text).toMatch(/; its notification could not be read\)\n/);
  });

  it.each([
    ['with the addon', {}],
    ['without it', { MQ_DOCTOR_NO_ADDON: '1' }],
  ])('as root without CAP_SYS_PTRACE (%s): descriptors it may list but not follow are a gap, not "held by nobody"', (_how, env) => {
    // uid A's fd directories list (CAP_DAC_READ_SEARCH) but their links do not
    // resolve (EACCES): another uid's process needs CAP_SYS_PTRACE over it.
    const noPtrace = ['--ipc', '--mount', 'setpriv', '--bounding-set=-sys_ptrace'];
    const r = inside(['limits', '--json'], env, noPtrace);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors(validateLimits, doc)).toBe('');
    const q = byName(doc.snapshot);
    expect(q.get('held')!.holders).toEqual([]);
    const scan = doc.snapshot.queues.value.holderScan.value;
    expect(scan.unlinked).toEqual([]);
    expect(scan.gaps).toHaveLength(1);
    const n = Number(/^the descriptors of (\d+) process/.exec(scan.gaps[0])?.[1]);
    // At least the scene's four holders (A's three and B's holder of /gone).
    expect(n, scan.gaps[0]).toBeGreaterThanOrEqual(4);
    const text = inside(['limits'], env, noPtrace).stdout;
    expect(text).toContain('no process seen has it open (but see "may be missing" above)');
    expect(text).toMatch(/^ {4}\/held: /m);
  });

  it('from outside (--pid): probeSnapshot with holders; holdersReport flags the leaked queues with their removal', () => {
    const snap = probeSnapshot({ pid: scene.held, holders: 'notify' });
    expectScene(snap, { sized: true });
    const path = `/proc/${scene.held}/root${scene.dir}`;
    if (!snap.queues.ok) throw new Error('unreachable');
    expect(snap.queues.value.mountPath).toBe(path);

    const enospc = holdersReport(snap, { errno: 'ENOSPC' });
    if (enospc.kind !== 'enospc') throw new Error(`not an ENOSPC report: ${JSON.stringify(enospc)}`);
    expect(enospc.inUse).toBe(6); // five in the mount, one unlinked and still open
    expect(enospc.queuesMax).toBe(256);
    expect(enospc.byUid).toEqual([
      { uid: A, queues: 4, leaked: 1 },
      { uid: B, queues: 2, leaked: 1 },
    ]);
    // Probably leaked first, the longest idle first: both were created a moment apart, so compare by name.
    expect(enospc.queues.slice(0, 2).every((f) => f.leak !== null)).toBe(true);
    const caveats = gapsForUnreadable(unreadableHere());
    expect(enospc.leaked.map((f) => [f.name, f.leak]).sort()).toEqual([
      ['b-leaked', { removal: { shell: `rm ${path}/b-leaked`, call: 'mq_unlink("/b-leaked")', asUid: B, ipcNamespaceOfPid: scene.held }, caveats }],
      ['leaked', { removal: { shell: `rm ${path}/leaked`, call: 'mq_unlink("/leaked")', asUid: A, ipcNamespaceOfPid: scene.held }, caveats }],
    ]);
    expect(enospc.unlinked).toEqual([{ ino: expect.any(Number), uid: B, charge: cost(2, 200), holders: [holder(scene.gone)] }]);
    const notified = enospc.queues.find((f) => f.name === 'notified')!;
    expect(notified.leak).toBeNull();
    expect(notified.notify).toEqual({ kind: 'registered', method: 'signal', signo: 10, pid: scene.notified });
    expect(enospc.queues.find((f) => f.name === 'none-notify')!.notify).toEqual({ kind: 'registered', method: 'none', signo: null, pid: scene.none });

    const emfile = holdersReport(snap, { errno: 'EMFILE', uid: A });
    if (emfile.kind !== 'emfile') throw new Error(`not an EMFILE report: ${JSON.stringify(emfile)}`);
    expect(emfile.queues.map((f) => [f.name, f.charge])).toEqual([
      ['leaked', cost(3, 1024)],
      ['held', cost(4, 256)],
      ['none-notify', cost(2, 128)],
      ['notified', cost(2, 128)],
    ]);
    expect(emfile.charged).toBe(cost(3, 1024) + cost(4, 256) + 2 * cost(2, 128));
    expect(emfile.freeable).toBe(cost(3, 1024));
    expect(emfile.leaked.map((f) => f.name)).toEqual(['leaked']);
    // The target (the holder of /held) runs as uid A: its soft limit is the one that applies.
    expect(snap.target.rlimitMsgqueue.ok).toBe(true);
    expect(emfile.soft).toBe(snap.target.rlimitMsgqueue.ok ? snap.target.rlimitMsgqueue.value.value.soft : 'unreachable');
    expect(holdersReport(snap, { errno: 'EMFILE', uid: B })).toMatchObject({ kind: 'emfile', uid: B, soft: null, charged: cost(1, 128) + cost(2, 200) });
  });

  describe('the check report names who holds the limit (the real kernel agrees: --live)', () => {
    const asA = ['--ipc', '--mount', 'setpriv', `--reuid=${A}`, `--regid=${A}`, '--clear-groups'];
    const charged = () => cost(3, 1024) + cost(4, 256) + 2 * cost(2, 128);

    it('EMFILE from the uid\'s own queues: which ones, the leaked one with its removal, and a soft limit that fits them all', () => {
      // Room for the queue alone, not on top of what A holds: the kernel's EMFILE comes from A's own queues.
      const soft = charged() + cost(10, 1024) - 1;
      const r = inside(['check', '--maxmsg', '10', '--msgsize', '1024', '--measure', '--live'], {}, [...asA, 'prlimit', `--msgqueue=${soft}:`]);
      expect(r.stdout).toContain('Result: FAILS with EMFILE');
      expect(r.stdout).toContain('agrees with the prediction');
      expect(r.stdout).toContain(`FAIL  MQ-RLIMIT-MSGQUEUE  RLIMIT_MSGQUEUE is ${soft.toLocaleString('en-US')}`);
      expect(r.stdout).toContain(`Who holds uid ${A}'s queue memory (EMFILE, soft RLIMIT_MSGQUEUE ${soft.toLocaleString('en-US')}): 4 queues here, ${charged().toLocaleString('en-US')} bytes; 1 probably leaked`);
      expect(r.stdout).toMatch(new RegExp(`^    /leaked: uid ${A}, ${cost(3, 1024).toLocaleString('en-US')} bytes \\(3 × 1,024\\), idle \\d+s  PROBABLY LEAKED$`, 'm'));
      expect(r.stdout).toContain(`        remove: rm ${scene.dir}/leaked   (as uid ${A} (its owner) or root)`);
      expect(r.stdout).toMatch(new RegExp(`^    /held: uid ${A}, .* held by ${scene.held} \\(mq_oracle\\) fd \\d+$`, 'm'));
      expect(r.stdout).toContain(`ulimit -Sq ${charged() + cost(10, 1024)}   # in the shell that starts the application`);
    });

    it('an EMFILE the request alone causes (more than the whole soft limit) names no holders', () => {
      const r = inside(['check', '--maxmsg', '10', '--msgsize', '8192', '--live'], {}, [...asA, 'prlimit', '--msgqueue=40000:']);
      expect(r.stdout).toContain('Result: FAILS with EMFILE');
      expect(r.stdout).not.toContain('Who holds');
    });

    it('ENOSPC with a queue unlinked but still open: counted where every descriptor is read, an assumption where not', () => {
      const set = (n: number) => spawnSync('nsenter', ['--target', String(scene.nsPid), '--ipc', 'sh', '-c', `echo ${n} > /proc/sys/fs/mqueue/queues_max`]).status;
      // Five in the mount and /gone, unlinked and held by a uid-B process: the kernel counts six.
      expect(set(6)).toBe(0);
      try {
        const root = inside(['check', '--live']);
        expect(root.stdout).toContain('Result: FAILS with ENOSPC');
        expect(root.stdout).toContain('agrees with the prediction');
        expect(root.stdout).toContain('FAIL  MQ-QUEUES-MAX       fs.mqueue.queues_max is 6, needs at least 7  -> ENOSPC');
        expect(root.stdout).toContain('Who holds the queue slots (ENOSPC): 6 of queues_max 6 in use in this IPC namespace, all uids counted; 2 probably leaked');
        expect(root.stdout).toContain(`by uid: uid ${A} 4 (1 probably leaked), uid ${B} 2 (1 probably leaked)`);
        expect(root.stdout).toContain(`remove: rm ${scene.dir}/leaked   (as uid ${A} (its owner) or root)`);
        expect(root.stdout).toMatch(new RegExp(`Unlinked but still open .*\\n +inode \\d+, uid ${B}, ${cost(2, 200)} bytes: held by ${scene.gone} \\(mq_oracle\\)`));

        // As uid A, B's holder of /gone cannot be read: five are seen, and the report says what it may miss.
        const a = inside(['check', '--verbose'], {}, asA);
        expect(a.stdout).toContain('5 of 6 queues in use; 1 more fit');
        expect(a.stdout).toMatch(/Queues unlinked but still open \(in no listing, yet counted against queues_max and charged until closed\) are counted only as far as every process's descriptors were read: the descriptors of \d+ process/);
      } finally {
        expect(set(256)).toBe(0);
      }
    });
  });
});

// A holder (root) whose descriptors come in this order: an O_PATH descriptor on a
// FUSE mount without allow_other (its owner is uid C: root's stat of it is
// EACCES, while its link resolves), one on a file deeper than PATH_MAX (its link
// has no name: ENAMETOOLONG), then the queue. The FUSE mount has no daemon: the
// kernel refuses the stat before it would ask one.
const FILES_SCENE = String.raw`
import ctypes, json, os, subprocess, sys, time
oracle, uid, bin_, node = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
libc = ctypes.CDLL(None, use_errno=True)
d, fusedir, deep = [subprocess.check_output(["mktemp", "-d"], text=True).strip() for _ in range(3)]
subprocess.check_call(["mount", "-t", "mqueue", "none", d])
ok = subprocess.check_output(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", oracle, "create", "/held", "2", "64"], text=True).strip()
assert ok == "OK", ok
fuse = os.open("/dev/fuse", os.O_RDWR)
opts = f"fd={fuse},rootmode=40000,user_id={uid},group_id={uid}".encode()
if libc.mount(b"mqdtest", fusedir.encode(), b"fuse.mqdtest", 0, opts) != 0:
    sys.exit("fuse mount: " + os.strerror(ctypes.get_errno()))
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    fds = [os.open(fusedir, os.O_PATH)]
    dd = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(25):
        os.mkdir("d" * 200, dir_fd=dd)
        nd = os.open("d" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dd); os.close(dd); dd = nd
    fds.append(os.open("f", os.O_RDONLY | os.O_CREAT, 0o600, dir_fd=dd)); os.close(dd)
    fds.append(os.open(d + "/held", os.O_RDONLY))
    os.write(w, json.dumps(fds).encode()); os.close(w)
    time.sleep(60); os._exit(0)
os.close(w)
fds = json.loads(os.read(r, 200))
out = {"pid": pid, "fds": fds}
for mode, env in (("addon", {}), ("js", {"MQ_DOCTOR_NO_ADDON": "1"})):
    p = subprocess.run([node, bin_, "limits", "--json"], capture_output=True, text=True, env={**os.environ, **env}, timeout=60)
    out[mode] = {"code": p.returncode, "stderr": p.stderr, "doc": json.loads(p.stdout) if p.returncode == 0 else None}
os.kill(pid, 9); os.waitpid(pid, 0)
libc.umount2(fusedir.encode(), 2)
subprocess.call(["rm", "-rf", deep, fusedir]); os.unlink(d + "/held"); subprocess.call(["umount", d])
print("@@RESULT " + json.dumps(out))
`;

describe.skipIf(WHY !== null)('a descriptor whose open file cannot be examined is that descriptor alone (skipped without namespaces or gcc)', () => {
  const fuse = spawnSync('sh', ['-c', 'test -c /dev/fuse && grep -qw fuse /proc/filesystems && command -v python3'], { stdio: 'ignore' }).status === 0;
  if (!fuse) console.log('holders.test.ts: the FUSE case is skipped: no /dev/fuse, no fuse filesystem in the kernel, or no python3');
  it.skipIf(!fuse)('a FUSE file root may not stat (addon) and a path beyond PATH_MAX (JS scan): the queue after them is still found (skipped without /dev/fuse, the fuse filesystem or python3)', () => {
    const r = spawnSync('unshare', ['--ipc', '--mount', '--propagation', 'private', 'python3', '-c', FILES_SCENE, oracle!, String(C), BIN, process.execPath], { encoding: 'utf8', timeout: 120_000, cwd: '/' });
    const m = /@@RESULT (.*)$/m.exec(r.stdout);
    expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
    const res = JSON.parse(m![1]!);
    const [fuseFd, deepFd, queueFd] = res.fds as [number, number, number];
    for (const [mode, unexaminable, errno] of [['addon', fuseFd, 'EACCES'], ['js', deepFd, 'ENAMETOOLONG']] as const) {
      const run = res[mode];
      expect(run.code, `${mode}: ${run.stderr}`).toBe(0);
      expect(schemaErrors(validateLimits, run.doc)).toBe('');
      const held = run.doc.snapshot.queues.value.queues.find((q: QueueInfo) => q.name === 'held');
      expect(held.holders, mode).toEqual([{ pid: res.pid, command: 'python3', fds: [queueFd] }]);
      const gaps: string[] = run.doc.snapshot.queues.value.holderScan.value.gaps;
      const files = gaps.filter((g) => g.startsWith('the open files of'));
      expect(files, mode).toEqual([expect.stringContaining(`PID ${res.pid} (python3) fd ${unexaminable}: ${errno}`)]);
      // The holder itself is not taken for a process that cannot be read.
      expect(gaps.filter((g) => g.includes(`PID ${res.pid} `) && !g.startsWith('the open files of'))).toEqual([]);
    }
  });
});

describe('what the holder scan cannot see', () => {
  it('/proc mounted with hidepid= hides other users\' processes altogether: a gap', () => {
    const line = (opts: string) => `22 27 0:21 / /proc rw,relatime - proc proc ${opts}`;
    expect(hidepidGap(line('rw,hidepid=invisible'))).toBe(
      "/proc is mounted with hidepid=invisible: other users' processes are not listed, nor whether they hold a queue (root, or the gid= of that mount, sees them)",
    );
    expect(hidepidGap(line('rw,gid=4,hidepid=2'))).toMatch(/^\/proc is mounted with hidepid=2:/);
    expect(hidepidGap(line('rw'))).toBeUndefined();
    expect(hidepidGap(line('rw,hidepid=0'))).toBeUndefined();
    expect(hidepidGap('30 22 0:5 / /proc/sys ro - proc proc rw,hidepid=2')).toBeUndefined();
  });

  it('kernel threads hold no descriptors: an unreadable one is no gap', () => {
    expect(kernelThreadFromStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 4 0 0')).toBe(true);
    expect(kernelThreadFromStat('4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 99 0 0')).toBe(false);
    expect(kernelThreadFromStat('garbage')).toBe(false);
  });
});
