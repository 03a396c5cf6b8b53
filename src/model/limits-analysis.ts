import type { QueueInfo, Snapshot } from '../snapshot.js';
import { queueCost } from './cost.js';
import { type KernelEra, kernelEra } from './era.js';
import { type UidCharges, uidCharges } from './charges.js';
import { namespaceUsage, type NamespaceUsage, queueCharge } from './usage.js';

export interface LimitsAnalysis {
  era: KernelEra;
  wordBits: 32 | 64;
  usage: NamespaceUsage;
  /** What one queue of the kernel's own default size (10 × 8192) costs here. */
  defaultQueueCost: number;
  /** The charge of a listed queue; undefined where its attrs could not be read. A function, not a table: the report needs a few of 10,000. */
  chargeOf: (q: QueueInfo) => number | undefined;
  /** The target uid's queue memory at each user-namespace level, over every IPC namespace seen. */
  uid: UidCharges;
}

/** The kernel era and word size a snapshot implies; 64-bit when unknown (the prediction says so). */
export function kernelModel(snap: Pick<Snapshot, 'kernel'>): { era: KernelEra; wordBits: 32 | 64 } {
  return { era: kernelEra(snap.kernel.release), wordBits: snap.kernel.wordBits.ok ? snap.kernel.wordBits.value : 64 };
}

export function analyseLimits(snap: Snapshot): LimitsAnalysis {
  const { era, wordBits } = kernelModel(snap);
  return {
    era,
    wordBits,
    usage: namespaceUsage(snap, era, wordBits),
    defaultQueueCost: queueCost(10, 8192, era, wordBits).bytes,
    chargeOf: (q) => queueCharge(q, era, wordBits),
    uid: uidCharges(snap, era, wordBits),
  };
}
