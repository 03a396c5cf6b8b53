import { describe, expect, it } from 'vitest';
import { predictMqOpen } from '../../src/model/predict-mq-open.js';
import type { LimitBlocker, MqOpenRequest } from '../../src/model/types.js';
import { na, ok, queue, snapshot, type Overrides } from '../support/snapshot-builder.js';

const DEFAULT_COST = 82_880;
const req = (r: Partial<MqOpenRequest> = {}): MqOpenRequest => ({
  name: null,
  create: true,
  exclusive: false,
  access: 'rdwr',
  mode: 0o600,
  attr: { maxmsg: 10, msgsize: 8192 },
  count: 1,
  ...r,
});
const attr = (maxmsg: number, msgsize: number) => req({ attr: { maxmsg, msgsize } });
const predict = (o: Overrides, r: MqOpenRequest) => predictMqOpen(snapshot(o), r);
const errnoOf = (o: Overrides, r: MqOpenRequest) => predict(o, r).outcome.errno;

describe('attr against fs.mqueue msg_max / msgsize_max (EINVAL)', () => {
  it.each([
    [3599, null],
    [3600, null],
    [3601, 'EINVAL'],
  ])('maxmsg %i with msg_max 3600 → %s', (maxmsg, errno) => {
    expect(errnoOf({ msg_max: 3600, soft: 'unlimited' }, attr(maxmsg, 128))).toBe(errno);
  });
  it.each([
    [16383, null],
    [16384, null],
    [16385, 'EINVAL'],
  ])('msgsize %i with msgsize_max 16384 → %s', (msgsize, errno) => {
    expect(errnoOf({ msgsize_max: 16384, soft: 'unlimited' }, attr(1, msgsize))).toBe(errno);
  });
  it.each([
    [0, 8192],
    [-1, 8192],
    [10, 0],
    [10, -5],
  ])('%i × %i is EINVAL whatever the limits', (m, s) => {
    const p = predict({ sysResource: true }, attr(m, s));
    expect(p.outcome.errno).toBe('EINVAL');
    expect(p.blockers[0]).toMatchObject({ kind: 'request', rule: 'attr-not-positive' });
    expect(p.cost.bytes).toBe(0);
  });
  it('blames both sysctls when both are too low, each with its needed value', () => {
    const p = predict({ soft: 'unlimited' }, attr(3600, 16384));
    const limits = p.blockers.filter((b): b is LimitBlocker => b.kind === 'limit');
    expect(limits.map((b) => [b.limit, b.actual, b.needed])).toEqual([
      ['fs.mqueue.msg_max', 10, 3600],
      ['fs.mqueue.msgsize_max', 8192, 16384],
    ]);
    expect(limits[0]!.fixes.immediate[0]!.command).toBe('sysctl -w fs.mqueue.msg_max=3600');
    expect(limits[0]!.fixes.container.map((f) => f.command)).toContain('--sysctl fs.mqueue.msg_max=3600');
  });
});

describe('HARD caps and CAP_SYS_RESOURCE', () => {
  it.each([
    [65536, 1, null],
    [65537, 1, 'EINVAL'],
    [1, 16 * 1024 * 1024, null],
    [1, 16 * 1024 * 1024 + 1, 'EINVAL'],
  ])('with CAP_SYS_RESOURCE, %i × %i → %s (namespace maxima ignored)', (m, s, errno) => {
    expect(errnoOf({ sysResource: true, soft: 'unlimited', msg_max: 10, msgsize_max: 8192 }, attr(m, s))).toBe(errno);
  });
  it('says no setting allows more than the hard cap', () => {
    const p = predict({ msg_max: 65536 }, attr(70000, 128));
    expect(p.outcome.errno).toBe('EINVAL');
    expect(p.blockers[0]).toMatchObject({ kind: 'request', rule: 'attr-over-hard-cap' });
  });
  it('does not count CAP_SYS_RESOURCE held only inside a user namespace', () => {
    const p = predict({ sysResource: true, initialUserNs: false }, attr(11, 128));
    expect(p.outcome.errno).toBe('EINVAL');
    expect(p.warnings.join(' ')).toMatch(/initial one/);
  });
  it('lets CAP_SYS_RESOURCE pass queues_max but never RLIMIT_MSGQUEUE', () => {
    expect(errnoOf({ sysResource: true, queues_max: 0 }, req())).toBeNull();
    expect(errnoOf({ sysResource: true, soft: DEFAULT_COST - 1 }, req())).toBe('EMFILE');
  });
});

