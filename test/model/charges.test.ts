// The uid's queue memory level by level (kernel/ucount.c), and the RLIMIT check
// built on it: certain only when every level is known, or measured.
import { describe, expect, it } from 'vitest';
import { uidCharges } from '../../src/model/charges.js';
import { kernelEra } from '../../src/model/era.js';
import { predictMqOpen } from '../../src/model/predict-mq-open.js';
import type { MqOpenRequest } from '../../src/model/types.js';
import { definiteCommand } from '../../src/render/check-text.js';
import type { BudgetMeasurement, Snapshot, UserNamespaceInfo } from '../../src/snapshot.js';
import { na, ok, type Overrides, queue, snapshot, USER_INIT, USERNS_C } from '../support/snapshot-builder.js';

const ERA = kernelEra(ok('6.18.44'));
const DEFAULT_COST = 82_880;
const req = (r: Partial<MqOpenRequest> = {}): MqOpenRequest => ({ name: null, create: true, exclusive: false, access: 'rdwr', mode: 0o600, attr: { maxmsg: 10, msgsize: 8192 }, count: 1, ...r });

/** Another IPC namespace owned by `owner`, holding default queues of `uid`. */
function foreign(owner: number, uid: number, n: number, userNamespaces: UserNamespaceInfo[] = []) {
  return ok({
    namespaces: [{ inode: 4026533000, pid: 99, command: 'other', ownerUserNs: ok(owner), via: 'a detached mqueue mount', queues: ok(Array.from({ length: n }, (_, i) => ({ name: `f${i}`, uid, attr: ok({ maxmsg: 10, msgsize: 8192 }) }))) }],
    userNamespaces,
    gaps: [],
  });
}

const measured = (remaining: BudgetMeasurement['remaining'], own: number | null = 0, softLimit = 819_200): NonNullable<Snapshot['measurement']> =>
  ok({ mode: 'fresh-ipc', uid: 0, softLimit, chargedAtOwnLevel: own === null ? na('not measured') : ok({ min: own, max: own }), remaining, probes: 4, ms: 2, peakHeldBytes: 0, peakHeldQueues: 1, notes: [] });

describe('uidCharges: every IPC namespace, every user-namespace level', () => {
  it('on the host, the uid\'s queues in other namespaces count at its own level', () => {
    const c = uidCharges(snapshot({ uid: 1000, queues: [queue('a', 1000, 10, 8192)], otherNamespaces: foreign(USER_INIT, 1000, 2) }), ERA, 64);
    expect(c.levels).toHaveLength(1);
    expect(c.levels[0]).toMatchObject({ uid: 1000, bytes: 3 * DEFAULT_COST, queues: 3 });
    expect(c.levels[0]!.holders.map((h) => [h.own, h.bytes])).toEqual([[true, DEFAULT_COST], [false, 2 * DEFAULT_COST]]);
    expect(c.gaps).toEqual([]);
  });

  it("on the host, a rootless container's queues count for the uid that created its user namespace", () => {
    // uid 1000 owns user namespace C; root inside C (any uid) creates queues: charged to (C, uid), then (init, 1000).
    const chainC = [{ inode: USERNS_C, initial: false, ownerUid: ok(1000), parent: ok(USER_INIT) }];
    const c = uidCharges(snapshot({ uid: 1000, otherNamespaces: foreign(USERNS_C, 100_000, 2, chainC) }), ERA, 64);
    expect(c.levels[0]).toMatchObject({ bytes: 2 * DEFAULT_COST, queues: 2 });
  });

  it('in a user namespace: two levels, the queues of the same owner elsewhere only at the upper one', () => {
    const snap = snapshot({ initialUserNs: false, usernsOwner: 1000, queues: [queue('in', 0, 10, 8192)], otherNamespaces: foreign(USER_INIT, 1000, 2) });
    const c = uidCharges(snap, ERA, 64);
    expect(c.chainComplete).toBe(true);
    expect(c.levels.map((l) => [l.depth, l.userNs, l.uid, l.limit, l.bytes])).toEqual([
      [0, USERNS_C, 0, 'soft', DEFAULT_COST],
      [1, USER_INIT, 1000, 'ceiling', 3 * DEFAULT_COST],
    ]);
  });

  it('another uid\'s queues count nowhere', () => {
    const c = uidCharges(snapshot({ uid: 1000, queues: [queue('a', 0, 10, 8192)], otherNamespaces: foreign(USER_INIT, 2000, 3) }), ERA, 64);
    expect(c.levels[0]!.bytes).toBe(0);
  });

  it('names what it could not see', () => {
    const snap = snapshot({ uid: 1000, otherNamespaces: ok({ namespaces: [{ inode: 7, pid: 5, command: 'x', ownerUserNs: na('no addon'), via: 'not read', queues: na('EPERM') }], userNamespaces: [], gaps: ['the IPC namespace of process 1 (init) cannot be read'] }) });
    const c = uidCharges(snap, ERA, 64);
    expect(c.gaps).toEqual(['the IPC namespace of process 1 (init) cannot be read', 'the queues of IPC namespace 7 (process 5, x) are unknown (EPERM)']);
    expect(uidCharges(snapshot({ otherNamespaces: null }), ERA, 64).gaps).toEqual(['other IPC namespaces were not looked at']);
  });
});

