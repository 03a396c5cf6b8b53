// The kernel's answer across user namespaces and IPC namespaces (issue 9):
// rootless containers whose user namespace keeps the soft RLIMIT_MSGQUEUE it was
// created under as a ceiling, the same uid's queues in other IPC namespaces,
// asked from inside and with --pid from the host, with and without --measure.
// The model alone may be unsure; it must never be certain and wrong. With
// --measure it must be definite and right, every time.
import { describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { type Attr, levelCharges, type NamespacedScenario, runNamespaced } from './lib/namespaced.js';
import { seededRandom } from './lib/random.js';
import { buildStaticOracle, kernelCost, kernelSkipReason, uidHoldsNoQueueMemory } from './lib/scenario.js';
import { testUids, userNamespaceSkipReason } from './lib/uids.js';
import { expectMeasuredRight, expectModelNeverWrong } from './lib/verdicts.js';

const dynamicOracle = await buildOracle().catch(() => null);
const staticOracle = dynamicOracle ? buildStaticOracle() : { path: null, reason: 'the C oracle could not be built' };
const ORACLE = staticOracle.path ?? '';
// Every scenario has a uid of its own: nothing one leaves behind can reach another.
const UIDS = testUids(64, 2);
let nextUid = 0;
const freshUid = () => UIDS[nextUid++ % UIDS.length]!;
const skipReason =
  kernelSkipReason({ oracle: dynamicOracle, needAddon: true }) ??
  (staticOracle.path === null ? staticOracle.reason : null) ??
  userNamespaceSkipReason(UIDS[0]!);
if (skipReason) console.warn(`SKIPPED test/kernel/namespaces.test.ts: ${skipReason}`);

const DEFAULT: Attr = { maxmsg: 10, msgsize: 8192 };
const DEFAULT_COST = kernelCost(10, 8192);
const A = (maxmsg: number, msgsize: number): Attr => ({ maxmsg, msgsize });

/** Runs a scenario and checks all four answers against the kernel; returns the result for more checks. */
function check(s: NamespacedScenario, expected?: { errno: string | null; opened?: number }) {
  const fresh = uidHoldsNoQueueMemory(s.uid, ORACLE);
  expect(fresh.ok, `uid ${s.uid} holds queue memory already: ${fresh.last}`).toBe(true);
  const r = runNamespaced(s, ORACLE);
  const why = `${s.title}\n  scenario: ${JSON.stringify(s)}\n  kernel: ${JSON.stringify(r.kernel)}`;
  if (expected) {
    // The scenario tests what it says (a broken setup must not hide behind agreement).
    expect(r.kernel.errno, `kernel\n${why}`).toBe(expected.errno);
    if (expected.opened !== undefined) expect(r.kernel.opened, `kernel opened\n${why}`).toBe(expected.opened);
  }
  for (const [route, a] of [['inside', r.inside], ['--pid from the host', r.host]] as const) expectModelNeverWrong(a, r.kernel, s.count, `${route}\n${why}`);
  for (const [route, a] of [['inside --measure', r.insideMeasured], ['--pid --measure from the host', r.hostMeasured]] as const) expectMeasuredRight(a, r.kernel, s.count, `${route}\n${why}`);
  return r;
}

const rootless = (o: Omit<NamespacedScenario, 'uid'> & { uid?: number }): NamespacedScenario => ({ ...o, uid: o.uid ?? freshUid() });

describe.skipIf(!!skipReason)('real kernel: rootless user namespaces and the ceiling they were created under', () => {
  it('the issue\'s case: created under 82,879, raised to 819,200 inside, a 10 × 8192 queue is refused (EMFILE)', () => {
    const r = check(rootless({ title: 'ceiling 82,879', userns: { ceiling: 82_879 }, soft: 819_200, attr: DEFAULT, count: 1 }), { errno: 'EMFILE' });
    // The model alone cannot know the ceiling: it says so, and how to find out, never "succeeds".
    for (const a of [r.inside, r.host]) {
      expect(a.json.outcome.verdict).toBe('indeterminate');
      expect(a.json.outcome.certainWith).toEqual({ measure: true });
    }
    // Measured: the ceiling is the blocker, not the soft limit.
    for (const a of [r.insideMeasured, r.hostMeasured]) {
      expect(a.json.measurement.value.remaining).toEqual({ min: 82_879, max: 82_879 });
      expect(a.json.blockers.map((b: { limit?: string }) => b.limit)).toEqual(['RLIMIT_MSGQUEUE ceiling']);
    }
    expect(r.insideMeasured.json.measurement.value.mode).toBe('fresh-ipc');
    expect(r.hostMeasured.json.measurement.value.chargedAtOwnLevel).toEqual({ ok: true, value: { min: 0, max: 0 } });
  });

  // Boundaries on the ceiling, with the uid's queues at every level: inside the
  // container (both levels), on the host (level above) and in a sibling container.
  const held = { innerQueues: [A(3, 1000)], hostQueues: [A(2, 500)], siblingQueues: [A(4, 100)] };
  const need = levelCharges({ title: '', uid: 0, userns: null, soft: 0, attr: A(5, 700), count: 2, ...held });
  const up = need.up + 2 * need.each;
  for (const [delta, errno, opened] of [[-1, 'EMFILE', 1], [0, null, 2], [1, null, 2]] as const) {
    it(`ceiling = everything charged one level up + 2 queues ${delta < 0 ? '− 1' : delta > 0 ? '+ 1' : ''} → ${errno ?? 'success'}`, () => {
      check(rootless({ title: `ceiling ${up + delta}`, userns: { ceiling: up + delta }, soft: 819_200, attr: A(5, 700), count: 2, ...held }), { errno, opened });
    });
  }

  it('the soft limit inside binds before the ceiling when it is lower', () => {
    const s = rootless({ title: 'soft below ceiling', userns: { ceiling: 819_200 }, soft: DEFAULT_COST - 1, attr: DEFAULT, count: 1 });
    const r = check(s, { errno: 'EMFILE' });
    // Level 0 alone refuses: certain even without measuring.
    for (const a of [r.inside, r.host]) expect(a.json.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: true });
    expect(r.insideMeasured.json.blockers.map((b: { limit?: string }) => b.limit)).toEqual(['RLIMIT_MSGQUEUE']);
  });

  it('a sibling container of the same uid shares the ceiling', () => {
    const r = check(rootless({ title: 'sibling', userns: { ceiling: 3 * DEFAULT_COST }, soft: 819_200, siblingQueues: [DEFAULT, DEFAULT], attr: DEFAULT, count: 2 }), { errno: 'EMFILE', opened: 1 });
    // From the host, as root, the model sees the sibling's two queues one level up.
    const up = r.host.json.charges.levels[1];
    expect(up.bytes).toBe(2 * DEFAULT_COST);
  });
});

