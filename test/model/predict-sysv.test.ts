// The System V model on built snapshots: each kernel rule at its boundary, the
// order of the calls, and the JSON document against its schema. The same rules
// against the real kernel: test/kernel/sysv-differential.test.ts.
import { describe, expect, it } from 'vitest';
import { checkArgs, fastParse, parseSysvKey, sysvCheckArgs } from '../../src/cli/args.js';

const checkArgsPosix = (...argv: string[]) => checkArgs(fastParse('check', argv));
import { runSysvCheckOn } from '../../src/cli/check-sysv.js';
import { fits, predictSysv, qbytesAsSet, room } from '../../src/model/predict-sysv.js';
import type { SysvRequest } from '../../src/model/types.js';
import { sysvCheckDocument } from '../../src/render/check-json.js';
import { na, snapshot, sysvQueue, type Overrides } from '../support/snapshot-builder.js';
import { schemaErrors, validateSysvCheck } from '../support/schemas.js';

const req = (o: Partial<SysvRequest> = {}): SysvRequest => ({ key: null, create: true, exclusive: false, mode: 0o600, msgsize: 100, qbytes: null, count: 1, ...o });
const predict = (o: Partial<SysvRequest>, s: Overrides = {}) => predictSysv(snapshot(s), req(o));
const errnoOf = (o: Partial<SysvRequest>, s: Overrides = {}) => {
  const p = predict(o, s);
  return [p.outcome.call, p.outcome.errno];
};

describe('msg_fits_inqueue: bytes and count are both bounded by msg_qbytes', () => {
  it.each([
    [10, 0, 0, 10, true],
    [10, 0, 0, 11, false],
    [10, 6, 1, 4, true],
    [10, 6, 1, 5, false],
    [10, 10, 3, 0, true], // byte-full, an empty message still fits
    [10, 0, 10, 0, false], // ten messages in a qbytes-10 queue: the count is full
    [0, 0, 0, 0, false],
  ])('qbytes %i, cbytes %i, qnum %i, +%i bytes: %s', (q, c, n, size, ok) => expect(fits(q, c, n, size)).toBe(ok));

  it('room counts both', () => {
    expect(room(16384, 0, 0, 0)).toBe(16384);
    expect(room(16384, 0, 0, 1)).toBe(16384);
    expect(room(16384, 0, 0, 100)).toBe(163);
    expect(room(10, 6, 1, 5)).toBe(0);
    expect(room(10, 0, 9, 0)).toBe(1);
  });
});