describe('the RLIMIT_MSGQUEUE check, modelled', () => {
  it('is certain on the host when every namespace was read', () => {
    expect(predictMqOpen(snapshot({ otherNamespaces: foreign(USER_INIT, 0, 8) }), req()).outcome).toMatchObject({ verdict: 'success', errnoCertain: true });
    // the ninth queue elsewhere makes the tenth fail, wherever it is
    expect(predictMqOpen(snapshot({ otherNamespaces: foreign(USER_INIT, 0, 9) }), req()).outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: true });
  });

  it('a pass is never certain with a gap, or in a user namespace (its ceilings are not in /proc)', () => {
    const gap = predictMqOpen(snapshot({ otherNamespaces: ok({ namespaces: [], userNamespaces: [], gaps: ['pid 1 cannot be read'] }) }), req());
    expect(gap.outcome).toMatchObject({ verdict: 'indeterminate', certainWith: { measure: true } });
    expect(gap.outcome.unknowns.join(' ')).toMatch(/may be more than the 0 visible \(pid 1 cannot be read\)/);
    const userns = predictMqOpen(snapshot({ initialUserNs: false }), req());
    expect(userns.outcome).toMatchObject({ verdict: 'indeterminate', certainWith: { measure: true } });
    expect(userns.outcome.unknowns.join(' ')).toMatch(/caps uid 0's queue memory again/);
  });

  it('a failure the visible charges already prove is certain; with doubts, where it comes is only an upper bound', () => {
    const p = predictMqOpen(snapshot({ soft: 3 * DEFAULT_COST, initialUserNs: false }), req({ count: 5 }));
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', opened: 3, errnoCertain: false, certainWith: { measure: true } });
    const first = predictMqOpen(snapshot({ soft: DEFAULT_COST - 1, initialUserNs: false }), req());
    // The first queue cannot fail any sooner: definite.
    expect(first.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', opened: 0, errnoCertain: true });
    expect(first.outcome.certainWith).toBeUndefined();
  });
});

describe('the RLIMIT_MSGQUEUE check, measured', () => {
  it('what still fits decides, in a user namespace too', () => {
    const base: Overrides = { initialUserNs: false };
    expect(predictMqOpen(snapshot({ ...base, measurement: measured({ min: DEFAULT_COST, max: DEFAULT_COST }) }), req()).outcome).toMatchObject({ verdict: 'success', errnoCertain: true });
    const p = predictMqOpen(snapshot({ ...base, measurement: measured({ min: DEFAULT_COST - 1, max: DEFAULT_COST - 1 }) }), req());
    expect(p.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: true });
    // The soft limit would leave 819,200: a ceiling above is what refuses, and nothing inside lifts it.
    expect(p.blockers[0]).toMatchObject({ limit: 'RLIMIT_MSGQUEUE ceiling', actual: DEFAULT_COST - 1, needed: DEFAULT_COST });
    const b = p.blockers[0]!;
    expect(b.kind === 'limit' && b.fixes.immediate).toEqual([]);
    expect(b.kind === 'limit' && b.fixes.persistent.map((f) => f.command)).toContain('ulimit -Sq 82880 && podman system migrate');
  });

  it('when the soft limit binds, it says how much is charged and what the limit must be', () => {
    const p = predictMqOpen(snapshot({ soft: 100_000, measurement: measured({ min: 100_000 - 30_000, max: 100_000 - 30_000 }, 30_000, 100_000) }), req());
    expect(p.blockers[0]).toMatchObject({ limit: 'RLIMIT_MSGQUEUE', actual: 100_000, needed: 30_000 + DEFAULT_COST });
    expect(p.charge.chargedBytes).toBe(30_000);
  });

  it('bounds that do not decide are not an answer', () => {
    const p = predictMqOpen(snapshot({ measurement: measured({ min: 50_000, max: null }) }), req());
    expect(p.outcome).toMatchObject({ verdict: 'indeterminate' });
    const q = predictMqOpen(snapshot({ measurement: measured({ min: 90_000, max: null }) }), req());
    expect(q.outcome).toMatchObject({ verdict: 'success' });
    expect(q.headroom.byRlimit).toBe(1);
  });

  it('a measurement that could not run leaves the model, marked uncertain', () => {
    const p = predictMqOpen(snapshot({ measurement: na('no addon') }), req());
    expect(p.outcome.verdict).toBe('indeterminate');
    expect(p.outcome.unknowns.join(' ')).toMatch(/the measurement could not run \(no addon\)/);
    expect(p.outcome.certainWith).toBeUndefined();
  });
});

