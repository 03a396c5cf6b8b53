// The only entry point that reads the system. Nothing here runs at import time.
import { type Avail, type MqueueSysctls, type QueueListing, type Snapshot, type SysvSysctls, have, unavailable } from '../snapshot.js';
import { probeKernel } from './kernel.js';
import { loadNative, type MqDirCache, nativeStatus } from './native.js';
import { namespaceOf, PROC_IPC_INIT_INO, processExists, probeProcess } from './process.js';
import { inIpcNamespaceOf } from './setns.js';
import { scanOtherNamespaces } from './ipc-scan.js';
import { probeQueues } from './queues.js';
import { probeQueueColumns, type QueueColumns } from './queue-columns.js';
import { scanHolders } from './holders.js';
import { probeRemoveIpc } from './logind.js';
import { probeMqueueSysctls, probeSysvSysctls } from './sysctls.js';
import { probeSysvQueues, type SysvQueue } from './sysv.js';

export interface ProbeOptions {
  /** Another process to diagnose; defaults to mq-doctor's own environment. */
  pid?: number;
  /** Read each System V queue's msg_qbytes (msgctl through the addon). */
  sysvQbytes?: boolean;
  /** Read every other IPC namespace too: a uid's queue memory is charged across all of them. */
  scanNamespaces?: boolean;
  /**
   * The processes that have each queue open (one pass over every /proc/PID/fd), and with
   * 'notify' each queue file's NOTIFY, SIGNO and NOTIFY_PID too (one read per queue).
   * Whenever a queue is created: a queue unlinked but still open is found no other way,
   * and it counts.
   */
  holders?: boolean | 'notify';
}

export { measureBudget, type MeasureRequest } from './measure.js';

export class NoSuchProcess extends Error {}

export interface NamespaceView {
  inode: number;
  /** The initial (host) IPC namespace. */
  initial: boolean;
  /** The process it was seen through; undefined for mq-doctor's own namespace. */
  pid: number | undefined;
  mqueue: MqueueSysctls;
  sysv: SysvSysctls;
  queues: Avail<QueueColumns>;
  sysvQueues: Avail<SysvQueue[]>;
}

/**
 * One IPC namespace as the daemon sees it: sysctls and System V queues from
 * inside it (setns for another one), POSIX queues through its mqueue mount
 * (with `cache`, the daemon's memory of its last read of that namespace).
 */
export async function probeNamespace(inode: number, initial: boolean, pid: number | undefined, cache?: MqDirCache): Promise<NamespaceView> {
  // The queues first: they are read on libuv threads while this one reads the sysctls.
  const queues = probeQueueColumns(pid, loadNative, cache);
  const s = pid === undefined ? readOwnNamespace('/proc/sys (this IPC namespace)', true) : sysctlsOfNamespace(pid, true);
  return { inode, initial, pid, mqueue: s.mqueue, sysv: s.sysv, sysvQueues: s.sysvQueues, queues: await queues };
}

type Sysctls = { mqueue: MqueueSysctls; sysv: SysvSysctls; source: string; sysvQueues: Avail<SysvQueue[]> };

/** Everything that /proc shows of the reader's own IPC namespace. */
function readOwnNamespace(source: string, sysvQbytes: boolean): Sysctls {
  return { mqueue: probeMqueueSysctls(), sysv: probeSysvSysctls(), source, sysvQueues: probeSysvQueues(sysvQbytes ? loadNative : undefined) };
}

const MQUEUE_KEYS = ['msg_max', 'msgsize_max', 'queues_max', 'msg_default', 'msgsize_default'] as const;
const SYSV_KEYS = ['msgmax', 'msgmnb', 'msgmni'] as const;

function allUnavailable<K extends string>(keys: readonly K[], reason: string): Record<K, Avail<never>> {
  return Object.fromEntries(keys.map((k) => [k, unavailable(reason)])) as Record<K, Avail<never>>;
}

/**
 * /proc/sys answers for the *reader's* IPC namespace, so another process's
 * values are read by entering its namespace with setns(2) for a moment.
 */
function sysctlsOfNamespace(pid: number, sysvQbytes: boolean): Sysctls {
  const source = `/proc/sys of process ${pid}'s IPC namespace (entered with setns)`;
  const r = inIpcNamespaceOf(pid, `process ${pid} is in another IPC namespace and reading its sysctls`, () => have(readOwnNamespace(source, sysvQbytes)));
  if (r.ok) return r.value;
  return { mqueue: allUnavailable(MQUEUE_KEYS, r.reason), sysv: allUnavailable(SYSV_KEYS, r.reason), source, sysvQueues: unavailable(r.reason) };
}

/** The target's queue listing, with notification details and holders when asked. */
function targetQueues(pid: number | undefined, holders: boolean | 'notify'): Avail<QueueListing> {
  const queues = probeQueues(pid, loadNative, { details: holders === 'notify' });
  return holders && queues.ok ? have(scanHolders(queues.value, loadNative)) : queues;
}

/**
 * The queues read again with their notifications and holders, for the report of
 * who holds the limit once a prediction failed with ENOSPC or EMFILE.
 */
export function probeHolders(snap: Snapshot): Snapshot {
  if (!snap.queues.ok) return snap;
  const again = targetQueues(snap.target.self ? undefined : snap.target.pid, 'notify');
  if (again.ok) return { ...snap, queues: again };
  return { ...snap, queues: have({ ...snap.queues.value, holderScan: unavailable(`the queues could not be read again: ${again.reason}`) }) };
}

export function probeSnapshot(opts: ProbeOptions = {}): Snapshot {
  const { pid, sysvQbytes = false, scanNamespaces = false, holders = false } = opts;
  if (pid !== undefined && !processExists(pid)) throw new NoSuchProcess(`no process with pid ${pid}`);
  const target = probeProcess(pid);
  const ownIpc = pid === undefined ? target.ipcNamespace : namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
  const sameNamespace =
    pid === undefined ||
    (ownIpc.ok && target.ipcNamespace.ok && ownIpc.value.inode === target.ipcNamespace.value.inode);
  const sysctls: Sysctls = sameNamespace ? readOwnNamespace('/proc/sys (this IPC namespace)', sysvQbytes) : sysctlsOfNamespace(pid!, sysvQbytes);
  const queues = targetQueues(pid, holders);
  const otherNamespaces = scanNamespaces
    ? scanOtherNamespaces(target.ipcNamespace.ok ? target.ipcNamespace.value.inode : undefined, queues.ok ? queues.value.device : undefined)
    : undefined;
  return {
    schemaVersion: 2,
    takenAt: new Date().toISOString(),
    origin: 'live',
    kernel: probeKernel(),
    mqueue: sysctls.mqueue,
    sysv: sysctls.sysv,
    sysvQueues: sysctls.sysvQueues,
    sysctlSource: sysctls.source,
    target,
    queues,
    ...(otherNamespaces ? { otherNamespaces } : {}),
    nativeAddon: nativeStatus(),
    removeIpc: probeRemoveIpc(),
  };
}