describe('msgget', () => {
  it('ENOSPC exactly when the queues in use reach kernel.msgmni', () => {
    const two = [sysvQueue(1, 0, 0, 16384), sysvQueue(2, 1, 0, 16384)];
    expect(errnoOf({}, { msgmni: 3, sysvQueues: two })).toEqual(['msgsnd', null]);
    expect(errnoOf({}, { msgmni: 2, sysvQueues: two })).toEqual(['msgget', 'ENOSPC']);
    expect(errnoOf({}, { msgmni: 0 })).toEqual(['msgget', 'ENOSPC']);
    const p = predict({ count: 3 }, { msgmni: 4, sysvQueues: two });
    expect(p.outcome).toMatchObject({ errno: 'ENOSPC', opened: 2, count: 3 });
    expect(p.blockers[0]).toMatchObject({ limit: 'kernel.msgmni', actual: 4, needed: 5 });
    const beyond = predict({ count: 32768 }, { msgmni: 32768, sysvQueues: two }).blockers[0]!;
    expect(beyond.summary).toMatch(/caps kernel\.msgmni at 32,768/);
  });

  it('an existing key needs no free slot; EEXIST with IPC_EXCL; ENOENT without IPC_CREAT', () => {
    const q = [sysvQueue(0x10, 0, 0, 16384)];
    expect(errnoOf({ key: 0x10 }, { msgmni: 1, sysvQueues: q })).toEqual(['msgsnd', null]);
    expect(errnoOf({ key: 0x10, exclusive: true }, { sysvQueues: q })).toEqual(['msgget', 'EEXIST']);
    expect(errnoOf({ key: 0x11, create: false }, { sysvQueues: q })).toEqual(['msgget', 'ENOENT']);
    expect(errnoOf({ key: 0x11, create: false }, { msgmni: 0 })).toEqual(['msgget', 'ENOENT']);
  });

  it("EACCES for another uid's 0600 queue, unless CAP_IPC_OWNER; group bits for the creator's group", () => {
    const root = [sysvQueue(0x10, 0, 0, 16384)];
    expect(errnoOf({ key: 0x10 }, { uid: 1000, sysvQueues: root })).toEqual(['msgget', 'EACCES']);
    expect(errnoOf({ key: 0x10, mode: 0 }, { uid: 1000, sysvQueues: root })).toEqual(['msgsnd', 'EACCES']);
    expect(errnoOf({ key: 0x10 }, { uid: 1000, ipcOwner: true, sysvQueues: root })).toEqual(['msgsnd', null]);
    const group = [sysvQueue(0x10, 0, 0, 16384, { mode: 0o660, cgid: 1000 })];
    expect(errnoOf({ key: 0x10 }, { uid: 1000, sysvQueues: group })).toEqual(['msgsnd', null]);
    const readOnly = [sysvQueue(0x10, 0, 0, 16384, { mode: 0o444 })];
    expect(errnoOf({ key: 0x10, mode: 0o444 }, { uid: 1000, sysvQueues: readOnly })).toEqual(['msgsnd', 'EACCES']);
  });

  it('unknown queue list: indeterminate, not a guess', () => {
    const p = predict({ key: 0x10 }, { sysvQueues: null });
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.outcome.unknowns.join()).toMatch(/whether key 0x00000010 exists/);
  });
});

describe('msgctl(IPC_SET) of msg_qbytes', () => {
  it('EPERM above kernel.msgmnb without CAP_SYS_RESOURCE; at msgmnb it passes', () => {
    expect(errnoOf({ qbytes: 16385 })).toEqual(['msgctl', 'EPERM']);
    expect(errnoOf({ qbytes: 16384 })).toEqual(['msgsnd', null]);
    expect(errnoOf({ qbytes: 1 << 20 }, { sysResource: true })).toEqual(['msgsnd', null]);
    expect(errnoOf({ qbytes: 1 << 20 }, { sysResource: true, initialUserNs: false })).toEqual(['msgctl', 'EPERM']);
  });

  it('EPERM for a queue the caller neither owns nor created, before the size check', () => {
    const root = [sysvQueue(0x10, 0, 0, 16384, { mode: 0o666 })];
    const p = predict({ key: 0x10, qbytes: 100 }, { uid: 1000, sysAdmin: false, sysvQueues: root });
    expect(p.outcome).toMatchObject({ call: 'msgctl', errno: 'EPERM' });
    expect(p.blockers[0]).toMatchObject({ rule: 'not-owner' });
  });

  it('EACCES from the IPC_STAT that must precede IPC_SET, before the owner and size checks', () => {
    expect(errnoOf({ qbytes: 50, mode: 0o200 }, { uid: 1000 })).toEqual(['msgctl', 'EACCES']);
    expect(errnoOf({ qbytes: 50, mode: 0o200, msgsize: 10 }, { uid: 1000, ipcOwner: true })).toEqual(['msgsnd', null]);
    const root = [sysvQueue(0x10, 0, 0, 16384, { mode: 0o622 })];
    expect(errnoOf({ key: 0x10, mode: 0o222, qbytes: 50 }, { uid: 1000, sysvQueues: root })).toEqual(['msgctl', 'EACCES']);
    expect(errnoOf({ qbytes: 50, mode: 0o200, msgsize: 10 })).toEqual(['msgsnd', null]); // root: CAP_IPC_OWNER
  });

  it('keeps the low 32 bits, as current kernels do', () => {
    expect(qbytesAsSet(2 ** 32 + 10)).toBe(10);
    const p = predict({ qbytes: 2 ** 32 + 10, msgsize: 11 });
    expect(p.capacity.qbytes).toBe(10);
    expect(p.outcome).toMatchObject({ call: 'msgsnd', errno: 'EAGAIN' });
    expect(p.warnings.join()).toMatch(/low 32 bits/);
  });
});

