// What every System V check reads: the snapshot and the request (msg_qbytes as
// IPC_SET really sets it), and what msgget has established by the time a check
// runs (the queue the key names, or the one the caller creates). Derived once, purely.
import type { Snapshot, SysvQueue } from '../../snapshot.js';
import { type FixContext, fixContextOf, sysctlOrigin } from '../fixes.js';
import type { SysvCapacity, SysvRequest } from '../types.js';
import { sysvKeyHex as hex } from '../units.js';

export const WRITE = 0o222;
export const READ = 0o444;

/** msg_fits_inqueue(): bytes *and* count are bounded by msg_qbytes. */
export function fits(qbytes: number, cbytes: number, qnum: number, msgsize: number): boolean {
  return cbytes + msgsize <= qbytes && qnum + 1 <= qbytes;
}

/** How many more messages of msgsize a queue of qbytes holding cbytes in qnum messages accepts. */
export function room(qbytes: number, cbytes: number, qnum: number, msgsize: number): number {
  const byCount = Math.max(0, qbytes - qnum);
  return msgsize === 0 ? byCount : Math.max(0, Math.min(Math.floor((qbytes - cbytes) / msgsize), byCount));
}

/**
 * What msgctl(IPC_SET) really sets: current kernels pass msg_qbytes on as an
 * int, so only its low 32 bits count (compared unsigned with kernel.msgmnb).
 */
export function qbytesAsSet(qbytes: number | string): number {
  return Number(BigInt(qbytes) % 2n ** 32n);
}

/** What grants an access: the queue's mode bits, CAP_IPC_OWNER, nothing, or why it cannot be told. */
export type Grant = 'mode' | 'CAP_IPC_OWNER' | 'denied' | { unknown: string };

/** ipcperms(): owner or creator, then group or creator's group, then others; CAP_IPC_OWNER passes all. */
export function ipcGrant(q: SysvQueue, flag: number, snap: Snapshot): Grant {
  const { credentials, capabilities } = snap.target;
  if (!credentials.ok) return { unknown: credentials.reason };
  if (!capabilities.ok) return { unknown: capabilities.reason };
  const c = credentials.value;
  const requested = ((flag >> 6) | (flag >> 3) | flag) & 7;
  const inGroup = (g: number) => c.fsGid === g || c.groups.includes(g);
  const granted =
    c.effectiveUid === q.uid || c.effectiveUid === q.cuid ? q.mode >> 6 : inGroup(q.cgid) || inGroup(q.gid) ? q.mode >> 3 : q.mode;
  return (requested & ~granted & 7) === 0 ? 'mode' : capabilities.value.ipcOwner ? 'CAP_IPC_OWNER' : 'denied';
}

/** A queue as a check's line names it. */
export const queueText = (q: SysvQueue) => `queue ${q.msqid} (owner uid ${q.uid}, mode 0${q.mode.toString(8)})`;

export interface SysvContext {
  snap: Snapshot;
  /** The request, msg_qbytes as the kernel really sets it (its low 32 bits). */
  req: SysvRequest & { qbytes: number | null };
  count: number;
  /** CAP_SYS_RESOURCE in the initial user namespace: lifts kernel.msgmnb for IPC_SET. */
  sysResource: boolean;
  fix: FixContext;
  sysctlOrigin: (key: string) => string;
  /** The key as the reports print it (hex, or IPC_PRIVATE). */
  keyName: string;
  /** System V queues in this IPC namespace, or null when they could not be listed. */
  inUse: number | null;
  /** The queue msgget finds for the key; null for IPC_PRIVATE, a missing key, or an unknown list. */
  existing: SysvQueue | null;
  /** Why whether the key exists is unknown; null when it is known (or IPC_PRIVATE). */
  existingUnknown: string | null;
  /**
   * The queue msgctl and msgsnd act on: the existing one, or the new one the
   * caller creates with req.mode; null when neither is known (no credentials).
   */
  target: SysvQueue | null;
  /** msg_qbytes of the queue msgsnd sends to, as if IPC_SET succeeded. */
  capacity: SysvCapacity;
}

function capacityOf(req: SysvRequest & { qbytes: number | null }, existing: SysvQueue | null, msgmnb: number | null): SysvCapacity {
  let qbytes: number | null;
  let source: SysvCapacity['source'];
  // As if IPC_SET succeeded: if it cannot, its own blocker says why, and fixing
  // that must not reveal a msgsnd blocker that was hidden behind it.
  if (req.qbytes !== null) {
    qbytes = req.qbytes;
    source = 'IPC_SET (requested)';
  } else if (existing) {
    qbytes = existing.qbytes.ok ? existing.qbytes.value : null;
    source = 'existing queue';
  } else {
    qbytes = msgmnb;
    source = 'kernel.msgmnb (new queue)';
  }
  if (qbytes === null || req.msgsize < 0) return { qbytes, source, byBytes: null, byCount: null, messages: null, free: null };
  const byBytes = req.msgsize === 0 ? null : Math.floor(qbytes / req.msgsize);
  return {
    qbytes,
    source,
    byBytes,
    byCount: qbytes,
    messages: room(qbytes, 0, 0, req.msgsize),
    free: room(qbytes, existing?.bytes ?? 0, existing?.messages ?? 0, req.msgsize),
  };
}

export function sysvContext(snap: Snapshot, asked: SysvRequest): SysvContext {
  // From here on, the value the kernel really sets.
  const req: SysvRequest & { qbytes: number | null } = { ...asked, qbytes: asked.qbytes === null ? null : qbytesAsSet(asked.qbytes) };
  const fix = fixContextOf(snap);
  const caps = snap.target.capabilities;
  const creds = snap.target.credentials;
  const msgmnb = snap.sysv.msgmnb;
  const queues = snap.sysvQueues;
  const keyName = req.key === null ? 'IPC_PRIVATE' : hex(req.key);
  // msgget finds the key among the namespace's queues; IPC_PRIVATE never finds one.
  let existing: SysvQueue | null = null;
  let existingUnknown: string | null = null;
  if (req.key !== null && req.key !== 0) {
    if (queues.ok) existing = queues.value.find((q) => q.key === req.key) ?? null;
    else existingUnknown = `whether key ${keyName} exists: ${queues.reason}`;
  }
  const target: SysvQueue | null =
    existing ??
    (creds.ok
      ? { key: req.key ?? 0, msqid: -1, mode: req.mode, bytes: 0, messages: 0, uid: creds.value.effectiveUid, gid: creds.value.effectiveGid, cuid: creds.value.effectiveUid, cgid: creds.value.effectiveGid, qbytes: msgmnb }
      : null);
  return {
    snap,
    req,
    count: req.count,
    sysResource: caps.ok && caps.value.sysResource,
    fix,
    sysctlOrigin: (key) => sysctlOrigin(key, fix.privateIpc),
    keyName,
    inUse: queues.ok ? queues.value.length : null,
    existing,
    existingUnknown,
    target,
    capacity: capacityOf(req, existing, msgmnb.ok ? msgmnb.value : null),
  };
}
