// The only entry point that reads the system. Nothing here runs at import time.
import { closeSync, openSync } from 'node:fs';
import { type Avail, type MqueueSysctls, type QueueListing, type Snapshot, type SysvSysctls, unavailable } from '../snapshot.js';
import { probeKernel } from './kernel.js';
import { loadNative, nativeStatus } from './native.js';
import { namespaceOf, PROC_IPC_INIT_INO, processExists, probeProcess } from './process.js';
import { errorReason } from './procfs.js';
import { probeQueues } from './queues.js';
import { probeMqueueSysctls, probeSysvSysctls } from './sysctls.js';
import { probeSysvQueues, type SysvQueue } from './sysv.js';

export interface ProbeOptions {
  /** Another process to diagnose; defaults to mq-doctor's own environment. */
  pid?: number;
  /** Read each System V queue's msg_qbytes (msgctl through the addon). */
  sysvQbytes?: boolean;
}

export class NoSuchProcess extends Error {}

export interface NamespaceView {
  inode: number;
  /** The initial (host) IPC namespace. */
  initial: boolean;
  /** The process it was seen through; undefined for mq-doctor's own namespace. */
  pid: number | undefined;
  mqueue: MqueueSysctls;
  sysv: SysvSysctls;
  queues: Avail<QueueListing>;
  sysvQueues: Avail<SysvQueue[]>;
}

/**
 * One IPC namespace as the daemon sees it: sysctls and System V queues from
 * inside it (setns for another one), POSIX queues through its mqueue mount.
 */
export function probeNamespace(inode: number, initial: boolean, pid: number | undefined): NamespaceView {
  const s = pid === undefined ? readOwnNamespace('/proc/sys (this IPC namespace)', true) : sysctlsOfNamespace(pid, true);
  return { inode, initial, pid, mqueue: s.mqueue, sysv: s.sysv, sysvQueues: s.sysvQueues, queues: probeQueues(pid, loadNative) };
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
  const fail = (why: string): Sysctls => {
    const reason = `process ${pid} is in another IPC namespace and ${why}`;
    return { mqueue: allUnavailable(MQUEUE_KEYS, reason), sysv: allUnavailable(SYSV_KEYS, reason), source, sysvQueues: unavailable(reason) };
  };
  const addon = loadNative();
  if (!addon.ok) return fail(`entering it needs setns: ${addon.reason}`);
  const { setns, constants } = addon.value;
  let own: number | undefined;
  let theirs: number | undefined;
  try {
    own = openSync('/proc/self/ns/ipc', 'r');
    theirs = openSync(`/proc/${pid}/ns/ipc`, 'r');
  } catch (err) {
    if (own !== undefined) closeSync(own);
    return fail(`its namespace cannot be opened (${errorReason(err)})`);
  }
  try {
    const entered = setns(theirs, constants.CLONE_NEWIPC);
    if (!entered.ok) return fail(`setns into it failed (${entered.errno}: needs CAP_SYS_ADMIN)`);
    try {
      return readOwnNamespace(source, sysvQbytes);
    } finally {
      const back = setns(own, constants.CLONE_NEWIPC);
      // Staying in the wrong namespace would silently corrupt every later read.
      if (!back.ok) throw new Error(`cannot return to mq-doctor's own IPC namespace (${back.errno})`);
    }
  } finally {
    closeSync(own);
    closeSync(theirs);
  }
}

export function probeSnapshot(opts: ProbeOptions = {}): Snapshot {
  const { pid, sysvQbytes = false } = opts;
  if (pid !== undefined && !processExists(pid)) throw new NoSuchProcess(`no process with pid ${pid}`);
  const target = probeProcess(pid);
  const ownIpc = pid === undefined ? target.ipcNamespace : namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
  const sameNamespace =
    pid === undefined ||
    (ownIpc.ok && target.ipcNamespace.ok && ownIpc.value.inode === target.ipcNamespace.value.inode);
  const sysctls: Sysctls = sameNamespace ? readOwnNamespace('/proc/sys (this IPC namespace)', sysvQbytes) : sysctlsOfNamespace(pid!, sysvQbytes);
  const queues = probeQueues(pid, loadNative);
  return {
    schemaVersion: 1,
    takenAt: new Date().toISOString(),
    origin: 'live',
    kernel: probeKernel(),
    mqueue: sysctls.mqueue,
    sysv: sysctls.sysv,
    sysvQueues: sysctls.sysvQueues,
    sysctlSource: sysctls.source,
    target,
    queues,
    nativeAddon: nativeStatus(),
  };
}
