// MQ-RLIMIT-MSGQUEUE: the creator's queue memory (mqueue_get_inode, then
// inc_rlimit_ucounts since 5.14). The charge goes to (user namespace, real uid)
// over every IPC namespace, and again at each user-namespace level above: the
// first level is checked against the soft RLIMIT_MSGQUEUE, the others against
// ceilings /proc never shows. A certain success therefore needs every level
// known: the initial user namespace and every IPC namespace read, or a
// measurement (--measure) that asked the kernel itself.
import type { BudgetMeasurement, Snapshot } from '../../snapshot.js';
import type { UidCharges } from '../charges.js';
import { type CheckResult, fail, firstOver, pass, unknown } from '../check-result.js';
import { ceilingFixes, type FixContext, rlimitFixes } from '../fixes.js';
import type { Errno } from '../types.js';
import { groupDigits as fmt } from '../units.js';
import { queueCost } from '../cost.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export interface RlimitInput {
  each: number;
  count: number;
  /** Bytes the application holds already beyond the snapshot (earlier queue kinds of a workload). */
  heldBytes: number;
  attrText: string;
  errno: Errno;
  charges: UidCharges;
  ctx: FixContext;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function whereHeld(c: UidCharges): string {
  const l = c.levels[0]!;
  if (l.holders.length <= 1) return '';
  return ` (${l.holders.map((h) => `${fmt(h.bytes)} in ${h.own ? 'its own IPC namespace' : `IPC namespace ${h.ipcInode}${h.pid !== null ? ` of process ${h.pid}${h.command ? ` (${h.command})` : ''}` : ''}`}`).join(', ')})`;
}

/** The model alone: certain only when every level is known. */
function modelled(snap: Snapshot, i: RlimitInput, measureFailed: string | undefined): CheckResult {
  const lim = snap.target.rlimitMsgqueue;
  if (!lim.ok) return unknown(`RLIMIT_MSGQUEUE: ${lim.reason}`);
  const { charges } = i;
  if (charges.uid === null) return unknown('the uid charged is unknown');
  const soft = lim.value.value.soft;
  const level0 = charges.levels[0]!;
  const charged = level0.bytes + i.heldBytes;
  const ceilings = charges.levels.length > 1 || !charges.chainComplete;
  // Everything that could hide more charge or a lower limit than what was read.
  const doubts = [
    ...(charges.gaps.length ? [`the bytes already charged to uid ${charges.uid} may be more than the ${fmt(level0.bytes)} visible (${charges.gaps.join('; ')})`] : []),
    ...(ceilings
      ? [
          `the target is in user namespace ${level0.userNs ?? '(unknown)'}, not the initial one: every user namespace above it caps uid ${charges.uid}'s queue memory again, at the soft limit its creator had when it was made, which /proc does not show`,
        ]
      : []),
    ...(measureFailed ? [measureFailed] : []),
  ];
  const failsAt = firstOver(charged, i.each, soft);
  if (failsAt > i.count) {
    // Measuring sees every hidden charge and ceiling at once: it is the one fix to suggest.
    if (doubts.length) return unknown(`RLIMIT_MSGQUEUE: ${doubts.join('; ')}`, measureFailed ? undefined : { measure: true });
    const after = charged + i.count * i.each;
    const warn = soft !== 'unlimited' && after > 0.8 * soft ? `${fmt(after)} of ${fmt(soft)} bytes charged afterwards` : undefined;
    return pass(`${fmt(charged)} bytes charged + ${fmt(i.count * i.each)} = ${fmt(after)}, within the soft RLIMIT_MSGQUEUE ${typeof soft === 'number' ? fmt(soft) : soft}`, soft, after, warn);
  }
  const needed = charged + i.count * i.each;
  const atLeast = doubts.length ? ' (at least)' : '';
  const already = charged > 0 ? `uid ${charges.uid} is already charged ${fmt(charged)} bytes${atLeast}${whereHeld(charges)} and ` : '';
  return fail(
    {
      kind: 'limit',
      errno: i.errno,
      limit: 'RLIMIT_MSGQUEUE',
      origin: lim.value.source,
      actual: soft,
      hard: lim.value.value.hard,
      needed,
      summary: `${i.errno} (queue memory, not descriptors): ${already}${i.count > 1 ? `${i.count} queues` : 'the queue'} of ${i.attrText} cost${i.count > 1 ? ` ${fmt(i.each)} bytes each` : `s ${fmt(i.each)} bytes`}; that needs RLIMIT_MSGQUEUE ≥ ${fmt(needed)} bytes, the soft limit is ${typeof soft === 'number' ? fmt(soft) : soft}.`,
      fixes: rlimitFixes('msgqueue', needed, lim.value.value.hard, i.ctx),
    },
    failsAt,
    doubts.length ? `RLIMIT_MSGQUEUE: ${doubts.join('; ')}` : undefined,
    doubts.length && !measureFailed ? { measure: true } : undefined,
  );
}