describe('attr NULL: the namespace defaults, clamped to the maxima', () => {
  it('uses msg_default × msgsize_default', () => {
    const p = predict({ msg_default: 5, msgsize_default: 1024, soft: 'unlimited' }, req({ attr: null }));
    expect(p.effectiveAttr).toEqual({ maxmsg: 5, msgsize: 1024, source: 'namespace defaults' });
    expect(p.cost.bytes).toBe(5 * 1024 + 5 * 96);
  });
  it('clamps defaults above the maxima instead of failing', () => {
    const p = predict({ msg_default: 500, msg_max: 20, msgsize_default: 65536, msgsize_max: 4096, soft: 'unlimited' }, req({ attr: null }));
    expect(p.outcome.errno).toBeNull();
    expect(p.effectiveAttr).toMatchObject({ maxmsg: 20, msgsize: 4096 });
  });
  it('is indeterminate when msg_default cannot be read on a 3.5+ kernel', () => {
    const s = snapshot();
    s.mqueue.msg_default = na('gone');
    const p = predictMqOpen(s, req({ attr: null }));
    expect(p.outcome.verdict).toBe('indeterminate');
  });
  it('uses msg_max × msgsize_max before Linux 3.5 (there were no *_default sysctls)', () => {
    const s = snapshot({ release: '3.2.0', msg_max: 50, msgsize_max: 4096, soft: 'unlimited' });
    s.mqueue.msg_default = na('absent before 3.5');
    s.mqueue.msgsize_default = na('absent before 3.5');
    expect(predictMqOpen(s, req({ attr: null })).effectiveAttr).toMatchObject({ maxmsg: 50, msgsize: 4096 });
  });
});

describe('RLIMIT_MSGQUEUE (EMFILE, queue memory)', () => {
  it.each([
    [DEFAULT_COST - 1, 'EMFILE'],
    [DEFAULT_COST, null], // equal passes (kernel-facts: measured)
    [DEFAULT_COST + 1, null],
  ])('a default queue with soft %i → %s', (soft, errno) => {
    expect(errnoOf({ soft }, req())).toBe(errno);
  });
  it("counts the uid's existing queues, not other uids'", () => {
    const queues = [queue('mine', 0, 10, 8192), queue('theirs', 1000, 10, 8192)];
    expect(errnoOf({ soft: 2 * DEFAULT_COST, queues }, req())).toBeNull();
    expect(errnoOf({ soft: 2 * DEFAULT_COST - 1, queues }, req())).toBe('EMFILE');
    const p = predict({ soft: 2 * DEFAULT_COST - 1, queues }, req());
    expect(p.charge).toMatchObject({ uid: 0, chargedBytes: DEFAULT_COST, afterBytes: 2 * DEFAULT_COST });
    expect((p.blockers[0] as LimitBlocker).needed).toBe(2 * DEFAULT_COST);
  });
  it('returns ENOMEM on kernels before 2.6.38', () => {
    expect(errnoOf({ release: '2.6.32', soft: 100 }, req())).toBe('ENOMEM');
  });
  it('fixes a too-low hard limit from outside and says why', () => {
    const p = predict({ soft: 100_000, hard: 100_000 }, req({ count: 2 }));
    const b = p.blockers[0] as LimitBlocker;
    expect(b).toMatchObject({ limit: 'RLIMIT_MSGQUEUE', needed: 2 * DEFAULT_COST, hard: 100_000 });
    expect(b.fixes.container.map((f) => f.command)).toContain(`--ulimit msgqueue=${2 * DEFAULT_COST}:${2 * DEFAULT_COST}`);
    expect(b.fixes.persistent.map((f) => f.command).join('\n')).toContain(`LimitMSGQUEUE=${2 * DEFAULT_COST}:${2 * DEFAULT_COST}`);
    expect(b.fixes.notes.join(' ')).toMatch(/CAP_SYS_RESOURCE/);
    expect(b.fixes.notes.join(' ')).toMatch(/ignore \/etc\/security\/limits.conf/);
  });
  it('with --pid, offers prlimit on that process', () => {
    const b = predict({ self: false, soft: 1000 }, req()).blockers[0] as LimitBlocker;
    expect(b.fixes.immediate[0]!.command).toBe(`prlimit --pid 4242 --msgqueue=${DEFAULT_COST}:819200`);
  });
  it('is indeterminate without a queue listing unless the cost alone is too much', () => {
    expect(predict({ queues: null, queues_max: 256 }, req()).outcome.verdict).toBe('indeterminate');
    const p = predict({ queues: null, soft: 1000 }, req());
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE' });
    // ENOSPC is checked first and could not be evaluated.
    expect(p.outcome.errnoCertain).toBe(false);
  });
  it('with unknown usage, a failure found at queue 10 is only an upper bound', () => {
    const p = predict({ queues: null }, req({ count: 300 }));
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', opened: 9, errnoCertain: false });
    expect(p.outcome.unknowns.join(' ')).toMatch(/bytes already charged to uid 0/);
    const q = predict({ queues: null, queues_max: 5, soft: 'unlimited' }, req({ count: 10 }));
    expect(q.blockers[0]!.kind === 'limit' && q.blockers[0]!.summary).toMatch(/at least 0 of 5 queues are in use \(the rest is unknown\)/);
    expect(q.outcome.errnoCertain).toBe(false);
  });
  it('with unsized queues of the uid, the failure is uncertain too', () => {
    const unsized = { ...queue('x', 0, 10, 8192), attr: na('EACCES') };
    const p = predict({ queues: [unsized], soft: 3 * DEFAULT_COST }, req({ count: 5 }));
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: false });
  });
});

