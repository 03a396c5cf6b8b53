import type { Snapshot } from '../snapshot.js';
import type { UidCharges } from './charges.js';
import type { Headroom } from './types.js';
import type { NamespaceUsage } from './usage.js';

/** How many more queues costing `each` bytes fit, by the uid's budget and by queues_max. */
export function headroomFor(
  snap: Snapshot,
  usage: NamespaceUsage,
  charges: UidCharges,
  each: number,
  sysResource: boolean,
  held: { queues: number; bytes: number } = { queues: 0, bytes: 0 },
): Headroom {
  const notes: string[] = [];
  let byRlimit: number | null = null;
  const lim = snap.target.rlimitMsgqueue;
  const m = snap.measurement;
  if (each <= 0) notes.push('No valid attr: per-queue cost unknown.');
  else if (m?.ok) {
    const { min, max } = m.value.remaining;
    byRlimit = Math.max(0, Math.floor((min - held.bytes) / each));
    if (max === null || Math.floor((max - held.bytes) / each) !== byRlimit) notes.push('At least, by the measurement.');
  } else if (!lim.ok) notes.push(`RLIMIT_MSGQUEUE unknown: ${lim.reason}`);
  else if (lim.value.value.soft === 'unlimited' && charges.levels.length === 1 && charges.chainComplete) notes.push('RLIMIT_MSGQUEUE is unlimited.');
  else if (charges.uid === null || charges.gaps.length > 0 || charges.levels.length > 1 || !charges.chainComplete || lim.value.value.soft === 'unlimited') {
    notes.push('The bytes the uid may still be charged are not all visible (--measure finds them).');
  } else {
    byRlimit = Math.max(0, Math.floor((lim.value.value.soft - charges.levels[0]!.bytes - held.bytes) / each));
  }
  let byQueuesMax: number | null = null;
  const qmax = snap.mqueue.queues_max;
  if (sysResource) notes.push('CAP_SYS_RESOURCE lifts queues_max.');
  else if (!qmax.ok) notes.push(`queues_max unknown: ${qmax.reason}`);
  else if (usage.queuesInUse === undefined) notes.push('Queues in use are unknown.');
  else byQueuesMax = Math.max(0, qmax.value - usage.queuesInUse - held.queues);
  // An unlimited bound constrains nothing; an unknown one leaves the total unknown.
  const rlimitUnbounded = !m?.ok && lim.ok && lim.value.value.soft === 'unlimited' && charges.levels.length === 1 && charges.chainComplete;
  const bounds = [rlimitUnbounded ? Infinity : byRlimit, sysResource ? Infinity : byQueuesMax];
  const total = bounds.some((b) => b === null) ? null : Math.min(...(bounds as number[]));
  return { byRlimit, byQueuesMax, total: total === Infinity ? null : total, notes };
}