describe('msgsnd(IPC_NOWAIT)', () => {
  it('EINVAL above kernel.msgmax (and for a negative size); at msgmax it fits a big enough queue', () => {
    expect(errnoOf({ msgsize: 8193 })).toEqual(['msgsnd', 'EINVAL']);
    expect(errnoOf({ msgsize: 8192 })).toEqual(['msgsnd', null]);
    expect(errnoOf({ msgsize: -1 })).toEqual(['msgsnd', 'EINVAL']);
  });

  it('EAGAIN when one message is bigger than a new queue (kernel.msgmnb), with the fix', () => {
    const p = predict({ msgsize: 8000 }, { msgmax: 65536, msgmnb: 7999 });
    expect(p.outcome).toMatchObject({ call: 'msgsnd', errno: 'EAGAIN' });
    expect(p.blockers[0]).toMatchObject({ kind: 'limit', limit: 'kernel.msgmnb', actual: 7999, needed: 8000 });
  });

  it('an existing queue: its own msg_qbytes and fill decide', () => {
    const full = [sysvQueue(0x10, 0, 0, 1000, { bytes: 950, messages: 2 })];
    const p = predict({ key: 0x10, msgsize: 100 }, { sysvQueues: full });
    expect(p.outcome).toMatchObject({ call: 'msgsnd', errno: 'EAGAIN' });
    expect(p.blockers[0]).toMatchObject({ rule: 'queue-full' });
    expect(p.capacity).toMatchObject({ qbytes: 1000, source: 'existing queue', messages: 10, free: 0 });
    const byCount = [sysvQueue(0x10, 0, 0, 5, { messages: 5 })];
    expect(errnoOf({ key: 0x10, msgsize: 0 }, { sysvQueues: byCount })).toEqual(['msgsnd', 'EAGAIN']);
    const unknownSize = [sysvQueue(0x10, 0, 0, null)];
    expect(predict({ key: 0x10 }, { sysvQueues: unknownSize }).outcome.verdict).toBe('indeterminate');
  });

  it('every blocker is listed, in call order, and the first one decides', () => {
    const p = predict({ msgsize: 65536, qbytes: 1 << 20 }, { msgmni: 0 });
    expect(p.outcome).toMatchObject({ call: 'msgget', errno: 'ENOSPC' });
    expect(p.blockers.map((b) => b.errno)).toEqual(['ENOSPC', 'EPERM', 'EINVAL']);
  });

  it('capacity of a new queue: by bytes and by count', () => {
    expect(predict({ msgsize: 100 }).capacity).toMatchObject({ qbytes: 16384, byBytes: 163, byCount: 16384, messages: 163 });
    expect(predict({ msgsize: 0 }).capacity).toMatchObject({ byBytes: null, byCount: 16384, messages: 16384 });
  });

  it('unavailable sysctls make the call indeterminate', () => {
    const s = snapshot();
    s.sysv.msgmax = na('permission denied');
    expect(predictSysv(s, req()).outcome.verdict).toBe('indeterminate');
  });
});