/** The kernel's own answer, from the measurement. */
function measured(snap: Snapshot, i: RlimitInput, m: BudgetMeasurement): CheckResult {
  const lim = snap.target.rlimitMsgqueue;
  const { min, max } = m.remaining;
  const earliest = firstOver(i.heldBytes, i.each, min);
  const latest = max === null ? Infinity : firstOver(i.heldBytes, i.each, max);
  if (earliest > i.count) {
    const want = i.heldBytes + i.count * i.each;
    return pass(`measured: ${max === null ? `at least ${fmt(min)}` : fmt(min)} bytes still free for uid ${m.uid}; ${fmt(want)} needed`, m.softLimit, want);
  }
  const left = max === null ? `at least ${fmt(min)}` : min === max ? fmt(min) : `${fmt(min)} to ${fmt(max)}`;
  if (latest > i.count) return unknown(`RLIMIT_MSGQUEUE: the measurement found ${left} bytes still free for uid ${m.uid}, not enough to tell`, { measure: true });
  const want = i.heldBytes + i.count * i.each;
  const own = m.chargedAtOwnLevel.ok && m.chargedAtOwnLevel.value.max !== null && m.chargedAtOwnLevel.value.min === m.chargedAtOwnLevel.value.max ? m.chargedAtOwnLevel.value.min : null;
  const soft = m.softLimit;
  const roomAtOwnLevel = own !== null && soft !== 'unlimited' ? soft - own : null;
  const visible = i.charges.levels[0]!.bytes;
  const hidden = own !== null && own > visible ? ` (${fmt(own - visible)} of them in queues mq-doctor cannot list: other IPC namespaces, or queues whose namespace is gone but are still open)` : '';
  const bound = earliest < latest ? `RLIMIT_MSGQUEUE: the measurement bounds the free bytes only to ${left}` : undefined;
  const level0 = i.charges.levels[0]!;
  if (roomAtOwnLevel !== null && max !== null && max < roomAtOwnLevel) {
    // The soft limit would allow it: a ceiling further up is what refuses.
    return fail(
      {
        kind: 'limit',
        errno: i.errno,
        limit: 'RLIMIT_MSGQUEUE ceiling',
        origin: `a user namespace at or above ${level0.userNs ?? "the target's"}: the soft RLIMIT_MSGQUEUE its creator had when it was created (measured with ${plural(m.probes, 'scratch queue')})`,
        actual: max,
        needed: want,
        summary:
          `${i.errno} (queue memory, a user namespace's ceiling): the soft limit ${fmt(soft as number)} less the ${fmt(own!)} bytes charged at uid ${m.uid}'s own level${hidden} would leave ${fmt(roomAtOwnLevel)}, ` +
          `but a user namespace above caps it: only ${left} bytes are free, and ${i.count > 1 ? `${i.count} queues` : 'the queue'} of ${i.attrText} need${i.count > 1 ? '' : 's'} ${fmt(want)}. Raising the soft limit inside does not lift it.`,
        fixes: ceilingFixes(want, m.uid),
      },
      latest,
      bound,
    );
  }
  // A full budget hides how far over it the uid is: what it is seen to hold may say more.
  const charged = own ?? (soft !== 'unlimited' ? Math.max(soft - max!, visible) : visible);
  const needed = charged + want;
  return fail(
    {
      kind: 'limit',
      errno: i.errno,
      limit: 'RLIMIT_MSGQUEUE',
      origin: lim.ok ? `${lim.value.source}; measured with ${plural(m.probes, 'scratch queue')}` : 'measured',
      actual: soft,
      hard: lim.ok ? lim.value.value.hard : undefined,
      needed,
      summary:
        `${i.errno} (queue memory, not descriptors): uid ${m.uid} is charged ${fmt(charged)} bytes${own === null ? ' (if its own level is what binds)' : ''}${hidden}; only ${left} bytes are free, and ${i.count > 1 ? `${i.count} queues` : 'the queue'} of ${i.attrText} need${i.count > 1 ? '' : 's'} ${fmt(want)}: ` +
        `RLIMIT_MSGQUEUE must be at least ${fmt(needed)}, the soft limit is ${typeof soft === 'number' ? fmt(soft) : soft}.`,
      fixes: rlimitFixes('msgqueue', needed, lim.ok ? lim.value.value.hard : 'unlimited', i.ctx),
    },
    latest,
    bound,
  );
}

export function rlimitMsgqueueCheck(snap: Snapshot, i: RlimitInput): CheckResult {
  const m = snap.measurement;
  if (m?.ok) return measured(snap, i, m.value);
  return modelled(snap, i, m && !m.ok ? `the measurement could not run (${m.reason})` : undefined);
}

export const rlimitMsgqueue: MqOpenCheck = {
  id: 'MQ-RLIMIT-MSGQUEUE',
  title: "the creator's queue memory (RLIMIT_MSGQUEUE, at each user-namespace level)",
  kernel: 'mqueue_get_inode(): inc_rlimit_ucounts(UCOUNT_RLIMIT_MSGQUEUE) since 5.14, user->mq_bytes before',
  doc: docAnchor('MQ-RLIMIT-MSGQUEUE'),
  run(c) {
    if (!c.creationAttr?.ok) return [];
    const attr = c.creationAttr.attr;
    if (attr.maxmsg <= 0 || attr.msgsize <= 0) return [];
    const { snap } = c;
    // sizeof(struct msg_msg) is 24 or 48 bytes: the cost is unknown without the kernel's word size.
    if (!snap.kernel.wordBits.ok) return [unknown(`the cost of each queue: the kernel's word size is unknown (${snap.kernel.wordBits.reason})`)];
    return [
      rlimitMsgqueueCheck(snap, {
        each: queueCost(attr.maxmsg, attr.msgsize, c.era, c.wordBits).bytes,
        count: c.count,
        heldBytes: c.held.bytes,
        attrText: `${attr.maxmsg} × ${attr.msgsize}`,
        errno: c.era.rlimitErrno,
        charges: c.charges,
        ctx: c.fix,
      }),
    ];
  },
};
