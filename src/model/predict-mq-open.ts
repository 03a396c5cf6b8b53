// Predicts mq_open() the way ipc/mqueue.c decides it (see shared/reference/kernel-facts.md):
// the checks of checks/registry.ts in the running kernel's order, then the first
// failure decides the errno; cost, charge and headroom for the report.
import type { Snapshot } from '../snapshot.js';
import type { CheckResult } from './check-result.js';
import { type Held, mqOpenContext } from './checks/context.js';
import { checkRecord, runChecks } from './checks/registry.js';
import { queueCost } from './cost.js';
import { headroomFor } from './headroom.js';
import { removeIpcWarning } from './remove-ipc.js';
import type { Certainty, EffectiveAttr, Errno, Headroom, MqOpenRequest, Outcome, Prediction } from './types.js';

export type { Held } from './checks/context.js';

export function predictMqOpen(snap: Snapshot, req: MqOpenRequest, held: Held = { queues: 0, bytes: 0 }): Prediction {
  const c = mqOpenContext(snap, req, held);
  const { era, wordBits, charges, usage } = c;
  const assumptions = c.assumptions;
  const warnings = c.warnings;
  if (!snap.kernel.release.ok || era.basis.startsWith('assumed')) assumptions.push(`Kernel rules: ${era.basis}.`);
  if (!snap.kernel.wordBits.ok) assumptions.push(`Assumed a 64-bit kernel (${snap.kernel.wordBits.reason}).`);
  const { target } = snap;
  const caps = target.capabilities;
  const sysResource = c.sysResource;
  if (!caps.ok) assumptions.push(`Assumed no CAP_SYS_RESOURCE (${caps.reason}).`);
  if (caps.ok && caps.value.sysResourceInOwnNs && !caps.value.initialUserNs) {
    warnings.push(
      'The process holds CAP_SYS_RESOURCE only inside its own user namespace; the kernel checks it in the initial one, so it does not lift any queue limit.',
    );
  }
  const privateIpc = c.fix.privateIpc;
  const uid = target.credentials.ok ? target.credentials.value.realUid : null;
  const count = req.count;
  const existing = c.existing;

  const made = runChecks(c);
  const ordered = made.flatMap((m) => m.results);
  const outcome = decide(ordered, count);
  const blockers = ordered.flatMap((r) => (r.kind === 'fail' ? [r.blocker] : []));
  const checks = made.map((m) => checkRecord(m.check, m.results));
  const effectiveAttr: EffectiveAttr | null = existing
    ? existing.attr.ok
      ? { maxmsg: existing.attr.value.maxmsg, msgsize: existing.attr.value.msgsize, source: 'existing queue' }
      : null
    : c.creationAttr?.ok
      ? { ...c.creationAttr.attr, source: c.creationAttr.source }
      : null;

  const costAttr = existing ? null : req.attr ?? (effectiveAttr?.source === 'namespace defaults' ? effectiveAttr : null);
  const noCharge = (why: string) => ({ bytes: 0, messageBytes: 0, headerBytes: 0, treeNodeBytes: 0, formula: `nothing: ${why}` });
  const cost = existing
    ? noCharge('opening an existing queue charges nothing')
    : !req.create
      ? noCharge('without O_CREAT no queue is created')
      : costAttr
        ? queueCost(costAttr.maxmsg, costAttr.msgsize, era, wordBits)
        : noCharge('the default attr could not be read');
  const measuredOwn = snap.measurement?.ok && snap.measurement.value.chargedAtOwnLevel.ok ? snap.measurement.value.chargedAtOwnLevel.value : null;
  const level0 = charges.levels[0]!;
  const chargedBytes =
    measuredOwn && measuredOwn.min === measuredOwn.max
      ? measuredOwn.min + held.bytes
      : charges.gaps.length === 0 && uid !== null
        ? level0.bytes + held.bytes
        : null;
  const limit = target.rlimitMsgqueue.ok ? target.rlimitMsgqueue.value.value.soft : null;
  if (uid !== null && !snap.measurement?.ok) {
    assumptions.push(
      'Each queue is counted for its file owner, as if created in the user namespace that owns its IPC namespace; a queue created by a set-uid program is charged to the creator\'s real uid, which the mqueue filesystem does not show (--measure sees it).',
    );
  }
  const unlinkedSeen = unlinkedAssumption(snap);
  if (c.creates && !c.sysResource && unlinkedSeen) assumptions.push(unlinkedSeen);
  if (c.creates && uid !== null) {
    const w = removeIpcWarning(snap, [uid]);
    if (w) warnings.push(w);
  }
  if (privateIpc && target.self) {
    warnings.push('This runs in a private IPC namespace (a container?): its fs.mqueue values started from the kernel defaults, whatever the host\'s sysctl.d says.');
  }
  return {
    request: req,
    effectiveAttr,
    cost: { ...cost, wordBits, era: era.basis, totalForCount: cost.bytes * count },
    charge: {
      uid,
      chargedBytes,
      limit,
      afterBytes: chargedBytes === null || existing ? null : chargedBytes + cost.bytes * count,
    },
    outcome,
    checks,
    blockers,
    charges,
    headroom: existing
      ? { byRlimit: null, byQueuesMax: null, total: null, notes: ['Opening an existing queue charges nothing and takes no queue slot.'] }
      : whileFailing(outcome, headroomFor(snap, usage, charges, costAttr ? cost.bytes : 0, sysResource, held)),
    warnings,
    assumptions,
  };
}

