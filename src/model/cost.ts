import type { KernelEra } from './era.js';

/** MQ_PRIO_MAX: the priority tree never needs more nodes than priorities. */
export const MQ_PRIO_MAX = 32768;
/** Caps that even CAP_SYS_RESOURCE cannot lift (ipc/mqueue.c). */
/** IPCMNI: kernel.msgmni cannot go higher (without the ipcmni_extend boot option). */
export const MSGMNI_CAP = 32768;
export const HARD_MSGMAX = 65536;
export const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
/** What every new IPC namespace starts from. */
export const KERNEL_DEFAULTS = {
  msg_max: 10,
  msgsize_max: 8192,
  queues_max: 256,
  msg_default: 10,
  msgsize_default: 8192,
} as const;

export interface CostBreakdown {
  bytes: number;
  messageBytes: number;
  /** struct msg_msg headers (tree era) or message pointers (pointer era). */
  headerBytes: number;
  treeNodeBytes: number;
  formula: string;
}

/** sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node): 48 on 64-bit kernels, 24 on 32-bit. */
export const structBytes = (wordBits: 32 | 64): number => (wordBits === 64 ? 48 : 24);

/** The bytes alone, for the daemon's per-queue sums: no breakdown object, no formula string. */
export function queueCostBytes(maxmsg: number, msgsize: number, era: KernelEra, wordBits: 32 | 64): number {
  if (maxmsg <= 0 || msgsize <= 0) return 0;
  if (era.costFormula === 'pointer') return maxmsg * msgsize + maxmsg * (wordBits / 8);
  const s = structBytes(wordBits);
  return maxmsg * msgsize + maxmsg * s + Math.min(maxmsg, MQ_PRIO_MAX) * s;
}

/**
 * What mqueue_get_inode() adds to the creator's RLIMIT_MSGQUEUE charge.
 * Articles often print maxmsg*(msgsize+sizeof(msg_msg)), which misses the tree nodes.
 */
export function queueCost(maxmsg: number, msgsize: number, era: KernelEra, wordBits: 32 | 64): CostBreakdown {
  if (maxmsg <= 0 || msgsize <= 0) {
    return { bytes: 0, messageBytes: 0, headerBytes: 0, treeNodeBytes: 0, formula: 'nothing is charged: the kernel rejects a non-positive attr' };
  }
  const messageBytes = maxmsg * msgsize;
  if (era.costFormula === 'pointer') {
    const ptr = wordBits / 8;
    return {
      bytes: messageBytes + maxmsg * ptr,
      messageBytes,
      headerBytes: maxmsg * ptr,
      treeNodeBytes: 0,
      formula: `maxmsg*msgsize + maxmsg*${ptr} (before Linux 3.5)`,
    };
  }
  const s = structBytes(wordBits);
  const headerBytes = maxmsg * s;
  const treeNodeBytes = Math.min(maxmsg, MQ_PRIO_MAX) * s;
  return {
    bytes: messageBytes + headerBytes + treeNodeBytes,
    messageBytes,
    headerBytes,
    treeNodeBytes,
    formula: `maxmsg*msgsize + maxmsg*${s} + min(maxmsg, ${MQ_PRIO_MAX})*${s}`,
  };
}
