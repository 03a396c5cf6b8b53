// The addon against the real kernel. Everything that would change this worker
// beyond repair (other uids, mounts, namespaces) runs in a child process
// through fixtures/child.mjs; what needs root or unshare is skipped, saying why.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Failure, type NativeAddon, type NativeRlimValue, loadNative } from '../../src/probe/native.js';
import { parseSysvipcMsg } from '../../src/probe/sysv.js';

const here = dirname(fileURLToPath(import.meta.url));
const ADDON = process.env.MQ_DOCTOR_ADDON ?? resolve(here, '../../native/getrlimit/build/Release/getrlimit.node');
const CHILD = join(here, 'fixtures', 'child.mjs');

const loaded = loadNative();
const addon = (loaded.ok ? loaded.value : undefined) as NativeAddon;

/** Why a privileged test cannot run here, or undefined when it can. */
type Need = { root?: boolean; unshare?: boolean; prlimit?: boolean; setpriv?: boolean };
function missing(need: Need): string | undefined {
  const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!loaded.ok) return loaded.reason;
  if (need.root && process.getuid?.() !== 0) return 'needs root';
  if (need.prlimit && !ok('prlimit', ['--version'])) return 'no prlimit(1) (util-linux)';
  if (need.setpriv && !ok('setpriv', ['--version'])) return 'no setpriv(1) (util-linux)';
  if (need.unshare && !ok('unshare', ['--ipc', '--mount', '--fork', 'true'])) {
    return 'unshare --ipc --mount --fork fails (no CAP_SYS_ADMIN?)';
  }
  return undefined;
}

function skipping(reason: string | undefined, what: string): boolean {
  if (reason) console.warn(`skipped: ${what}: ${reason}`);
  return reason !== undefined;
}

const noPrlimit = missing({ prlimit: true });
const noNamespace = missing({ root: true, unshare: true });
const noMount = noNamespace ?? missing({ root: true });
const noSetpriv = noNamespace ?? missing({ setpriv: true, prlimit: true });
// The byte counts below assume 48-byte struct msg_msg, i.e. a 64-bit kernel.
const is64 = ['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64'].includes(process.arch);

function expectFailure(r: { ok: boolean }, name: string): void {
  expect(r).toMatchObject({ ok: false, errno: name });
  const f = r as unknown as Failure;
  // A real errno name (Node knows it), and strerror's text.
  expect(osConstants.errno[f.errno as keyof typeof osConstants.errno]).toBeTypeOf('number');
  expect(f.message).toBeTypeOf('string');
  expect(f.message.length).toBeGreaterThan(0);
}

/** Soft and hard values of one row of /proc/PID/limits, as the addon reports them. */
function procLimits(pid: number | 'self', row: string): { soft: NativeRlimValue; hard: NativeRlimValue } {
  const line = readFileSync(`/proc/${pid}/limits`, 'latin1')
    .split('\n')
    .find((l) => l.startsWith(row));
  if (!line) throw new Error(`no "${row}" in /proc/${pid}/limits`);
  const [soft, hard] = line.slice(row.length).trim().split(/\s+/);
  const value = (v: string | undefined): NativeRlimValue => (v === 'unlimited' ? v : Number(v));
  return { soft: value(soft), hard: value(hard) };
}

/** Whether this process has a capability in its effective set (CAP_SYS_RESOURCE is 24). */
function hasEffectiveCap(bit: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
}