/**
 * What fits is what opens: when the call fails at queue k, k - 1 fit, whatever
 * the other limits would allow (EINVAL at the first queue leaves none). Their
 * own answer becomes a note for after the fix.
 */
function whileFailing(outcome: Outcome, h: Headroom): Headroom {
  if (outcome.verdict !== 'failure') return h;
  const total = h.total === null ? outcome.opened : Math.min(h.total, outcome.opened);
  const after = h.total !== null && h.total > total ? [`once the call's own blockers are fixed, the limits as they are allow ${h.total} more`] : [];
  return { ...h, total, notes: [...h.notes, ...after] };
}

function decide(ordered: CheckResult[], count: number): Outcome {
  let chosen: { index: number; failsAt: number; errno: Errno } | undefined;
  ordered.forEach((c, index) => {
    if (c.kind === 'fail' && (!chosen || c.failsAt < chosen.failsAt)) chosen = { index, failsAt: c.failsAt, errno: c.blocker.errno };
  });
  const unknowns = ordered.flatMap((c) => (c.kind === 'unknown' ? [c.reason] : c.kind === 'fail' && c.bound ? [c.bound] : []));
  // An unavailable check the kernel makes earlier, or a partly unknown usage,
  // could make the call fail sooner or with another errno.
  const uncertain = (c: CheckResult) => c.kind === 'unknown' || (c.kind === 'fail' && c.bound !== undefined);
  // A failure at the very first queue cannot come any sooner: only a check the
  // kernel makes before it could still change the errno.
  const errnoCertain =
    unknowns.length === 0 || (chosen !== undefined && chosen.failsAt === 1 && ordered.slice(0, chosen.index).every((c) => !uncertain(c)));
  const base = { call: 'mq_open' as const, count, unknowns, ifUnknownsFavourable: chosen?.errno ?? null };
  const certainWith = certaintyOf(ordered);
  const unknownChecks = ordered.flatMap((c) => (c.id && c.kind === 'unknown' ? [{ id: c.id, reason: c.reason }] : c.id && c.kind === 'fail' && c.bound ? [{ id: c.id, reason: c.bound }] : []));
  const extra = { ...(certainWith ? { certainWith } : {}), ...(unknownChecks.length ? { unknownChecks } : {}) };
  if (chosen) {
    const definite = errnoCertain && (chosen.failsAt === 1 || !uncertain(ordered[chosen.index]!));
    return { ...base, verdict: 'failure', errno: chosen.errno, errnoCertain, opened: chosen.failsAt - 1, ...(definite ? {} : extra) };
  }
  if (unknowns.length > 0) return { ...base, verdict: 'indeterminate', errno: null, errnoCertain: false, opened: 0, ...extra };
  return { ...base, verdict: 'success', errno: null, errnoCertain: true, opened: count };
}

/** What the uncertain checks need, merged: one command line can then make the answer definite. */
export function certaintyOf(checks: CheckResult[]): Certainty | undefined {
  const out: Certainty = {};
  for (const c of checks) {
    const w = c.kind === 'unknown' || (c.kind === 'fail' && c.bound !== undefined) ? c.certainWith : undefined;
    if (w?.measure) out.measure = true;
    if (w?.root) out.root = true;
    if (w?.launcher) out.launcher = true;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * A queue unlinked while still open is in no listing, yet holds its slot and its
 * charge until its last descriptor closes: only the holder scan finds it.
 */
function unlinkedAssumption(snap: Snapshot): string | null {
  if (!snap.queues.ok) return null;
  const scan = snap.queues.value.holderScan;
  if (scan?.ok && scan.value.gaps.length === 0) return null;
  const why = scan === undefined ? 'the holders were not looked for' : scan.ok ? scan.value.gaps.join('; ') : scan.reason;
  return `Queues unlinked but still open (in no listing, yet counted against queues_max and charged until closed) are counted only as far as every process's descriptors were read: ${why}.`;
}
