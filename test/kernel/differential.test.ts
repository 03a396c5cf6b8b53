// Differential tests against the real kernel: for each scenario, mq-doctor's
// prediction (`check --json`) must equal what two independent implementations
// of the real call get from the kernel: the C oracle (test/helpers/mq_oracle.c)
// and the native addon (native/getrlimit, through fixtures/addon-open.cjs).
// Every scenario runs in its own private IPC namespace (lib/scenario.ts).
//
// Scenarios run one after another on purpose: RLIMIT_MSGQUEUE charges are per
// uid across all namespaces, so concurrent scenarios would see each other.
import { describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import {
  type Scenario,
  type ScenarioResult,
  SYSCTL_DEFAULTS,
  buildStaticOracle,
  inFreshNamespace,
  kernelCost,
  kernelSkipReason,
  runScenario,
  uidHoldsNoQueueMemory,
} from './lib/scenario.js';
import { seededRandom } from './lib/random.js';
import { testUids } from './lib/uids.js';
import { expectMeasuredRight, expectModelNeverWrong } from './lib/verdicts.js';

// Fresh high uids that hold nothing anywhere (lib/uids.ts): the opener (A), a
// second user (B) and a third (C). Root appears only where its privileges are
// the point, never at an exact limit: root's budget is shared with the machine.
const [A_UID, OTHER, NOBODY] = testUids(3, 1) as [number, number, number];
const DEFAULT_COST = 82_880; // 10 × 8192

// --- can these tests run here? ------------------------------------------------
const dynamicOracle = await buildOracle().catch((err: Error) => {
  console.warn(`mq_oracle failed to build: ${err.message}`);
  return null;
});
// The same source, linked statically: the RLIMIT_NOFILE cases need it (see buildStaticOracle).
const staticOracle = dynamicOracle ? buildStaticOracle() : { path: null, reason: 'the C oracle could not be built' };
const skipReason =
  kernelSkipReason({ oracle: dynamicOracle, needAddon: true }) ?? (staticOracle.path === null ? staticOracle.reason : null);
if (skipReason) console.warn(`SKIPPED test/kernel/differential.test.ts: ${skipReason}`);
const ORACLE = staticOracle.path ?? '';

// --- checks common to every scenario -------------------------------------------
interface Expect {
  /** What the kernel answers (null: success), asserted on top of the three-way agreement. */
  errno: string | null;
  /** How many of --count open (default: count on success, 0 on failure). */
  opened?: number;
  /** The model alone is indeterminate on purpose. */
  indeterminate?: boolean;
  /** Something the model cannot see is charged to the opener: its favourable guess is wrong on purpose. */
  hiddenCharge?: boolean;
  more?: (r: ScenarioResult) => void;
}

type HandPicked = Scenario & { expect: Expect };

function describeResult(s: Scenario, r: ScenarioResult): string {
  const o = r.cli.json?.outcome ?? {};
  return (
    `${s.title}\n  scenario: ${JSON.stringify({ ...s, title: undefined })}\n` +
    `  predicted: errno=${o.errno} opened=${o.opened} verdict=${o.verdict} (exit ${r.cli.code})\n` +
    `  C oracle:  errno=${r.oracle.errno} opened=${r.oracle.opened}\n` +
    `  addon:     errno=${r.addon.errno} opened=${r.addon.opened}\n` +
    `  blockers:  ${JSON.stringify((r.cli.json?.blockers ?? []).map((b: any) => `${b.errno}:${b.limit ?? b.rule}`))}`
  );
}

/** Both: the model never certain-wrong, the measurement always right. */
function checkAgreement(s: Scenario, r: ScenarioResult): void {
  const why = describeResult(s, r);
  // Each route started from the same queues, and left them as it found them.
  expect(new Set(r.listings).size, `queue listings differ between routes:\n${r.listings.join('\n')}\n${why}`).toBe(1);
  if (s.pidTarget) expect(r.targetFds, `the --pid target must hold exactly fds 0-2\n${why}`).toBe('0 1 2');
  // The two real implementations must agree with each other first.
  expect(r.addon, `C oracle and addon disagree\n${why}`).toEqual(r.oracle);
  const count = s.count ?? 1;
  expectModelNeverWrong(r.cli, r.oracle, count, why, (s.uid ?? 0) !== 0 && !(s as Partial<HandPicked>).expect?.hiddenCharge);
  expectMeasuredRight(r.measured, r.oracle, count, why);
}

/** The kernel side alone: both real routes agree, and give the answer the scenario is about. */
function checkKernelSide(s: HandPicked, r: ScenarioResult): void {
  const why = describeResult(s, r);
  expect(new Set(r.listings).size, `queue listings differ between routes:\n${r.listings.join('\n')}\n${why}`).toBe(1);
  expect(r.addon, `C oracle and addon disagree\n${why}`).toEqual(r.oracle);
  // Guard against a scenario that does not test what it claims (all three wrong alike).
  expect(r.oracle.errno, `the kernel's answer is not the one this scenario is about\n${why}`).toBe(s.expect.errno);
  const opened = s.expect.opened ?? (s.expect.errno === null ? (s.count ?? 1) : 0);
  expect(r.oracle.opened, `kernel opened\n${why}`).toBe(opened);
}

function checkHandPicked(s: HandPicked): void {
  const r = runScenario(s, ORACLE);
  checkKernelSide(s, r);
  checkAgreement(s, r);
  if (s.expect.indeterminate) expect(r.cli.json.outcome.verdict, 'the model alone cannot know this one').toBe('indeterminate');
  s.expect.more?.(r);
}

/** A scenario that names no opener runs as the fresh uid A, never as root. */
const withOpener = <T extends Scenario>(s: T): T => (s.uid === undefined ? { ...s, uid: A_UID } : s);

// Helpers for the `more` checks.
const blockerLimits = (r: ScenarioResult, errno: string): string[] =>
  (r.cli.json.blockers as any[]).filter((b) => b.errno === errno).map((b) => b.limit ?? b.rule);
const emfileFrom = (limit: 'RLIMIT_MSGQUEUE' | 'RLIMIT_NOFILE') => (r: ScenarioResult) =>
  expect(blockerLimits(r, 'EMFILE'), 'which limit the EMFILE comes from').toContain(limit);
const costIs = (bytes: number) => (r: ScenarioResult) => expect(r.cli.json.cost.bytes, 'cost.bytes').toBe(bytes);
const effectiveAttrIs = (maxmsg: number, msgsize: number) => (r: ScenarioResult) =>
  expect(r.cli.json.effectiveAttr).toMatchObject({ maxmsg, msgsize });
const all =
  (...fs: ((r: ScenarioResult) => void)[]) =>
  (r: ScenarioResult) =>
    fs.forEach((f) => f(r));

const q = (name: string, uid: number, maxmsg: number, msgsize: number, mode?: number) => ({ name, uid, maxmsg, msgsize, mode });
const A = (maxmsg: number, msgsize: number) => ({ maxmsg, msgsize });

// --- hand-picked scenarios ------------------------------------------------------
const HAND: HandPicked[] = [
  // success
  { title: 'success: attr NULL, namespace defaults', expect: { errno: null, more: all(effectiveAttrIs(10, 8192), costIs(DEFAULT_COST)) } },
  { title: 'success: 10 × 8192 as root', uid: 0, attr: A(10, 8192), expect: { errno: null, more: costIs(DEFAULT_COST) } },
  { title: 'success: 10 × 8192 as uid B', uid: OTHER, attr: A(10, 8192), expect: { errno: null } },
  { title: 'success: O_RDONLY creation of a new queue', access: 'rdonly', attr: A(2, 128), expect: { errno: null } },
  { title: 'success: mode 0000 does not stop its creator', uid: OTHER, mode: 0, attr: A(2, 128), expect: { errno: null } },

  // EINVAL
  { title: 'EINVAL: maxmsg 11 > msg_max 10', attr: A(11, 128), expect: { errno: 'EINVAL' } },
  { title: 'boundary: maxmsg 11 = msg_max 11', sysctls: { msg_max: 11 }, attr: A(11, 128), expect: { errno: null } },
  { title: 'EINVAL: msgsize 8193 > msgsize_max 8192', attr: A(1, 8193), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: maxmsg 0', attr: A(0, 128), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: msgsize -1', attr: A(1, -1), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: maxmsg -1 even with msg_max at its highest', sysctls: { msg_max: 65536 }, attr: A(-1, 128), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: maxmsg 70000 over the hard cap (msg_max 65536)', sysctls: { msg_max: 65536 }, attr: A(70000, 1), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: maxmsg 2^40', attr: A(2 ** 40, 128), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: msgsize 16777217 over the hard cap', sysctls: { msgsize_max: 16777216 }, attr: A(1, 16777217), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL: glibc refuses a name without the leading slash', name: 'noslash', attr: A(1, 128), expect: { errno: 'EINVAL' } },
  { title: 'EINVAL before EMFILE: maxmsg over msg_max with soft RLIMIT_MSGQUEUE 0', soft: 0, attr: A(11, 128), expect: { errno: 'EINVAL' } },

  // valid attr, too big for the rlimit
  { title: 'EMFILE: 65536 × 1 fits msg_max 65536 but not 819200 bytes', sysctls: { msg_max: 65536 }, attr: A(65536, 1), expect: { errno: 'EMFILE', more: all(costIs(kernelCost(65536, 1)), emfileFrom('RLIMIT_MSGQUEUE')) } },
  { title: 'EMFILE: msgsize 16 MiB fits msgsize_max but not the rlimit', sysctls: { msgsize_max: 16777216 }, attr: A(1, 16777216), expect: { errno: 'EMFILE' } },

  // ENOENT
  { title: 'ENOENT: --no-create on a missing queue', name: '/missing', noCreate: true, expect: { errno: 'ENOENT' } },
  { title: 'ENOENT: name "/"', name: '/', attr: A(1, 128), expect: { errno: 'ENOENT' } },

  // EEXIST, and an existing queue's attr
  { title: 'EEXIST: --exclusive on an existing queue', queues: [q('/exists', A_UID, 3, 128)], name: '/exists', exclusive: true, attr: A(3, 128), expect: { errno: 'EEXIST' } },
  { title: 'EEXIST before EMFILE: --exclusive, existing queue, soft 0', queues: [q('/exists', A_UID, 3, 128)], name: '/exists', exclusive: true, soft: 0, expect: { errno: 'EEXIST' } },
  {
    title: 'existing queue, different attr (99999 × 99999, msg_max 1): success, attr ignored',
    queues: [q('/exists', A_UID, 3, 128)],
    sysctls: { msg_max: 1, msgsize_max: 128 },
    name: '/exists',
    attr: A(99999, 99999),
    expect: {
      errno: null,
      more: (r) => {
        expect((r.cli.json.warnings as string[]).some((w) => /ignore/i.test(w) && w.includes('99999')), JSON.stringify(r.cli.json.warnings)).toBe(true);
        expect(r.cli.json.effectiveAttr).toMatchObject({ maxmsg: 3, msgsize: 128, source: 'existing queue' });
      },
    },
  },
  { title: 'existing queue with invalid attr (maxmsg 0): success', queues: [q('/exists', OTHER, 3, 128, 0o666)], name: '/exists', attr: A(0, -5), expect: { errno: null } },
  { title: 'existing queue, --no-create: success', queues: [q('/exists', A_UID, 3, 128)], name: '/exists', noCreate: true, expect: { errno: null } },
  { title: 'existing queue while queues_max is full: success (nothing created)', queues: [q('/exists', A_UID, 3, 128)], sysctls: { queues_max: 1 }, name: '/exists', expect: { errno: null } },
  { title: 'existing queue with soft RLIMIT_MSGQUEUE 0: success (nothing charged)', queues: [q('/exists', OTHER, 3, 128)], uid: OTHER, soft: 0, name: '/exists', expect: { errno: null } },

  // EACCES
  { title: 'EACCES: name "/a/b"', name: '/a/b', attr: A(1, 128), expect: { errno: 'EACCES' } },
  { title: 'EACCES: name "/.."', name: '/..', attr: A(1, 128), expect: { errno: 'EACCES' } },
  { title: 'EACCES: name "/."', name: '/.', attr: A(1, 128), expect: { errno: 'EACCES' } },
  { title: 'EACCES: root-owned 0600 queue opened by uid B', queues: [q('/rootq', 0, 3, 128)], uid: OTHER, name: '/rootq', expect: { errno: 'EACCES' } },
  { title: 'EACCES: root-owned 0600 queue, uid B O_CREAT with a valid attr', queues: [q('/rootq', 0, 3, 128)], uid: OTHER, name: '/rootq', attr: A(3, 128), expect: { errno: 'EACCES' } },
  { title: 'root-owned 0644 queue: uid B may open it O_RDONLY', queues: [q('/rootq', 0, 3, 128, 0o644)], uid: OTHER, name: '/rootq', access: 'rdonly', expect: { errno: null } },
  { title: 'EACCES: root-owned 0644 queue, uid B O_WRONLY', queues: [q('/rootq', 0, 3, 128, 0o644)], uid: OTHER, name: '/rootq', access: 'wronly', expect: { errno: 'EACCES' } },
  { title: 'EACCES: own 0400 queue opened O_RDWR by its owner', queues: [q('/mine', OTHER, 3, 128, 0o400)], uid: OTHER, name: '/mine', expect: { errno: 'EACCES' } },
  { title: "root opens uid B's 0400 queue O_RDWR (CAP_DAC_OVERRIDE)", uid: 0, queues: [q('/mine', OTHER, 3, 128, 0o400)], name: '/mine', expect: { errno: null } },
  { title: 'EACCES: uid B queue 0660, nobody (other) O_RDONLY', queues: [q('/grp', OTHER, 3, 128, 0o660)], uid: NOBODY, name: '/grp', access: 'rdonly', expect: { errno: 'EACCES' } },

  { title: 'EEXIST before EACCES: --exclusive on a root-owned 0600 queue as uid B', queues: [q('/rootq', 0, 3, 128)], uid: OTHER, name: '/rootq', exclusive: true, expect: { errno: 'EEXIST' } },
  { title: 'group bits: root-owned queue, group B, mode 0060, uid B O_RDWR', queues: [{ ...q('/grp', 0, 3, 128, 0o060), gid: OTHER }], uid: OTHER, name: '/grp', expect: { errno: null } },
  { title: 'EACCES: owner bits win: uid B owns a 0066 queue', queues: [q('/own', OTHER, 3, 128, 0o066)], uid: OTHER, name: '/own', access: 'rdonly', expect: { errno: 'EACCES' } },
  { title: 'EACCES: group bits win over other: group B, mode 0606, uid B', queues: [{ ...q('/grp', 0, 3, 128, 0o606), gid: OTHER }], uid: OTHER, name: '/grp', expect: { errno: 'EACCES' } },

  // ENAMETOOLONG
  { title: 'ENAMETOOLONG: 256 characters after the slash', name: `/${'n'.repeat(256)}`, attr: A(1, 128), expect: { errno: 'ENAMETOOLONG' } },
  { title: 'success: 255 characters after the slash', name: `/${'n'.repeat(255)}`, attr: A(1, 128), expect: { errno: null } },
  { title: 'ENAMETOOLONG: 128 "é" are 256 bytes (the limit is in bytes)', name: `/${'é'.repeat(128)}`, attr: A(1, 128), expect: { errno: 'ENAMETOOLONG' } },
  { title: 'success: 127 "é" + "a" are 255 bytes', name: `/${'é'.repeat(127)}a`, attr: A(1, 128), expect: { errno: null } },

  // ENOSPC
  { title: 'ENOSPC: queues_max 3 reached by 3 queues of two uids', queues: [q('/p0', 0, 1, 128), q('/p1', OTHER, 1, 128), q('/p2', OTHER, 1, 128)], sysctls: { queues_max: 3 }, attr: A(1, 128), expect: { errno: 'ENOSPC' } },
  { title: 'boundary: queues_max 4 with 3 queues', queues: [q('/p0', 0, 1, 128), q('/p1', OTHER, 1, 128), q('/p2', OTHER, 1, 128)], sysctls: { queues_max: 4 }, attr: A(1, 128), expect: { errno: null } },
  { title: 'ENOSPC: queues_max 0', sysctls: { queues_max: 0 }, attr: A(1, 128), expect: { errno: 'ENOSPC' } },
  { title: 'ENOSPC: queues_max 3, 5 queues exist (lowered after creation)', queues: [0, 1, 2, 3, 4].map((i) => q(`/p${i}`, i % 2 ? OTHER : 0, 1, 128)), sysctls: { queues_max: 3 }, uid: OTHER, expect: { errno: 'ENOSPC' } },
  { title: 'ENOSPC before EINVAL (6.x): queues_max full and maxmsg > msg_max', sysctls: { queues_max: 0 }, attr: A(11, 128), expect: { errno: 'ENOSPC' } },
  { title: 'ENOSPC before EINVAL: queues_max full and maxmsg 0', queues: [q('/p0', OTHER, 1, 128)], sysctls: { queues_max: 1 }, attr: A(0, 0), expect: { errno: 'ENOSPC' } },
  { title: 'ENOSPC before EMFILE: queues_max full and soft RLIMIT_MSGQUEUE 0', sysctls: { queues_max: 0 }, soft: 0, attr: A(1, 128), expect: { errno: 'ENOSPC' } },
  { title: 'EACCES before ENOSPC: "/a/b" with queues_max 0', sysctls: { queues_max: 0 }, name: '/a/b', attr: A(1, 128), expect: { errno: 'EACCES' } },

  // EMFILE from RLIMIT_MSGQUEUE: the exact boundary
  { title: 'RLIMIT_MSGQUEUE: soft = cost − 1 → EMFILE', attr: A(10, 8192), soft: DEFAULT_COST - 1, expect: { errno: 'EMFILE', more: emfileFrom('RLIMIT_MSGQUEUE') } },
  { title: 'RLIMIT_MSGQUEUE: soft = cost → success', attr: A(10, 8192), soft: DEFAULT_COST, expect: { errno: null } },
  { title: 'RLIMIT_MSGQUEUE: soft = cost + 1 → success', attr: A(10, 8192), soft: DEFAULT_COST + 1, expect: { errno: null } },
  ...(() => {
    const mine = [q('/m0', OTHER, 5, 1000), q('/m1', OTHER, 7, 300)];
    const held = kernelCost(5, 1000) + kernelCost(7, 300);
    const base = { uid: OTHER, queues: [...mine, q('/r0', 0, 10, 8192)], attr: A(10, 8192) };
    return [
      { ...base, title: "uid B's own queues count: soft = held + cost − 1 → EMFILE", soft: held + DEFAULT_COST - 1, expect: { errno: 'EMFILE' } },
      { ...base, title: "uid B's own queues count: soft = held + cost → success", soft: held + DEFAULT_COST, expect: { errno: null } },
      { ...base, title: "uid B's own queues count: soft = held + cost + 1 → success", soft: held + DEFAULT_COST + 1, expect: { errno: null } },
    ] satisfies HandPicked[];
  })(),
  { title: "another uid's queues do not count: root holds 3 queues, uid B soft = cost", queues: [0, 1, 2].map((i) => q(`/r${i}`, 0, 10, 8192)), uid: OTHER, soft: DEFAULT_COST, attr: A(10, 8192), expect: { errno: null } },
  { title: "another uid's queues do not count: uid B holds one, root soft = cost", queues: [q('/o0', OTHER, 10, 8192)], soft: DEFAULT_COST, attr: A(10, 8192), expect: { errno: null } },

  // attr NULL and the default sysctls
  { title: 'attr NULL: msg_default 20 > msg_max 10 is clamped (soft = 10 × 8192 cost)', sysctls: { msg_default: 20 }, soft: DEFAULT_COST, expect: { errno: null, more: effectiveAttrIs(10, 8192) } },
  { title: 'attr NULL: clamped default, soft = cost − 1 → EMFILE', sysctls: { msg_default: 20 }, soft: DEFAULT_COST - 1, expect: { errno: 'EMFILE' } },
  { title: 'attr NULL: msgsize_default 16384 > msgsize_max 8192 is clamped', sysctls: { msgsize_default: 16384 }, soft: DEFAULT_COST, expect: { errno: null, more: effectiveAttrIs(10, 8192) } },
  { title: 'attr NULL: msg_default 5, msgsize_default 1000 (soft = exact cost)', sysctls: { msg_default: 5, msgsize_default: 1000 }, soft: kernelCost(5, 1000), expect: { errno: null, more: costIs(kernelCost(5, 1000)) } },
  { title: 'attr NULL: msg_default 5, msgsize_default 1000, soft = cost − 1', sysctls: { msg_default: 5, msgsize_default: 1000 }, soft: kernelCost(5, 1000) - 1, expect: { errno: 'EMFILE' } },
  { title: 'attr NULL: msg_max 65536, msg_default 65536 → 65536 × 8192 → EMFILE', sysctls: { msg_max: 65536, msg_default: 65536 }, expect: { errno: 'EMFILE', more: effectiveAttrIs(65536, 8192) } },
  { title: 'attr NULL: msg_max 2 lowers the default 10 to 2', sysctls: { msg_max: 2 }, soft: kernelCost(2, 8192), expect: { errno: null, more: effectiveAttrIs(2, 8192) } },

  // --count: which limit fails first, and after how many
  { title: '--count 5: queues_max 5 with 2 queues → 3 open, ENOSPC', queues: [q('/p0', 0, 1, 128), q('/p1', OTHER, 1, 128)], sysctls: { queues_max: 5 }, count: 5, attr: A(1, 128), expect: { errno: 'ENOSPC', opened: 3 } },
  { title: '--count 5: rlimit for 3 → 3 open, EMFILE', uid: OTHER, count: 5, attr: A(10, 8192), soft: 3 * DEFAULT_COST + 100, expect: { errno: 'EMFILE', opened: 3 } },
  { title: '--count 6: queues_max allows 4, rlimit 2 → 2 open, EMFILE', sysctls: { queues_max: 4 }, count: 6, attr: A(10, 8192), soft: 2 * DEFAULT_COST, expect: { errno: 'EMFILE', opened: 2 } },
  { title: '--count 6: queues_max allows 2, rlimit 4 → 2 open, ENOSPC', sysctls: { queues_max: 2 }, count: 6, attr: A(10, 8192), soft: 4 * DEFAULT_COST, expect: { errno: 'ENOSPC', opened: 2 } },
  { title: '--count 6: both allow 3 → ENOSPC first (checked before the charge)', sysctls: { queues_max: 3 }, count: 6, attr: A(10, 8192), soft: 3 * DEFAULT_COST, expect: { errno: 'ENOSPC', opened: 3 } },
  { title: '--count 10: the default limit holds 9 default queues, not 10', uid: OTHER, count: 10, attr: A(10, 8192), expect: { errno: 'EMFILE', opened: 9 } },
  { title: '--count 4: own queue charges count toward the batch', uid: OTHER, queues: [q('/m0', OTHER, 10, 8192)], count: 4, soft: 3 * DEFAULT_COST, attr: A(10, 8192), expect: { errno: 'EMFILE', opened: 2 } },
  { title: '--count 3 all fine, exactly at the rlimit', uid: NOBODY, count: 3, soft: 3 * kernelCost(4, 500), attr: A(4, 500), expect: { errno: null } },

  // EMFILE from RLIMIT_NOFILE (an application with exactly fds 0, 1, 2)
  { title: 'RLIMIT_NOFILE 24:24, --count 21 → all open', nofile: 24, nofileHard: 24, count: 21, attr: A(1, 128), expect: { errno: null } },
  { title: 'RLIMIT_NOFILE 24:24, --count 22 → 21 open, EMFILE', nofile: 24, nofileHard: 24, count: 22, attr: A(1, 128), expect: { errno: 'EMFILE', opened: 21, more: emfileFrom('RLIMIT_NOFILE') } },
  { title: 'RLIMIT_NOFILE 26:26 as uid B, queues_max 20 with 2 queues → ENOSPC at 19', uid: OTHER, queues: [q('/p0', 0, 1, 128), q('/p1', OTHER, 1, 128)], sysctls: { queues_max: 20 }, nofile: 26, nofileHard: 26, count: 24, attr: A(1, 128), expect: { errno: 'ENOSPC', opened: 18 } },
  { title: 'RLIMIT_NOFILE 22:22 fails before queues_max 30 and the rlimit', nofile: 22, nofileHard: 22, sysctls: { queues_max: 30 }, count: 25, soft: 30 * kernelCost(1, 128), attr: A(1, 128), expect: { errno: 'EMFILE', opened: 19, more: emfileFrom('RLIMIT_NOFILE') } },
  // --pid: a running process with exactly fds 0-2 and RLIMIT_NOFILE 3 (node itself cannot run so low)
  { title: '--pid, RLIMIT_NOFILE 3: EMFILE before the name is looked up ("/a/b")', pidTarget: true, nofile: 3, name: '/a/b', expect: { errno: 'EMFILE', more: emfileFrom('RLIMIT_NOFILE') } },
  { title: '--pid, RLIMIT_NOFILE 3: ENOENT for "/" comes first (getname)', pidTarget: true, nofile: 3, name: '/', expect: { errno: 'ENOENT' } },
  { title: '--pid, RLIMIT_NOFILE 3: glibc EINVAL for a name without "/" comes first', pidTarget: true, uid: OTHER, nofile: 3, name: 'noslash', expect: { errno: 'EINVAL' } },
  { title: '--pid, RLIMIT_NOFILE 3: EMFILE before EEXIST', pidTarget: true, nofile: 3, queues: [q('/exists', 0, 1, 128)], name: '/exists', exclusive: true, expect: { errno: 'EMFILE' } },
  { title: '--pid, RLIMIT_NOFILE 3: EMFILE before ENAMETOOLONG', pidTarget: true, nofile: 3, name: `/${'n'.repeat(256)}`, expect: { errno: 'EMFILE' } },
  { title: '--pid, RLIMIT_NOFILE 3: a 4096-byte name fails in getname (ENAMETOOLONG) before the descriptor', pidTarget: true, nofile: 3, name: `/${'n'.repeat(4096)}`, expect: { errno: 'ENAMETOOLONG' } },
  { title: '--pid, RLIMIT_NOFILE 3: a 4095-byte name gets past getname → EMFILE', pidTarget: true, nofile: 3, name: `/${'n'.repeat(4095)}`, expect: { errno: 'EMFILE' } },
  { title: '--pid, RLIMIT_NOFILE 4: one free descriptor → success', pidTarget: true, uid: OTHER, nofile: 4, attr: A(1, 128), expect: { errno: null } },
  { title: '--pid, RLIMIT_NOFILE 5, --count 4 → 2 open, EMFILE', pidTarget: true, uid: NOBODY, nofile: 5, count: 4, attr: A(1, 128), expect: { errno: 'EMFILE', opened: 2, more: emfileFrom('RLIMIT_NOFILE') } },
  { title: '--pid, RLIMIT_NOFILE 7, --count 4 → all open', pidTarget: true, nofile: 7, count: 4, attr: A(1, 128), expect: { errno: null } },
  { title: '--pid as uid B with soft RLIMIT_MSGQUEUE = held + cost', pidTarget: true, uid: OTHER, queues: [q('/m0', OTHER, 3, 1000)], soft: kernelCost(3, 1000) + kernelCost(2, 2000), attr: A(2, 2000), expect: { errno: null } },
  { title: '--pid as uid B with soft RLIMIT_MSGQUEUE = held + cost − 1', pidTarget: true, uid: OTHER, queues: [q('/m0', OTHER, 3, 1000)], soft: kernelCost(3, 1000) + kernelCost(2, 2000) - 1, attr: A(2, 2000), expect: { errno: 'EMFILE', more: emfileFrom('RLIMIT_MSGQUEUE') } },

  // What the CLI cannot see: its own queue it may not read (mode 0200) → indeterminate, and right if favourable.
  { title: 'indeterminate: uid B owns a 0200 queue it cannot read back', uid: OTHER, queues: [q('/wo', OTHER, 2, 128, 0o200)], attr: A(1, 128), expect: { errno: null, indeterminate: true } },
];

// Node raises its own soft RLIMIT_NOFILE to the hard limit at start-up
// (node.cc PlatformInit), so /proc/self/limits shows 20000, not the 30 the
// application inherits; bin/mq-doctor.cjs records the soft limit before Node
// starts. This scenario found that bug and keeps it fixed.
const NOFILE_SOFT_BELOW_HARD: HandPicked = {
  title: 'RLIMIT_NOFILE soft 30 (hard 20000), --count 28 → 27 open, EMFILE',
  nofile: 30,
  count: 28,
  attr: A(1, 128),
  expect: { errno: 'EMFILE', opened: 27 },
};

// Model blind spot, kept visible (reported, not fixed here): the kernel charges a
// queue to its creator's REAL uid, but the file (what the CLI lists) belongs to
// the creator's fsuid. A queue made by a set-uid-root program started by uid
// 1000 is owned by root yet charged to 1000, so the CLI misses 82,880 bytes of
// uid B's usage and predicts success (errnoCertain: true) where the kernel
// answers EMFILE. src/model/usage.ts acknowledges the case in a comment only.
const SETUID_CREATOR: HandPicked = {
  title: 'queue made by a set-uid-root program run by uid B (owner 0, charged to B), uid B soft = cost',
  queues: [{ ...q('/setuid', OTHER, 10, 8192), realUidOnly: true }],
  uid: OTHER,
  soft: DEFAULT_COST,
  attr: A(10, 8192),
  expect: { errno: 'EMFILE', hiddenCharge: true },
};

// --- random scenarios -------------------------------------------------------------
const SEED = process.env.MQ_DOCTOR_SEED !== undefined ? Number(process.env.MQ_DOCTOR_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const RANDOM_COUNT = Number(process.env.MQ_DOCTOR_RANDOM_SCENARIOS ?? 40);

export function randomScenarios(seed: number, n: number): Scenario[] {
  const { rnd, int, pick } = seededRandom(seed);
  const chance = (p: number) => rnd() < p;
  const out: Scenario[] = [];
  for (let i = 0; i < n; i++) {
    const sys = {
      queues_max: pick([0, 1, 2, 3, 4, 5, 6, 8, 256, int(0, 10)]),
      msg_max: pick([1, 2, 10, 11, 100, 1000, 32768, 65536, int(1, 65536)]),
      msgsize_max: pick([128, 129, 1000, 8192, 8193, 65536, 16777216, int(128, 1 << 20)]),
      msg_default: pick([1, 5, 10, 20, 65536, int(1, 100)]),
      msgsize_default: pick([128, 1000, 8192, 16384, 1 << 20, int(128, 10000)]),
    };
    const queues = Array.from({ length: int(0, 5) }, (_, k) => ({
      name: `/pre-${k}`,
      uid: pick([0, OTHER]),
      maxmsg: int(1, 20),
      msgsize: int(1, 4000),
      // The owner can always read its own queue back: otherwise the CLI rightly says "indeterminate".
      mode: pick([0o600, 0o644, 0o640, 0o666, 0o604, 0o400, 0o620]),
    }));
    const uid = pick([A_UID, A_UID, OTHER, NOBODY]);
    const pidTarget = chance(0.12);
    const nofileCase = !pidTarget && chance(0.12);
    let count = pidTarget ? (chance(0.4) ? int(2, 6) : 1) : nofileCase ? int(18, 25) : chance(0.3) ? int(2, 8) : 1;
    let name: string | undefined;
    if (count === 1) {
      const r = rnd();
      if (r < 0.45) name = undefined;
      else if (r < 0.75 && queues.length) name = pick(queues).name;
      else name = pick(['noslash', '/', '/a/b', '/..', '/.', `/${'n'.repeat(255)}`, `/${'n'.repeat(256)}`, '/fresh']);
    }
    const attr = chance(0.2)
      ? null
      : {
          maxmsg: pick([-1, 0, 1, 2, sys.msg_max, sys.msg_max + 1, int(1, sys.msg_max), int(1, 20), 65536, 65537, 70000, 2 ** 40]),
          msgsize: pick([-1, 0, 1, 127, 128, sys.msgsize_max, sys.msgsize_max + 1, int(1, Math.min(sys.msgsize_max, 20000)), int(1, 2000), 16777216, 16777217]),
        };
    const noCreate = chance(0.15);
    const exclusive = !noCreate && chance(0.2);
    const access = pick(['rdwr', 'rdwr', 'rdwr', 'rdonly', 'wronly'] as const);
    // The soft RLIMIT_MSGQUEUE, mostly around the interesting boundaries.
    const held = queues.filter((x) => x.uid === uid).reduce((s, x) => s + kernelCost(x.maxmsg, x.msgsize), 0);
    const eff = attr ?? { maxmsg: Math.min(sys.msg_max, sys.msg_default), msgsize: Math.min(sys.msgsize_max, sys.msgsize_default) };
    const each = kernelCost(eff.maxmsg, eff.msgsize);
    let soft: number | undefined;
    const r = rnd();
    if (r < 0.6 && each > 0) soft = held + int(0, count) * each + pick([-1, 0, 0, 1]);
    else if (r < 0.8) soft = int(0, 819200);
    if (soft !== undefined) soft = Math.max(0, Math.min(819200, soft));
    let nofile: number | undefined;
    let nofileHard: number | undefined;
    if (pidTarget && chance(0.6)) nofile = count > 1 ? count + 3 + pick([-2, -1, 0, 1]) : pick([3, 3, 4, 5]);
    if (nofileCase) {
      nofile = count + 3 + pick([-1, 0, 1]);
      // Half with soft = hard, half with a soft limit below the hard one (see NOFILE_SOFT_BELOW_HARD).
      if (chance(0.5)) {
        nofileHard = nofile;
        // node needs about 20 descriptors to start when it cannot raise its soft limit, and
        // --measure three more (its helper's pipe, the id maps): below that the measurement
        // cannot run, and where the own IPC namespace is full too the answer stays honestly unsure.
        if (nofile < 24) {
          count += 24 - nofile;
          nofile = nofileHard = 24;
        }
      } else if (nofile < 5) {
        // the launcher's $(ulimit -Sn) needs a pipe: two descriptors beyond 0-2
        count += 5 - nofile;
        nofile = 5;
      }
    }
    const s: Scenario = { title: `random #${i} (seed ${seed})`, sysctls: sys, queues, uid, count, attr };
    if (name !== undefined) s.name = name;
    if (noCreate) s.noCreate = true;
    if (exclusive) s.exclusive = true;
    if (access !== 'rdwr') s.access = access;
    if (soft !== undefined) s.soft = soft;
    if (pidTarget) s.pidTarget = true;
    if (nofile !== undefined) s.nofile = nofile;
    if (nofileHard !== undefined) s.nofileHard = nofileHard;
    if (chance(0.1)) s.mode = pick([0o600, 0o644, 0o400, 0]);
    out.push(s);
  }
  return out;
}

// --- the tests --------------------------------------------------------------------
describe.skipIf(!!skipReason)('real kernel: mq_open prediction vs C oracle vs addon', () => {
  it('the uids used hold no queue memory outside these namespaces (else every rlimit boundary shifts)', () => {
    for (const uid of [A_UID, OTHER, NOBODY]) {
      const r = uidHoldsNoQueueMemory(uid, ORACLE);
      expect(r.ok, `uid ${uid} has POSIX queue memory charged elsewhere (another test or program holds queues): ${r.last}`).toBe(true);
    }
  });

  describe(`hand-picked (${HAND.length + 2})`, () => {
    for (const s of [...HAND, NOFILE_SOFT_BELOW_HARD, SETUID_CREATOR]) it(s.title, () => checkHandPicked(withOpener(s)));
  });

  describe(`random (seed ${SEED}; rerun with MQ_DOCTOR_SEED=${SEED})`, () => {
    console.log(`test/kernel/differential.test.ts: random scenarios with seed ${SEED} (MQ_DOCTOR_SEED=${SEED} to repeat)`);
    const scenarios = randomScenarios(SEED, RANDOM_COUNT).map(withOpener);
    scenarios.forEach((s) => {
      it(s.title, () => {
        const r = runScenario(s, ORACLE);
        checkAgreement(s, r);
      });
    });
  });

  it('the sysctl defaults assumed by the scenarios are the kernel defaults of a new IPC namespace', () => {
    const r = inFreshNamespace('cd /proc/sys/fs/mqueue && for f in queues_max msg_max msgsize_max msg_default msgsize_default; do echo "$f $(cat $f)"; done');
    const seen = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
    expect(seen).toEqual(SYSCTL_DEFAULTS);
  });
});