describe('EOVERFLOW: creating a queue where the owner cannot be mapped', () => {
  const other = { uid: [[0, 100_000, 65_536]] as Array<[number, number, number]>, gid: [[0, 100_000, 65_536]] as Array<[number, number, number]> };
  it('comes before ENOSPC, EINVAL and EMFILE (6.x), and spares an existing queue', () => {
    const p = predictMqOpen(snapshot({ ipcOwnerOther: other, queues_max: 0, soft: 0 }), req({ attr: { maxmsg: 0, maxmsg2: 0 } as never }));
    expect(p.outcome).toMatchObject({ errno: 'EOVERFLOW', errnoCertain: true });
    expect(p.blockers.map((b) => b.errno)).toContain('EOVERFLOW');
    expect(predictMqOpen(snapshot({ ipcOwnerOther: other, queues: [queue('q', 0, 1, 1)] }), req({ name: '/q' })).outcome.errno).toBeNull();
  });
  it('a mapped uid and gid create queues as usual', () => {
    expect(predictMqOpen(snapshot({ uid: 100_005, ipcOwnerOther: other }), req()).outcome.errno).toBeNull();
  });
  it('before 4.8 there was no such check', () => {
    expect(predictMqOpen(snapshot({ release: '4.4.0', ipcOwnerOther: other }), req()).outcome.errno).toBeNull();
  });
});

describe('the one command that makes an answer definite', () => {
  const ctx = (o: Partial<{ isRoot: boolean; self: boolean; argv: string[] }> = {}) => ({ command: 'check', argv: ['--maxmsg', '10', '--msgsize', '100'], isRoot: false, self: true, ...o });
  it('adds what is missing, once', () => {
    expect(definiteCommand({ measure: true }, ctx())).toBe('mq-doctor check --maxmsg 10 --msgsize 100 --measure');
    expect(definiteCommand({ measure: true }, ctx({ argv: ['--measure'] }))).toBeUndefined();
    expect(definiteCommand({ measure: true, root: true }, ctx())).toBe('sudo mq-doctor check --maxmsg 10 --msgsize 100 --measure --pid $$');
    expect(definiteCommand({ root: true }, ctx({ isRoot: true }))).toBeUndefined();
    expect(definiteCommand({ root: true }, ctx({ self: false, argv: ['--pid', '42'] }))).toBe('sudo mq-doctor check --pid 42');
    expect(definiteCommand({ launcher: true }, ctx())).toMatch(/^mq-doctor check --maxmsg 10 --msgsize 100 {3}\(the mq-doctor command itself/);
    expect(definiteCommand({ measure: true }, ctx({ argv: ['--name', "/it's"] }))).toBe("mq-doctor check --name '/it'\\''s' --measure");
  });
});