describe('queues_max (ENOSPC)', () => {
  const existing = (n: number) => Array.from({ length: n }, (_, i) => queue(`q${i}`, 1000, 1, 128));
  it.each([
    [2, 3, null],
    [3, 3, 'ENOSPC'],
    [0, 0, 'ENOSPC'],
  ])('%i queues in use, queues_max %i → %s', (inUse, max, errno) => {
    expect(errnoOf({ queues: existing(inUse), queues_max: max }, req())).toBe(errno);
  });
  it('comes before EINVAL since 4.16, after it in 3.5 … 4.15', () => {
    const o = { queues: existing(1), queues_max: 1 };
    expect(errnoOf(o, attr(11, 128))).toBe('ENOSPC');
    expect(errnoOf({ ...o, release: '4.15.0' }, attr(11, 128))).toBe('EINVAL');
    // …and every blocker is listed either way.
    expect(predict(o, attr(11, 128)).blockers.map((b) => b.errno)).toEqual(['ENOSPC', 'EINVAL']);
  });
  it('in a private namespace, fixes inside it and warns that host sysctl.d does not reach it', () => {
    const p = predict({ privateIpc: true, self: false, queues: existing(1), queues_max: 1 }, req());
    const b = p.blockers[0] as LimitBlocker;
    expect(b.fixes.immediate[0]!.command).toBe('nsenter --target 4242 --ipc sysctl -w fs.mqueue.queues_max=2');
    expect(b.origin).toMatch(/private IPC namespace/);
    expect(b.fixes.notes.join(' ')).toMatch(/host sysctl.d files never reach it/);
  });
});

describe('queues the application already holds (a preflight workload of several sizes)', () => {
  it('count toward descriptors, queues_max and the byte budget', () => {
    const held = { queues: 600, bytes: 600 * 224 };
    const nofile = predictMqOpen(snapshot({ nofileSoft: 1024, soft: 'unlimited', queues_max: 2000 }), attr(1, 128), held);
    expect(nofile.outcome.errno).toBeNull();
    const more = predictMqOpen(snapshot({ nofileSoft: 1024, soft: 'unlimited', queues_max: 2000 }), req({ attr: { maxmsg: 1, msgsize: 128 }, count: 600 }), held);
    expect(more.outcome).toMatchObject({ errno: 'EMFILE', opened: 1024 - 3 - 600 });
    expect(more.blockers[0]).toMatchObject({ limit: 'RLIMIT_NOFILE', needed: 1203 });
    const budget = predictMqOpen(snapshot({ soft: 2 * DEFAULT_COST }), req(), { queues: 2, bytes: 2 * DEFAULT_COST });
    expect(budget.outcome.errno).toBe('EMFILE');
    expect(budget.charge.chargedBytes).toBe(2 * DEFAULT_COST);
  });
});

describe('--count: the first queue that fails decides', () => {
  it('reports how many open before EMFILE', () => {
    const p = predict({ soft: 819_200 }, req({ count: 12 }));
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', opened: 9, count: 12 });
    expect((p.blockers[0] as LimitBlocker).needed).toBe(12 * DEFAULT_COST);
    expect(p.headroom).toMatchObject({ byRlimit: 9, byQueuesMax: 256, total: 9 });
    expect(p.outcome.opened).toBe(p.headroom.total);
  });
  it('picks ENOSPC when queues_max runs out before the budget', () => {
    const p = predict({ soft: 'unlimited', queues_max: 4 }, req({ count: 6 }));
    expect(p.outcome).toMatchObject({ errno: 'ENOSPC', opened: 4 });
  });
  it('picks the earlier failure when both run out at different queues', () => {
    const p = predict({ soft: 3 * DEFAULT_COST, queues_max: 5 }, req({ count: 10 }));
    expect(p.outcome).toMatchObject({ errno: 'EMFILE', opened: 3 });
    expect(p.blockers.map((b) => b.errno)).toEqual(['ENOSPC', 'EMFILE']);
  });
});

