import type { Avail, QueueAttr, QueueListing, Snapshot } from '../snapshot.js';
import { queueCostBytes } from './cost.js';
import type { KernelEra } from './era.js';

export interface UidUsage {
  uid: number;
  queues: number;
  /** Sum of the kernel's charge for the queues whose attrs could be read. */
  bytes: number;
  /** Queues whose maxmsg/msgsize could not be read: bytes is then a lower bound. */
  unknownQueues: number;
}

export interface NamespaceUsage {
  /** undefined when no mqueue mount could be listed. */
  queuesInUse: number | undefined;
  byUid: UidUsage[];
  unknownReason?: string;
}

/**
 * What the kernel counts (queues_max) and charges (RLIMIT_MSGQUEUE): the queues in
 * the mount and, where the holder scan ran, those unlinked but still open.
 */
export function countedQueues(listing: QueueListing): Array<{ uid: number; attr: Avail<QueueAttr> }> {
  const scan = listing.holderScan;
  return scan?.ok ? [...listing.queues, ...scan.value.unlinked] : listing.queues;
}

/** The kernel's charge for one queue of any listing (this namespace, another one, unlinked); undefined: unsized. */
export function queueCharge(q: { attr: Avail<Pick<QueueAttr, 'maxmsg' | 'msgsize'>> }, era: KernelEra, wordBits: 32 | 64): number | undefined {
  return q.attr.ok ? queueCostBytes(q.attr.value.maxmsg, q.attr.value.msgsize, era, wordBits) : undefined;
}

/** The same for row i of queue columns (the daemon's listing), where NaN is what could not be read. */
export function rowCharge(rows: { maxmsg: Float64Array; msgsize: Float64Array }, i: number, era: KernelEra, wordBits: 32 | 64): number | undefined {
  const maxmsg = rows.maxmsg[i]!;
  return Number.isNaN(maxmsg) ? undefined : queueCostBytes(maxmsg, rows.msgsize[i]!, era, wordBits);
}

/** Queues of one listing by file owner, each owner's count and charge: the one pass both the usage and the charge levels take. */
export function usageByUid(queues: Iterable<{ uid: number; attr: Avail<Pick<QueueAttr, 'maxmsg' | 'msgsize'>> }>, era: KernelEra, wordBits: 32 | 64): Map<number, UidUsage> {
  const byUid = new Map<number, UidUsage>();
  for (const q of queues) {
    let u = byUid.get(q.uid);
    if (u === undefined) byUid.set(q.uid, (u = { uid: q.uid, queues: 0, bytes: 0, unknownQueues: 0 }));
    const charge = queueCharge(q, era, wordBits);
    u.queues += 1;
    if (charge === undefined) u.unknownQueues += 1;
    else u.bytes += charge;
  }
  return byUid;
}

/**
 * The file owner of a queue is the creator's fsuid, while the kernel charges the
 * creator's real uid; the two differ only for set-uid creators.
 */
export function namespaceUsage(snap: Snapshot, era: KernelEra, wordBits: 32 | 64): NamespaceUsage {
  if (!snap.queues.ok) return { queuesInUse: undefined, byUid: [], unknownReason: snap.queues.reason };
  const all = countedQueues(snap.queues.value);
  return {
    queuesInUse: all.length,
    byUid: [...usageByUid(all, era, wordBits).values()].sort((a, b) => a.uid - b.uid),
  };
}
