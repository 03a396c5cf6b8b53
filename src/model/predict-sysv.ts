// Predicts an application's System V queue start-up the way ipc/msg.c and
// ipc/util.c decide it (see shared/reference/kernel-facts.md): msgget, then
// msgctl(IPC_SET) of msg_qbytes if it asks for a size, then msgsnd(IPC_NOWAIT)
// of one message. No rlimit is involved; the limits are kernel.msg*, per IPC
// namespace. The checks are sysv-checks/registry.ts's, one file each, in the
// kernel's order; the first refusal, queue by queue and in call order, decides.
import type { Snapshot, SysvQueue } from '../snapshot.js';
import type { CheckResult } from './check-result.js';
import type { SysvCall as Call } from './sysv-checks/check.js';
import { sysvContext } from './sysv-checks/context.js';
import { runSysvChecks, sysvCheckRecord } from './sysv-checks/registry.js';
import { groupDigits as fmt } from './units.js';
import type { Blocker, Errno, Outcome, SysvPrediction, SysvQueueView, SysvRequest } from './types.js';

export { fits, qbytesAsSet, room } from './sysv-checks/context.js';

/** What decide() weighs: the failures and the unknowns, each with its call. */
type Check =
  /** failsAt: the 1-based index of the first of --count queues this check refuses. */
  | { call: Call; kind: 'fail'; failsAt: number; blocker: Blocker }
  | { call: Call; kind: 'unknown'; reason: string };

const view = (q: SysvQueue): SysvQueueView => ({
  key: q.key,
  msqid: q.msqid,
  uid: q.uid,
  mode: q.mode,
  bytes: q.bytes,
  messages: q.messages,
  qbytes: q.qbytes.ok ? q.qbytes.value : null,
});

const weighed = (call: Call, r: CheckResult): Check[] =>
  r.kind === 'fail' ? [{ call, kind: 'fail', failsAt: r.failsAt, blocker: r.blocker }] : r.kind === 'unknown' ? [{ call, kind: 'unknown', reason: r.reason }] : [];

export function predictSysv(snap: Snapshot, asked: SysvRequest): SysvPrediction {
  const c = sysvContext(snap, asked);
  const { req, existing, keyName } = c;
  const { msgmnb, msgmni } = snap.sysv;
  const caps = snap.target.capabilities;
  const assumptions: string[] = [];
  const warnings: string[] = [];
  if (!caps.ok) assumptions.push(`Assumed no CAP_SYS_RESOURCE, CAP_SYS_ADMIN or CAP_IPC_OWNER (${caps.reason}).`);
  if (caps.ok && caps.value.sysResourceInOwnNs && !caps.value.initialUserNs) {
    warnings.push('The process holds CAP_SYS_RESOURCE only inside its own user namespace; msgctl(IPC_SET) checks it in the initial one, so msg_qbytes stays capped by kernel.msgmnb.');
  }

  // The checks of sysv-checks/registry.ts, msgget → msgctl → msgsnd.
  const made = runSysvChecks(c);
  const checks = made.flatMap((m) => m.results.flatMap((r) => weighed(m.check.call, r)));

  if (asked.qbytes !== null && asked.qbytes !== req.qbytes) {
    warnings.push(`msgctl(IPC_SET) keeps only the low 32 bits of msg_qbytes: ${typeof asked.qbytes === 'string' ? asked.qbytes.replace(/\B(?=(\d{3})+$)/g, ',') : fmt(asked.qbytes)} becomes ${fmt(req.qbytes as number)}.`);
  }
  if (req.key === null) assumptions.push('Without --key: IPC_PRIVATE, a new queue for every msgget.');
  if (existing && req.qbytes === null && existing.qbytes.ok && msgmnb.ok && existing.qbytes.value !== msgmnb.value) {
    warnings.push(`Queue ${existing.msqid} keeps its own msg_qbytes (${fmt(existing.qbytes.value)}); kernel.msgmnb (${fmt(msgmnb.value)}) only sizes new queues.`);
  }
  if (existing && req.create && !req.exclusive) {
    warnings.push(`Key ${keyName} already names queue ${existing.msqid}: msgget returns it as it is (msg_qbytes, mode and messages included).`);
  }
  const outcome = decide(checks, req.count);
  return {
    request: asked,
    existing: existing ? view(existing) : null,
    usage: { queuesInUse: c.inUse, msgmni: msgmni.ok ? msgmni.value : null },
    capacity: c.capacity,
    outcome,
    checks: made.map((m) => sysvCheckRecord(m.check, m.results)),
    blockers: checks.flatMap((x) => (x.kind === 'fail' ? [x.blocker] : [])),
    warnings,
    assumptions,
  };
}

const ORDER: Record<Call, number> = { msgget: 0, msgctl: 1, msgsnd: 2 };

function decide(checks: Check[], count: number): Outcome {
  // Queue by queue, each in call order: the first refusal is what the application sees.
  const fails = checks.filter((c): c is Extract<Check, { kind: 'fail' }> => c.kind === 'fail');
  const chosen = fails.sort((a, b) => a.failsAt - b.failsAt || ORDER[a.call] - ORDER[b.call])[0];
  const unknowns = checks.flatMap((c) => (c.kind === 'unknown' ? [c.reason] : []));
  const earlierUnknown = chosen !== undefined && checks.some((c) => c.kind === 'unknown' && ORDER[c.call] <= ORDER[chosen.call]);
  const base = { count, unknowns, ifUnknownsFavourable: (chosen?.blocker.errno ?? null) as Errno | null };
  if (chosen) {
    return { ...base, call: chosen.call, verdict: 'failure', errno: chosen.blocker.errno, errnoCertain: !earlierUnknown, opened: chosen.failsAt - 1 };
  }
  const firstUnknown = checks.find((c) => c.kind === 'unknown');
  if (firstUnknown) return { ...base, call: firstUnknown.call, verdict: 'indeterminate', errno: null, errnoCertain: false, opened: 0 };
  return { ...base, call: 'msgsnd', verdict: 'success', errno: null, errnoCertain: true, opened: count };
}