function runChild(cmd: string[]): Record<string, unknown> {
  const [bin, ...args] = cmd;
  const r = spawnSync(bin!, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function uniqueName(tag: string): string {
  return `/mqd-test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

const optedOut = process.env.MQ_DOCTOR_NO_ADDON === '1' ? 'MQ_DOCTOR_NO_ADDON=1' : undefined;

// Not built is a failure here, not a skip: this file is the addon's own test.
it.skipIf(skipping(optedOut, 'native addon tests'))('loads the addon', () => {
  expect(loaded.ok ? 'loaded' : loaded.reason).toBe('loaded');
});

describe.skipIf(!loaded.ok)('native addon', () => {
  it('exports the C headers constants, frozen', () => {
    const c = addon.constants;
    expect(c.O_RDONLY).toBe(fsConstants.O_RDONLY);
    expect(c.O_WRONLY).toBe(fsConstants.O_WRONLY);
    expect(c.O_RDWR).toBe(fsConstants.O_RDWR);
    expect(c.O_CREAT).toBe(fsConstants.O_CREAT);
    expect(c.O_EXCL).toBe(fsConstants.O_EXCL);
    expect(c.O_NONBLOCK).toBe(fsConstants.O_NONBLOCK);
    expect(c.CLONE_NEWIPC).toBe(0x08000000); // same on every Linux architecture
    expect(Object.isFrozen(c)).toBe(true);
  });

  describe('rlimits', () => {
    it('getrlimit matches /proc/self/limits', () => {
      expect(addon.getrlimit('msgqueue')).toEqual({ ok: true, ...procLimits('self', 'Max msgqueue size') });
      expect(addon.getrlimit('nofile')).toEqual({ ok: true, ...procLimits('self', 'Max open files') });
    });

    it('setrlimit lowers the soft limit and restores it', () => {
      const orig = addon.getrlimit('msgqueue');
      if (!orig.ok) throw new Error(orig.message);
      const lower = orig.soft === 'unlimited' ? 819200 : Math.max(0, orig.soft - 4096);
      try {
        expect(addon.setrlimit('msgqueue', lower, orig.hard)).toEqual({ ok: true });
        expect(addon.getrlimit('msgqueue')).toEqual({ ok: true, soft: lower, hard: orig.hard });
        expect(procLimits('self', 'Max msgqueue size')).toEqual({ soft: lower, hard: orig.hard });
      } finally {
        expect(addon.setrlimit('msgqueue', orig.soft, orig.hard)).toEqual({ ok: true });
      }
      expect(addon.getrlimit('msgqueue')).toEqual(orig);
    });

    it('setrlimit with soft above hard is EINVAL', () => {
      const orig = addon.getrlimit('nofile');
      if (!orig.ok) throw new Error(orig.message);
      expectFailure(addon.setrlimit('nofile', 'unlimited', 1024), 'EINVAL');
      expect(addon.getrlimit('nofile')).toEqual(orig);
    });

    it('prlimit on this process reads what getrlimit reads', () => {
      expect(addon.prlimit(process.pid, 'msgqueue')).toEqual(addon.getrlimit('msgqueue'));
      expect(addon.prlimit(0, 'nofile')).toEqual(addon.getrlimit('nofile'));
    });

    it('prlimit sets a child process limit and returns the old values', async () => {
      const child: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        await new Promise((ok, ko) => child.once('spawn', ok).once('error', ko));
        const pid = child.pid!;
        const inherited = addon.getrlimit('msgqueue');
        if (!inherited.ok) throw new Error(inherited.message);
        expect(addon.prlimit(pid, 'msgqueue')).toEqual(inherited);
        expect(addon.prlimit(pid, 'msgqueue', 4096, inherited.hard)).toEqual(inherited);
        expect(addon.prlimit(pid, 'msgqueue')).toEqual({ ok: true, soft: 4096, hard: inherited.hard });
        expect(procLimits(pid, 'Max msgqueue size')).toEqual({ soft: 4096, hard: inherited.hard });
        expect(addon.getrlimit('msgqueue')).toEqual(inherited); // ours untouched
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('prlimit on a process that does not exist is ESRCH', () => {
      // pid_max is at most 2^22, so this pid cannot exist.
      expectFailure(addon.prlimit(2 ** 30, 'msgqueue'), 'ESRCH');
    });

    it('rejects wrong argument types with TypeError', () => {
      // @ts-expect-error not a resource
      expect(() => addon.getrlimit('nproc')).toThrow(TypeError);
      // @ts-expect-error not a value
      expect(() => addon.setrlimit('nofile', 'lots', 10)).toThrow(TypeError);
      expect(() => addon.setrlimit('nofile', -1, 10)).toThrow(TypeError);
      expect(() => addon.setrlimit('nofile', 1.5, 10)).toThrow(TypeError);
      expect(() => addon.prlimit(process.pid, 'nofile', 10)).toThrow(TypeError);
    });
  });

  describe('POSIX message queues', () => {
    const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NONBLOCK } = loaded.ok
      ? addon.constants
      : ({} as NativeAddon['constants']);

    it('mq_open without a leading slash is EINVAL (glibc rule)', () => {
      expectFailure(addon.mqOpen('noslash', O_RDWR | O_CREAT, 0o600, null), 'EINVAL');
    });

    it('create, send, receive, getattr, close, unlink', () => {
      const name = uniqueName('rt');
      try {
        const q = addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0o600, { maxmsg: 4, msgsize: 64 });
        if (!q.ok) throw new Error(`mqOpen: ${q.errno}`);
        expect(q.fd).toBeGreaterThanOrEqual(0);
        expectFailure(addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL, 0o600, null), 'EEXIST');
        expect(addon.mqGetattr(q.fd)).toEqual({ ok: true, flags: O_NONBLOCK, maxmsg: 4, msgsize: 64, curmsgs: 0 });

        expect(addon.mqSend(q.fd, Buffer.from('low'), 3)).toEqual({ ok: true });
        expect(addon.mqSend(q.fd, Buffer.from('high'), 7)).toEqual({ ok: true });
        expect(addon.mqSend(q.fd, Buffer.alloc(0), 0)).toEqual({ ok: true });
        expectFailure(addon.mqSend(q.fd, Buffer.alloc(65), 0), 'EMSGSIZE');
        expectFailure(addon.mqSend(q.fd, Buffer.from('x'), 32768), 'EINVAL'); // MQ_PRIO_MAX
        expect(addon.mqGetattr(q.fd)).toMatchObject({ ok: true, curmsgs: 3 });

        // A buffer smaller than msgsize is refused even for a 4-byte message.
        expectFailure(addon.mqReceive(q.fd, 63), 'EMSGSIZE');
        const first = addon.mqReceive(q.fd, 64);
        expect(first).toEqual({ ok: true, data: Buffer.from('high'), priority: 7 });
        expect(first.ok && first.data.length).toBe(4);
        expect(addon.mqReceive(q.fd, 1000)).toEqual({ ok: true, data: Buffer.from('low'), priority: 3 });
        expect(addon.mqReceive(q.fd, 64)).toEqual({ ok: true, data: Buffer.alloc(0), priority: 0 });
        expectFailure(addon.mqReceive(q.fd, 64), 'EAGAIN');

        // An existing queue ignores attr entirely, however absurd.
        const again = addon.mqOpen(name, O_RDONLY | O_CREAT, 0o600, { maxmsg: 99999, msgsize: 99999 });
        if (!again.ok) throw new Error(`mqOpen existing: ${again.errno}`);
        expect(addon.mqGetattr(again.fd)).toEqual({ ok: true, flags: 0, maxmsg: 4, msgsize: 64, curmsgs: 0 });
        expectFailure(addon.mqSend(again.fd, Buffer.from('x'), 0), 'EBADF'); // read-only descriptor
        expect(addon.mqClose(again.fd)).toEqual({ ok: true });

        expect(addon.mqClose(q.fd)).toEqual({ ok: true });
        expectFailure(addon.mqClose(q.fd), 'EBADF');
        expectFailure(addon.mqGetattr(q.fd), 'EBADF');
        expect(addon.mqUnlink(name)).toEqual({ ok: true });
        expectFailure(addon.mqUnlink(name), 'ENOENT');
        expectFailure(addon.mqOpen(name, O_WRONLY, 0, null), 'ENOENT');
      } finally {
        addon.mqUnlink(name);
      }
    });

    it('takes attr as bigints and passes C long values losslessly', () => {
      const name = uniqueName('big');
      try {
        const q = addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL, 0o600, { maxmsg: 2n, msgsize: 128n });
        if (!q.ok) throw new Error(`mqOpen: ${q.errno}`);
        expect(addon.mqGetattr(q.fd)).toMatchObject({ ok: true, maxmsg: 2, msgsize: 128 });
        addon.mqClose(q.fd);
      } finally {
        addon.mqUnlink(name);
      }
      // 2^62 + 1 survives as a C long (a double would round it) and is refused by the kernel.
      const huge = { maxmsg: 2n ** 62n + 1n, msgsize: 128 };
      expectFailure(addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL, 0o600, huge), 'EINVAL');
      expectFailure(addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL, 0o600, { maxmsg: 0, msgsize: 128 }), 'EINVAL');
      expectFailure(addon.mqOpen(name, O_RDWR | O_CREAT | O_EXCL, 0o600, { maxmsg: -1n, msgsize: 128 }), 'EINVAL');
      expect(() => addon.mqOpen(name, O_CREAT, 0o600, { maxmsg: 2n ** 63n, msgsize: 128 })).toThrow(TypeError);
      expect(() => addon.mqOpen(name, O_CREAT, 0o600, { maxmsg: 1.5, msgsize: 128 })).toThrow(TypeError);
    });

    it('rejects wrong argument types with TypeError', () => {
      // @ts-expect-error name must be a string
      expect(() => addon.mqOpen(42, O_RDONLY, 0, null)).toThrow(TypeError);
      expect(() => addon.mqOpen('/a\0b', O_RDONLY, 0, null)).toThrow(TypeError);
      // @ts-expect-error attr must be an object
      expect(() => addon.mqOpen('/a', O_CREAT, 0o600, 'big')).toThrow(TypeError);
      // @ts-expect-error data must be a Buffer
      expect(() => addon.mqSend(0, 'text', 0)).toThrow(TypeError);
      expect(() => addon.mqReceive(0, -1)).toThrow(TypeError);
      // @ts-expect-error fd must be a number
      expect(() => addon.mqClose('3')).toThrow(TypeError);
    });

    it.skipIf(skipping(noPrlimit, 'EMFILE under a small RLIMIT_MSGQUEUE'))(
      'is EMFILE when the queue would exceed the soft RLIMIT_MSGQUEUE',
      () => {
        // 1×128 costs 224 bytes on a 64-bit kernel and >=152 on a 32-bit one: over 100 either way.
        const name = uniqueName('emfile');
        const out = runChild(['prlimit', '--msgqueue=100:', process.execPath, CHILD, ADDON, 'open', name, '1', '128']);
        expect(out.rlimit).toMatchObject({ ok: true, soft: 100 });
        expectFailure(out.open as { ok: boolean }, 'EMFILE');
      },
    );

    it.skipIf(skipping(noSetpriv ?? (is64 ? undefined : 'needs a 64-bit kernel'), 'exact RLIMIT_MSGQUEUE boundary'))(
      'charges maxmsg*msgsize + 2*48*maxmsg bytes: a total equal to the limit passes',
      () => {
        // A fresh uid has nothing charged yet, whatever else runs as root; a
        // fresh IPC namespace has the default msg_max and msgsize_max.
        const uid = String(200000 + Math.floor(Math.random() * 100000));
        const run = (limit: number) =>
          runChild([
            'unshare', '--ipc', '--fork',
            'setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups',
            'prlimit', `--msgqueue=${limit}:`,
            process.execPath, CHILD, ADDON, 'open', '/mqd-boundary', '10', '128',
          ]);
        const fits = run(10 * 128 + 10 * 48 + 10 * 48);
        expect(fits).toMatchObject({ uid: Number(uid), open: { ok: true } });
        expectFailure(run(10 * 128 + 10 * 48 + 10 * 48 - 1).open as { ok: boolean }, 'EMFILE');
      },
    );

    it.skipIf(skipping(noMount, 'mq_getattr on an fd from open(2) in an mqueue mount'))(
      'mq_getattr works on fs.openSync of a queue file in an mqueue mount',
      () => {
        const unshare = ['unshare', '--ipc', '--mount', '--fork'];
        const out = runChild([...unshare, process.execPath, CHILD, ADDON, 'mount-getattr']);
        expect(out.open).toMatchObject({ ok: true });
        expect(out.send).toEqual({ ok: true });
        // Same queue as the mq_open descriptor; flags are the open(2) descriptor's own.
        expect(out.getattr).toEqual({ ok: true, flags: 0, maxmsg: 3, msgsize: 100, curmsgs: 1 });
        expect(out.getattrQueueFd).toEqual({ ok: true, flags: O_NONBLOCK, maxmsg: 3, msgsize: 100, curmsgs: 1 });
        expect(out.qsizeLine).toMatch(/^QSIZE:5\s+NOTIFY:0\s+SIGNO:0\s+NOTIFY_PID:0\s*$/);
      },
    );
  });

  describe('System V message queues', () => {
    const { IPC_NOWAIT } = loaded.ok ? addon.constants : ({} as NativeAddon['constants']);
    /** One child scenario of fixtures/child.mjs, in an IPC namespace of its own (it writes kernel.msg*). */
    const sysv = (scenario: string, ...args: string[]): Record<string, any> =>
      runChild(['unshare', '--ipc', '--fork', process.execPath, CHILD, ADDON, `sysv-${scenario}`, ...args]);
    const ok = { ok: true };

    it('exports the IPC_* and MSG_* constants (the same on every Linux architecture)', () => {
      const c = addon.constants;
      expect(c).toMatchObject({ IPC_CREAT: 0o1000, IPC_EXCL: 0o2000, IPC_NOWAIT: 0o4000, IPC_PRIVATE: 0 });
      expect(c).toMatchObject({ MSG_NOERROR: 0o10000, MSG_STAT_ANY: 13 });
    });

    it('rejects wrong argument types and ranges with TypeError, before any syscall', () => {
      // @ts-expect-error key must be a number
      expect(() => addon.msgget('1', 0)).toThrow(TypeError);
      expect(() => addon.msgget(1.5, 0)).toThrow(TypeError);
      expect(() => addon.msgget(2 ** 32, 0)).toThrow(TypeError);
      expect(() => addon.msgget(-(2 ** 31) - 1, 0)).toThrow(TypeError);
      expect(() => addon.msgget(1, 2 ** 31)).toThrow(TypeError);
      expect(() => addon.msgsnd(0, -1, 1, IPC_NOWAIT)).toThrow(TypeError);
      expect(() => addon.msgsnd(0, 2 ** 31, 1, IPC_NOWAIT)).toThrow(TypeError);
      expect(() => addon.msgsnd(0, 1, 2 ** 53, IPC_NOWAIT)).toThrow(TypeError);
      expect(() => addon.msgsnd(0, 1, Number.NaN, IPC_NOWAIT)).toThrow(TypeError);
      expect(() => addon.msgsnd(2 ** 31, 1, 1, IPC_NOWAIT)).toThrow(TypeError);
      expect(() => addon.msgrcv(0, -1, 0, IPC_NOWAIT)).toThrow(TypeError);
      // @ts-expect-error msqid must be a number
      expect(() => addon.msgctlStat('0')).toThrow(TypeError);
      expect(() => addon.msgctlStatAny(0.5)).toThrow(TypeError);
      expect(() => addon.msgctlRmid(Infinity)).toThrow(TypeError);
      for (const bad of [-1, Number.NaN, 1.5, 2 ** 53, -1n, 2n ** 64n]) {
        expect(() => addon.msgctlSetQbytes(0, bad), String(bad)).toThrow(TypeError);
      }
      // @ts-expect-error qbytes must be a number or a bigint
      expect(() => addon.msgctlSetQbytes(0, '10')).toThrow(TypeError);
    });

    it('passes a negative msqid through: the kernel says EINVAL', () => {
      expectFailure(addon.msgctlStat(-1), 'EINVAL');
      expectFailure(addon.msgctlRmid(-1), 'EINVAL');
      expectFailure(addon.msgsnd(-1, 1, 1, IPC_NOWAIT), 'EINVAL');
      expectFailure(addon.msgctlStatAny(-1), 'EINVAL');
    });

    it.skipIf(skipping(noNamespace, 'System V msgget/msgsnd/msgrcv/IPC_STAT in a private IPC namespace'))(
      'msgget create/EEXIST/ENOENT, send and receive, IPC_STAT, IPC_RMID',
      () => {
        const o = sysv('basics');
        // A fresh IPC namespace starts from the kernel defaults.
        expect(o.defaults).toEqual([8192, 16384, 32000]);
        expect(o.create).toEqual({ ok: true, msqid: expect.any(Number) });
        const id = o.create.msqid as number;
        expectFailure(o.exists, 'EEXIST');
        expect(o.open).toEqual({ ok: true, msqid: id });
        expect(o.openCreat).toEqual({ ok: true, msqid: id }); // IPC_CREAT without IPC_EXCL opens
        expectFailure(o.missing, 'ENOENT');
        // IPC_PRIVATE always makes a new queue.
        expect(o.private1.ok && o.private2.ok && o.private1.msqid !== o.private2.msqid).toBe(true);
        // msg_qbytes = kernel.msgmnb at creation; the key comes back signed, as /proc prints it.
        expect(o.statNew).toEqual({ ok: true, key: 0x5eed, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, qbytes: 16384, qnum: 0, cbytes: 0 });
        expect(o.highKeyStat).toMatchObject({ ok: true, key: 0xdeadbeef | 0 });

        expect(o.send).toEqual(ok);
        expect(o.sendEmpty).toEqual(ok);
        expectFailure(o.mtype0, 'EINVAL');
        expectFailure(o.mtypeNeg, 'EINVAL');
        expect(o.statSent).toMatchObject({ ok: true, qnum: 2, cbytes: 100 });
        // /proc/sysvipc/msg, as the probe parses it, says the same as IPC_STAT.
        const listed = parseSysvipcMsg(o.procSysvipc as string);
        expect(listed).toContainEqual(expect.objectContaining({ key: 0x5eed, msqid: id, mode: 0o600, bytes: 100, messages: 2, uid: 0, gid: 0, cuid: 0, cgid: 0 }));
        expect(listed).toContainEqual(expect.objectContaining({ key: 0xdeadbeef | 0, msqid: o.highKey.msqid }));

        expectFailure(o.recvSmall, 'E2BIG'); // 100 bytes into 10, without MSG_NOERROR
        expect(o.recvType3).toEqual({ ok: true, size: 0, mtype: 3 }); // mtype > 0: the first of that type
        expect(o.recvTruncated).toEqual({ ok: true, size: 10, mtype: 7 }); // MSG_NOERROR cuts it
        expectFailure(o.recvEmpty, 'ENOMSG'); // not EAGAIN: msgrcv's IPC_NOWAIT errno
        expect(o.statAfter).toMatchObject({ ok: true, qnum: 0, cbytes: 0 });

        // kernel.msgmnb counts when a queue is created, not afterwards.
        expect(o.oldQueueQbytes).toBe(16384);
        expect(o.newQueueQbytes).toBe(1000);

        expect(o.rmid).toEqual(ok);
        for (const k of ['rmidAgain', 'statRemoved', 'sendRemoved', 'negativeId']) expectFailure(o[k], 'EINVAL');
        expectFailure(o.reopenRemoved, 'ENOENT');
      },
    );

    it.skipIf(skipping(noNamespace, 'System V msgmax/msgmnb limits in a private IPC namespace'))(
      'msgsnd: EINVAL over kernel.msgmax; EAGAIN when full by bytes and when full by count',
      () => {
        const o = sysv('limits');
        expect(o.atMsgmax).toEqual(ok);
        expectFailure(o.overMsgmax, 'EINVAL');
        expectFailure(o.overMsgmaxBlocking, 'EINVAL'); // checked before any wait: no hang
        // msgmnb=10: ten messages at most, even empty ones (qnum + 1 <= qbytes)...
        expect(o.byCount.sent).toBe(10);
        expectFailure(o.byCount.stopped, 'EAGAIN');
        expect(o.byCountStat).toMatchObject({ ok: true, qbytes: 10, qnum: 10, cbytes: 0 });
        expect(o.oneByte.sent).toBe(10);
        expectFailure(o.oneByte.stopped, 'EAGAIN');
        // ... and ten bytes at most (cbytes + size <= qbytes), reached exactly.
        expect(o.bytes6).toEqual(ok);
        expectFailure(o.bytes5, 'EAGAIN');
        expect(o.bytes4).toEqual(ok);
        expectFailure(o.bytes1, 'EAGAIN');
        expect(o.bytes0).toEqual(ok); // a byte-full queue still takes an empty message
        expect(o.byBytesStat).toMatchObject({ ok: true, qbytes: 10, qnum: 3, cbytes: 10 });
      },
    );

    const capSysResource = process.platform === 'linux' && hasEffectiveCap(24);
    it.skipIf(
      skipping(
        noNamespace ?? (capSysResource ? 'this process has CAP_SYS_RESOURCE, which lifts the msgmnb cap' : undefined),
        'msgctl(IPC_SET) of msg_qbytes',
      ),
    )('msgctlSetQbytes: EPERM above kernel.msgmnb, ok at or below it', () => {
      const o = sysv('qbytes');
      expect(o.msgmnb).toBe(16384);
      expect(o.initial).toBe(16384);
      expectFailure(o.aboveMsgmnb, 'EPERM');
      expect(o.afterEperm).toBe(16384);
      expect(o.lower).toEqual(ok);
      expect(o.afterLower).toBe(100);
      expect(o.backToMsgmnb).toEqual(ok); // raising is fine up to msgmnb
      expect(o.afterBack).toBe(16384);
      // The bound is msgmnb as it is now (INT_MAX here), not the queue's own past.
      expect(o.aboveOldMsgmnb).toEqual(ok);
      expect(o.afterRaise).toBe(2_000_000_000);
      // Above 2^32: Linux >= 5.4 keeps the low 32 bits (5 fits msgmnb); older kernels compare it whole.
      if (o.wrap.ok) expect(o.afterWrap).toBe(5);
      else expectFailure(o.wrap, 'EPERM');
      expectFailure(o.ulongMax, 'EPERM'); // 2^64-1, or 0xffffffff after the cut: over msgmnb either way
      expect(o.zero).toEqual(ok);
      expectFailure(o.sendAtZero, 'EAGAIN'); // qbytes 0 takes nothing, not even an empty message
      expectFailure(o.removed, 'EINVAL');
    });

    it.skipIf(skipping(noSetpriv, 'MSG_STAT_ANY on another uid\'s queue'))(
      "msgctlStatAny sees another uid's 0600 queue that IPC_STAT may not read",
      () => {
        const o = sysv('statany', '1000');
        const expected = { ok: true, key: 0x5a1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, qbytes: 16384, qnum: 1, cbytes: 42, msqid: o.msqid };
        expect(o.root).toEqual(expected);
        expect(o.other.uid).toBe(1000);
        expect(o.other.msgget).toEqual({ ok: true, msqid: o.msqid }); // flags 0 asks for no permission
        expectFailure(o.other.msggetRead, 'EACCES');
        expectFailure(o.other.stat, 'EACCES');
        expectFailure(o.other.send, 'EACCES');
        expectFailure(o.other.rmid, 'EPERM');
        // Exactly one slot in use (the removed queue's slot is free again): EINVAL elsewhere.
        const found = (o.other.scan as { ok: boolean }[]).filter((r) => r.ok);
        expect(found).toEqual([expected]);
        for (const r of (o.other.scan as { ok: boolean }[]).filter((x) => !x.ok)) expectFailure(r, 'EINVAL');
      },
    );

    it.skipIf(skipping(noNamespace, 'System V msgmni in a private IPC namespace'))(
      'msgget is ENOSPC once kernel.msgmni queues exist',
      () => {
        const o = sysv('msgmni');
        expect(o.first).toMatchObject(ok);
        expect(o.second).toMatchObject(ok);
        expectFailure(o.third, 'ENOSPC');
        expectFailure(o.thirdPrivate, 'ENOSPC');
        expect(o.existing).toEqual(o.first); // opening an existing queue needs no slot
        expectFailure(o.missing, 'ENOENT'); // without IPC_CREAT: ENOENT, not ENOSPC
        expect(o.afterRemove).toMatchObject(ok); // a count, not an index bound
        expectFailure(o.zeroMni, 'ENOSPC');
      },
    );
  });

  describe('setns', () => {
    it('fails with EBADF and EINVAL without touching this thread', () => {
      expectFailure(addon.setns(-1, addon.constants.CLONE_NEWIPC), 'EBADF');
      const fd = openSync('/dev/null', 'r');
      try {
        expectFailure(addon.setns(fd, addon.constants.CLONE_NEWIPC), 'EINVAL'); // not a namespace file
      } finally {
        closeSync(fd);
      }
    });

    it.skipIf(skipping(noNamespace, "setns into another process's IPC namespace"))(
      "joins another IPC namespace: its sysctls and its mq_open answers",
      async () => {
        // The holder sets msg_max=7 in a private namespace and prints its pid.
        const script = 'echo 7 > /proc/sys/fs/mqueue/msg_max && echo $$ && exec sleep 30';
        const holder = spawn('unshare', ['--ipc', '--fork', '--kill-child', 'sh', '-c', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        try {
          const pid = await new Promise<string>((ok, ko) => {
            holder.stdout!.once('data', (b: Buffer) => ok(b.toString().trim()));
            holder.once('exit', (code) => ko(new Error(`holder exited ${code}`)));
          });
          const out = runChild([process.execPath, CHILD, ADDON, 'setns', pid]);
          expect(out.setns).toEqual({ ok: true });
          expect(out.after).toBe('7');
          expectFailure(out.tooBig as { ok: boolean }, 'EINVAL');
          expect(out.fits).toMatchObject({ ok: true });
        } finally {
          holder.kill('SIGKILL'); // --kill-child takes the sleeping holder with it
        }
      },
    );
  });
});
