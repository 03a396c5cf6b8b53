import { describe, expect, it } from 'vitest';
import { parseDuration, parseListen, watchArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { analyse, carryForward, levelOf, transitions, type WatchSnapshot } from '../../src/watch/analyse.js';
import { parseSysvipcMsg } from '../../src/probe/sysv.js';
import { columnsFromQueues } from '../../src/probe/queue-columns.js';
import { na, ok, queue, snapshot } from '../support/snapshot-builder.js';

function watchSnapshot(queues: ReturnType<typeof queue>[], queuesMax = 10, drift: Record<string, boolean> | null = null): WatchSnapshot {
  const s = snapshot({ queues, queues_max: queuesMax });
  return {
    takenAt: 't',
    durationMs: 1,
    kernel: s.kernel,
    namespaces: [{ inode: 1, initial: false, pid: undefined, mqueue: s.mqueue, sysv: s.sysv, queues: s.queues.ok ? ok(columnsFromQueues(s.queues.value.mountPath, s.queues.value.queues)) : s.queues, sysvQueues: ok([]) }],
    uidLimits: { 0: 200_000 },
    errors: [],
    drift,
  };
}

describe('analyse', () => {
  it('sums the charge per uid and reads each queue', () => {
    const a = analyse(watchSnapshot([queue('a', 0, 10, 128), queue('b', 0, 5, 1024, 0o600, 5), queue('c', 7, 3, 100)]));
    expect(a.uids).toEqual([
      { uid: 0, chargedBytes: 2240 + 5600, unsized: 0, limit: 200_000 },
      { uid: 7, chargedBytes: 588, unsized: 0, limit: null },
    ]);
    expect(a.namespaces[0]).toMatchObject({ queuesInUse: 3, queuesMax: 10, sysctls: { 'fs.mqueue.msg_max': 10, 'kernel.msgmni': 32000 } });
  });
});

describe('transitions: only changes are logged', () => {
  const qs = (n: number) => Array.from({ length: n }, (_, i) => queue(`q${i}`, 0, 1, 128));
  it.each([
    [7, 8, 'rose to 80%', 'warn'],
    [8, 10, 'rose to 100%', 'error'],
    [10, 7, 'fell to below 80%', 'info'],
  ] as const)('%i → %i of 10 queues: %s', (before, after, msg, level) => {
    const events = transitions(analyse(watchSnapshot(qs(before))), analyse(watchSnapshot(qs(after))));
    expect(events).toContainEqual(expect.objectContaining({ level, msg: `queues in use of fs.mqueue.queues_max ${msg}` }));
  });
  it('stays silent when nothing crosses a threshold', () => {
    expect(transitions(analyse(watchSnapshot(qs(8))), analyse(watchSnapshot(qs(9))))).toEqual([]);
  });
  it('reports a queue becoming full, and recovering', () => {
    const full = analyse(watchSnapshot([queue('q', 0, 5, 128, 0o600, 5)]));
    const notFull = analyse(watchSnapshot([queue('q', 0, 5, 128, 0o600, 4)]));
    expect(transitions(notFull, full).map((e) => e.msg)).toContain('queue is full: senders block or get EAGAIN');
    expect(transitions(full, notFull).map((e) => e.msg)).toContain('queue is no longer full');
  });
  it('keeps the last known state of a queue it could not read, found by name among thousands', () => {
    const many = (fullOne: 'full' | 'unread' | 'empty') =>
      Array.from({ length: 5000 }, (_, i) => {
        if (i !== 4321) return queue(`q${i}`, 0, 5, 128);
        if (fullOne === 'unread') return { ...queue(`q${i}`, 0, 5, 128), attr: na('EBUSY') };
        return queue(`q${i}`, 0, 5, 128, 0o600, fullOne === 'full' ? 5 : 0);
      });
    const full = analyse(watchSnapshot(many('full'), 6000));
    const carried = carryForward(full, analyse(watchSnapshot(many('unread'), 6000)));
    // Unreadable now: still full, so nothing is logged as no longer full …
    expect(transitions(full, carried)).toEqual([]);
    const rows = carried.namespaces[0]!.queues;
    const at = rows.names.indexOf('q4321');
    expect([rows.curmsgs[at], rows.maxmsg[at]]).toEqual([5, 5]);
    // … and when it can be read again, the change is logged once.
    const after = transitions(carried, analyse(watchSnapshot(many('empty'), 6000)));
    expect(after).toEqual([expect.objectContaining({ msg: 'queue is no longer full', fields: { namespace: 1, queue: 'q4321', messages: 0 } })]);
  });
  it('reports drift appearing and resolving, and a probe starting to fail', () => {
    const clean = analyse(watchSnapshot([], 10, { 'fs.mqueue.msg_max': false }));
    const drifted = analyse(watchSnapshot([], 10, { 'fs.mqueue.msg_max': true }));
    expect(transitions(clean, drifted)).toEqual([expect.objectContaining({ level: 'warn', fields: { key: 'fs.mqueue.msg_max' } })]);
    expect(transitions(drifted, clean)[0]!.msg).toBe('drift resolved');
    const failing = analyse({ ...watchSnapshot([]), errors: [{ kind: 'queue', message: 'gone' }] });
    expect(transitions(clean, failing).map((e) => e.msg)).toContain('probe started failing');
  });
  it('levels: 80%, 95%, 100%, and queues_max 0', () => {
    expect([levelOf(79, 100), levelOf(80, 100), levelOf(95, 100), levelOf(100, 100), levelOf(1, 0), levelOf(0, 0)]).toEqual([0, 1, 2, 3, 3, 0]);
  });
});

describe('watch arguments', () => {
  it('reads durations and listen addresses', () => {
    expect([parseDuration('i', '15s'), parseDuration('i', '500ms'), parseDuration('i', '2m'), parseDuration('i', '3')]).toEqual([15000, 500, 120000, 3000]);
    expect(parseListen('127.0.0.1:9469')).toEqual({ host: '127.0.0.1', port: 9469 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen(':9469')).toEqual({ host: '0.0.0.0', port: 9469 });
  });
  it.each([
    [{ interval: '10ms' }, /between 100ms and 24h/],
    [{ interval: 'soon' }, /duration/],
    [{ listen: 'localhost' }, /HOST:PORT/],
    [{ listen: '127.0.0.1:70000' }, /the port must be from 1 to 65535/],
    [{ listen: 'example.org:9469' }, /the host must be an IPv4 address/],
    [{ enforce: true }, /--enforce needs --profile/],
    [{ 'max-queue-series': '-1' }, /whole number/],
  ])('rejects %j', (raw, message) => {
    expect(() => watchArgs(raw)).toThrow(UsageError);
    expect(() => watchArgs(raw)).toThrow(message);
  });
});

describe('/proc/sysvipc/msg', () => {
  it('reads the columns by their header', () => {
    const text = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n   1234567          0   600          42          3     0     0  1000  1001     0     5          0          0 1700000000\n';
    const [q] = parseSysvipcMsg(text);
    expect(q).toMatchObject({ key: 1234567, msqid: 0, mode: 0o600, bytes: 42, messages: 3, uid: 1000, gid: 1001, cuid: 0, cgid: 5 });
    expect(q!.qbytes.ok).toBe(false); // not in /proc: msgctl reads it
    expect(na('x').ok).toBe(false);
  });
});
