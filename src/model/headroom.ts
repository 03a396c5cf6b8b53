import type { Snapshot } from '../snapshot.js';
import type { Headroom } from './types.js';
import { type NamespaceUsage, usageOf } from './usage.js';

/** How many more queues costing `each` bytes fit, by the uid's budget and by queues_max. */
export function headroomFor(
  snap: Snapshot,
  usage: NamespaceUsage,
  uid: number | null,
  each: number,
  sysResource: boolean,
  held: { queues: number; bytes: number } = { queues: 0, bytes: 0 },
): Headroom {
  const notes: string[] = [];
  let byRlimit: number | null = null;
  const lim = snap.target.rlimitMsgqueue;
  if (each <= 0) notes.push('No valid attr: per-queue cost unknown.');
  else if (!lim.ok) notes.push(`RLIMIT_MSGQUEUE unknown: ${lim.reason}`);
  else if (lim.value.value.soft === 'unlimited') notes.push('RLIMIT_MSGQUEUE is unlimited.');
  else if (uid === null || usage.queuesInUse === undefined) notes.push('Bytes already charged are unknown.');
  else {
    const mine = usageOf(usage, uid);
    byRlimit = Math.max(0, Math.floor((lim.value.value.soft - mine.bytes - held.bytes) / each));
    if (mine.unknownQueues > 0) notes.push(`At most: ${mine.unknownQueues} queue(s) of uid ${uid} could not be sized.`);
  }
  let byQueuesMax: number | null = null;
  const qmax = snap.mqueue.queues_max;
  if (sysResource) notes.push('CAP_SYS_RESOURCE lifts queues_max.');
  else if (!qmax.ok) notes.push(`queues_max unknown: ${qmax.reason}`);
  else if (usage.queuesInUse === undefined) notes.push('Queues in use are unknown.');
  else byQueuesMax = Math.max(0, qmax.value - usage.queuesInUse - held.queues);
  // An unlimited bound constrains nothing; an unknown one leaves the total unknown.
  const rlimitUnbounded = lim.ok && lim.value.value.soft === 'unlimited';
  const bounds = [rlimitUnbounded ? Infinity : byRlimit, sysResource ? Infinity : byQueuesMax];
  const total = bounds.some((b) => b === null) ? null : Math.min(...(bounds as number[]));
  return { byRlimit, byQueuesMax, total: total === Infinity ? null : total, notes };
}