describe('RLIMIT_NOFILE (EMFILE, descriptors): the lowest free number, not the count', () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  it('an application holding fds 0-2 under a soft limit of 5 opens 2 queues, not 3', () => {
    expect(predict({ fds: [0, 1, 2], nofileSoft: 5, soft: 'unlimited' }, req({ count: 2 })).outcome.errno).toBeNull();
    const p = predict({ fds: [0, 1, 2], nofileSoft: 5, soft: 'unlimited' }, req({ count: 3 }));
    expect(p.outcome).toMatchObject({ errno: 'EMFILE', opened: 2 });
    expect(p.blockers[0]).toMatchObject({ limit: 'RLIMIT_NOFILE', needed: 6 });
    expect(p.assumptions.join(' ')).toMatch(/descriptors mq-doctor was launched with: 0, 1, 2/);
  });
  it('fds 0-14 plus an inherited 251 under a limit of 16: fd 15 is free, so one queue opens', () => {
    const fds = [...range(15), 251];
    expect(predict({ fds, nofileSoft: 16, soft: 'unlimited' }, req()).outcome.errno).toBeNull();
    const p = predict({ fds, nofileSoft: 16, soft: 'unlimited' }, req({ count: 2 }));
    expect(p.outcome).toMatchObject({ errno: 'EMFILE', opened: 1, errnoCertain: true });
    // The second queue would get fd 16: the limit must be 17.
    expect(p.blockers[0]).toMatchObject({ limit: 'RLIMIT_NOFILE', needed: 17 });
  });
  it('a gap below the limit counts: fds 0-2 and 4-7 under 8 leave fd 3 only', () => {
    const fds = [0, 1, 2, 4, 5, 6, 7];
    expect(predict({ fds, nofileSoft: 8, soft: 'unlimited' }, req({ count: 1 })).outcome.errno).toBeNull();
    expect(predict({ fds, nofileSoft: 8, soft: 'unlimited' }, req({ count: 2 })).outcome).toMatchObject({ errno: 'EMFILE', opened: 1 });
  });
  it('descriptors that may or may not be inherited (no launcher) make a near miss indeterminate, never a guess', () => {
    const o: Overrides = { fds: [0, 1, 2], maybeFds: [3, 4, 5, 6, 7, 8, 9, 10], nofileSoft: 8, soft: 'unlimited' };
    const p = predict(o, req({ count: 2 }));
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.outcome.certainWith).toEqual({ launcher: true });
    // Far from the limit either way: definite.
    expect(predict({ ...o, nofileSoft: 1024 }, req({ count: 2 })).outcome.verdict).toBe('success');
    expect(predict({ ...o, nofileSoft: 2 }, req()).outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: true });
  });
  it("uses a running process's own descriptor numbers with --pid, before anything else", () => {
    const p = predict({ self: false, fds: range(1024), nofileSoft: 1024, msg_max: 1 }, req());
    expect(p.outcome.errno).toBe('EMFILE');
    expect(p.blockers.map((b) => (b.kind === 'limit' ? b.limit : b.rule))).toEqual(['RLIMIT_NOFILE', 'fs.mqueue.msg_max']);
  });
  it('an unknown soft limit (the launcher could not be read) is unknown, not Node\'s raised one', () => {
    const snap = snapshot({ soft: 'unlimited' });
    snap.target.rlimitNofile = na('the soft limit an application started from here would inherit is unknown');
    const p = predictMqOpen(snap, req());
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.outcome.certainWith).toEqual({ launcher: true });
  });
});