describe('check --sysv: arguments, exit codes, JSON schema', () => {
  const args = (...argv: string[]) => sysvCheckArgs(fastParse('check', ['--sysv', ...argv]));
  it('parses keys as C writes them', () => {
    expect(parseSysvKey('0x10')).toBe(16);
    expect(parseSysvKey('0xdeadbeef')).toBe(-559038737);
    expect(parseSysvKey('-559038737')).toBe(-559038737);
    expect(() => parseSysvKey('0x100000000')).toThrow(/within 32 bits/);
    expect(() => parseSysvKey('0')).toThrow(/IPC_PRIVATE/);
  });

  it.each([
    [[], /needs --msgsize/],
    [['--msgsize', '1', '--maxmsg', '2'], /--maxmsg is for POSIX/],
    [['--msgsize', '1', '--key', '5', '--count', '2'], /one key names one queue/],
    [['--msgsize', '1', '--no-create'], /needs --key/],
    [['--msgsize', '1', '--qbytes', '-1'], /from 0 to 18446744073709551615 \(a C unsigned long\)/],
    [['--msgsize', '1', '--qbytes', '18446744073709551616'], /above the largest C unsigned long/],
  ])('%j is a usage error', (argv, msg) => expect(() => args(...(argv as string[]))).toThrow(msg));

  it('--qbytes takes the whole unsigned long range, exactly: the kernel keeps its low 32 bits', () => {
    const max = args('--msgsize', '1', '--qbytes', '18446744073709551615');
    expect(max.request.qbytes).toBe('18446744073709551615');
    const p = predictSysv(snapshot({ msgmnb: 100 }), { ...max.request, msgsize: 10 });
    expect(p.outcome).toMatchObject({ call: 'msgctl', errno: 'EPERM' });
    // 2^64 - 2^32 + 50: a double would round it; the low 32 bits are exactly 50.
    const wrap = args('--msgsize', '10', '--qbytes', '18446744069414584370');
    const q = predictSysv(snapshot({ msgmnb: 100 }), wrap.request);
    expect(q.outcome).toMatchObject({ verdict: 'success' });
    expect(q.capacity).toMatchObject({ qbytes: 50, byBytes: 5 });
    expect(q.warnings.join(' ')).toMatch(/18,446,744,069,414,584,370 becomes 50/);
    expect(qbytesAsSet('18446744069414584370')).toBe(50);
  });

  it('--key without --sysv is a usage error', () => {
    expect(() => checkArgsPosix('--key', '5')).toThrow(/add --sysv/);
  });

  it.each([
    [{}, {}, 0],
    [{ msgsize: 9000 }, {}, 1],
    [{ key: 0x10 }, { sysvQueues: null }, 3],
  ] as const)('exit code and schema-valid JSON: %j', (r, s, code) => {
    const snap = snapshot(s as Overrides);
    const a = { request: req(r as Partial<SysvRequest>), pid: undefined, json: true };
    const out = runSysvCheckOn(snap, a);
    expect(out.code).toBe(code);
    const doc = JSON.parse(out.stdout);
    expect(schemaErrors(validateSysvCheck, doc)).toBe('');
    expect(doc).toEqual(JSON.parse(JSON.stringify(sysvCheckDocument(snap, predictSysv(snap, a.request)))));
  });

  it('text names the call, the capacity and the fix', () => {
    const out = runSysvCheckOn(snapshot(), { request: req({ msgsize: 9000 }), pid: undefined, json: false });
    expect(out.stdout).toMatch(/Result: FAILS with EINVAL \(msgsnd\)/);
    expect(out.stdout).toMatch(/sysctl -w kernel\.msgmax=9000/);
    expect(out.stdout).toMatch(/--allowed-unsafe-sysctls='kernel\.msg\*'/);
    expect(out.stdout).toMatch(/Capacity: msg_qbytes 16,384/);
  });
});


describe('limits: the System V section', () => {
  it('shows what ipcs -l and ipcs -u show, and each queue’s fill', async () => {
    const { renderLimitsText, limitsDocument } = await import('../../src/render/limits.js');
    const { validateLimits } = await import('../support/schemas.js');
    const s = snapshot({ msgmni: 4, sysvQueues: [sysvQueue(0x1234, 0, 0, 300, { bytes: 200, messages: 2 }), sysvQueue(-559038737, 32768, 1000, null, { mode: 0o660 })] });
    const text = renderLimitsText(s);
    expect(text).toMatch(/msgmni\s+4\s+queues per IPC namespace \(msgget: ENOSPC at it\); in use 2 \[#{10}\.{10}\] 50%/);
    expect(text).toMatch(/in use: 2 queue\(s\), 2 message\(s\), 200 bytes/);
    expect(text).toMatch(/0x00001234\s+0\s+0\s+0600\s+2\s+200 \/ 300 \[#{13}\.{7}\] 66%/);
    expect(text).toMatch(/0xdeadbeef\s+32768\s+1000\s+0660\s+0\s+0 \/ unknown/);
    expect(schemaErrors(validateLimits, limitsDocument(s))).toBe('');
  });
});