describe.skipIf(!!skipReason)('real kernel: the same uid in other IPC namespaces', () => {
  it('9 default queues in namespace A, one more in B: EMFILE (the budget is per uid, over every namespace)', () => {
    const r = check({ title: '9 + 1', uid: freshUid(), userns: null, soft: 819_200, hostQueues: Array(9).fill(DEFAULT), attr: DEFAULT, count: 1 }, { errno: 'EMFILE' });
    // From the host, as root, namespace A is read through setns and a detached mount: the failure is certain without measuring.
    expect(r.host.json.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', errnoCertain: true });
    expect(r.host.json.charges.levels[0].bytes).toBe(9 * DEFAULT_COST);
    expect(r.host.json.charges.levels[0].holders.filter((h: { own: boolean }) => !h.own)).toHaveLength(1);
    // From inside, as the uid itself, A cannot be read: never "9 more fit".
    expect(r.inside.json.outcome.verdict).toBe('indeterminate');
    expect(r.insideMeasured.json.measurement.value.remaining).toEqual({ min: 819_200 - 9 * DEFAULT_COST, max: 819_200 - 9 * DEFAULT_COST });
  });

  it('8 in A, one more in B fits', () => {
    check({ title: '8 + 1', uid: freshUid(), userns: null, soft: 819_200, hostQueues: Array(8).fill(DEFAULT), attr: DEFAULT, count: 1 }, { errno: null });
  });
});

// --- random sweep -------------------------------------------------------------------
const SEED = process.env.MQ_DOCTOR_SEED !== undefined ? Number(process.env.MQ_DOCTOR_SEED) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0;
const RANDOM = Number(process.env.MQ_DOCTOR_NAMESPACE_SCENARIOS ?? 12);

export function randomScenarios(seed: number, n: number): NamespacedScenario[] {
  const { rnd, int, pick } = seededRandom(seed);
  // Within a fresh namespace's msg_max 10 and msgsize_max 8192: the held queues must exist.
  const some = (max: number): Attr[] => Array.from({ length: int(0, max) }, () => A(int(1, 10), int(1, 6000)));
  return Array.from({ length: n }, (_, i) => {
    const attr = rnd() < 0.15 ? null : A(pick([int(1, 10), 11]), pick([int(1, 8192), 8193]));
    const count = rnd() < 0.4 ? int(2, 4) : 1;
    const base = { title: `random #${i} (seed ${seed})`, uid: freshUid(), attr, count, innerQueues: some(2), hostQueues: some(2), siblingQueues: [] as Attr[] };
    const userns = rnd() < 0.75;
    if (userns) base.siblingQueues = some(2);
    const c = levelCharges({ ...base, userns: null, soft: 0 });
    // Mostly right at a boundary: of the ceiling, or of the soft limit inside; never below what is held already.
    const boundary = (charged: number) => Math.max(charged, charged + int(0, count) * c.each + pick([-1, 0, 0, 1]));
    const ceiling = Math.max(c.up, pick([boundary(c.up), boundary(c.up), int(1000, 819_200), 819_200]));
    // Without a user namespace of its own, the target's own level holds everything.
    const ownLevel = userns ? c.own : c.up;
    const soft = Math.max(ownLevel, pick([819_200, 819_200, boundary(ownLevel), int(Math.min(ceiling, 819_200) >> 1, 819_200)]));
    return { ...base, userns: userns ? { ceiling } : null, soft: Math.min(819_200, soft) };
  });
}

describe.skipIf(!!skipReason)(`real kernel: random namespace scenarios (seed ${SEED}; MQ_DOCTOR_SEED=${SEED} to repeat)`, () => {
  for (const s of randomScenarios(SEED, RANDOM)) it(s.title, () => check(s));
});