describe('names, per libc', () => {
  it.each([
    ['noslash', 'glibc', 'EINVAL'],
    ['noslash', 'musl', null],
    ['/', 'glibc', 'ENOENT'],
    ['/a/b', 'glibc', 'EACCES'],
    ['//a', 'glibc', 'EACCES'],
    ['/.', 'glibc', 'EACCES'],
    ['/..', 'musl', 'EACCES'],
    [`/${'x'.repeat(255)}`, 'glibc', null],
    [`/${'x'.repeat(256)}`, 'glibc', 'ENAMETOOLONG'],
    [`/${'é'.repeat(128)}`, 'glibc', 'ENAMETOOLONG'], // 256 bytes: the limit counts bytes
    [`/${'x'.repeat(5000)}`, 'glibc', 'ENAMETOOLONG'],
  ] as const)('%s with %s → %s', (name, libc, errno) => {
    expect(errnoOf({ libc }, req({ name }))).toBe(errno);
  });
});

describe('an existing queue', () => {
  const queues = [queue('orders', 0, 50, 1024, 0o600), queue('shared', 0, 10, 128, 0o644)];
  it('EEXIST with O_EXCL', () => {
    expect(errnoOf({ queues }, req({ name: '/orders', exclusive: true }))).toBe('EEXIST');
  });
  it('opens, ignoring attr, and warns that the requested size does not take effect', () => {
    const p = predict({ queues, msg_max: 10 }, req({ name: '/orders', attr: { maxmsg: 99999, msgsize: 99999 } }));
    expect(p.outcome.errno).toBeNull();
    expect(p.cost).toMatchObject({ bytes: 0, formula: expect.stringMatching(/existing queue charges nothing/) });
    expect(p.headroom.notes).toEqual(['Opening an existing queue charges nothing and takes no queue slot.']);
    expect(p.effectiveAttr).toEqual({ maxmsg: 50, msgsize: 1024, source: 'existing queue' });
    expect(p.warnings.join(' ')).toMatch(/ignores the requested attr 99999 × 99999.*keeps its own 50 × 1024/);
  });
  it.each([
    ['/orders', 'rdwr', 1000, 'EACCES'],
    ['/shared', 'rdonly', 1000, null],
    ['/shared', 'wronly', 1000, 'EACCES'],
    ['/orders', 'rdwr', 0, null], // root's CAP_DAC_OVERRIDE
  ] as const)('%s %s as uid %i → %s', (name, access, uid, errno) => {
    expect(errnoOf({ queues, uid }, req({ name, access }))).toBe(errno);
  });
  it('ENOENT without O_CREAT when missing', () => {
    expect(errnoOf({ queues }, req({ name: '/missing', create: false }))).toBe('ENOENT');
  });
  it('is indeterminate when the queues cannot be listed', () => {
    const p = predict({ queues: null }, req({ name: '/orders', create: false }));
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.outcome.unknowns.join(' ')).toMatch(/whether \/orders exists/);
  });
});

describe('EOVERFLOW on a 32-bit kernel with CAP_SYS_RESOURCE', () => {
  it('overflows an unsigned long there, not on 64-bit', () => {
    expect(errnoOf({ wordBits: 32, sysResource: true, soft: 'unlimited' }, attr(65536, 16 * 1024 * 1024))).toBe('EOVERFLOW');
    expect(errnoOf({ wordBits: 64, sysResource: true, soft: 'unlimited' }, attr(65536, 16 * 1024 * 1024))).toBeNull();
  });
});

describe('unavailable values', () => {
  it('never throws on a snapshot where everything is unavailable', () => {
    const s = snapshot();
    for (const k of Object.keys(s.mqueue) as Array<keyof typeof s.mqueue>) s.mqueue[k] = na();
    const t = s.target;
    t.credentials = na();
    t.capabilities = na();
    t.rlimitMsgqueue = na();
    t.rlimitNofile = na();
    t.libc = na();
    s.kernel.release = na();
    s.kernel.wordBits = na();
    s.queues = na();
    const p = predictMqOpen(s, req());
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.assumptions.length).toBeGreaterThan(2);
  });
  it('reads a success as certain only when every check was evaluated', () => {
    const p = predict({}, req());
    expect(p.outcome).toMatchObject({ verdict: 'success', errno: null, errnoCertain: true, opened: 1 });
    expect(p.cost.bytes).toBe(DEFAULT_COST);
    expect(ok(1).ok).toBe(true);
  });
});

describe('headroom while the call fails', () => {
  it('is what opens: none when the first queue is refused (EINVAL), the rest a note for after the fix', () => {
    const p = predict({ soft: 100_000_000 }, req({ attr: { maxmsg: 3600, msgsize: 100 } }));
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EINVAL', opened: 0 });
    expect(p.headroom.total).toBe(0);
    expect(p.headroom.notes.join(' ')).toMatch(/once the call's own blockers are fixed, the limits as they are allow \d+ more/);
  });
});
