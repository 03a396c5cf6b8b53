// One probe of everything the daemon reports. Each failure is recorded and
// counted, never thrown: a queue unlinked mid-scan or a process that exits is
// an ordinary event on a busy host.
import { probeKernel } from '../probe/kernel.js';
import { type NamespaceView, probeNamespace } from '../probe/index.js';
import { msgqueueLimitOf, type ProcessSeen, scanProcesses } from '../probe/namespaces.js';
import { namespaceOf, PROC_IPC_INIT_INO } from '../probe/process.js';
import { loadNative, type MqDirCache } from '../probe/native.js';
import type { RlimValue } from '../snapshot.js';
import type { WatchSnapshot } from './analyse.js';

export interface CollectOptions {
  allNamespaces: boolean;
  /**
   * What the last probe read of each namespace's queues (by namespace inode),
   * kept by the daemon from one probe to the next: an idle queue then costs
   * one stat. Namespaces no longer seen leave it.
   */
  queueCaches?: Map<number, MqDirCache>;
}

function cacheFor(caches: Map<number, MqDirCache> | undefined, inode: number, seen: Set<number>): MqDirCache | undefined {
  seen.add(inode);
  const lib = loadNative();
  if (!caches || !lib.ok || !lib.value.mqDirCache) return undefined;
  let c = caches.get(inode);
  if (c === undefined) caches.set(inode, (c = lib.value.mqDirCache()));
  return c;
}

/** Processes per uid whose limits are read: enough to find the usual one, bounded on busy hosts. */
const LIMIT_SAMPLES_PER_UID = 3;

export async function collect(opts: CollectOptions): Promise<Omit<WatchSnapshot, 'drift'>> {
  const started = process.hrtime.bigint();
  const errors: WatchSnapshot['errors'] = [];
  const own = namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
  const namespaces: NamespaceView[] = [];
  const seen = new Set<number>();
  // The queues are read on libuv threads: the processes are scanned meanwhile.
  const ownView = own.ok ? probeNamespace(own.value.inode, own.value.initial, undefined, cacheFor(opts.queueCaches, own.value.inode, seen)) : undefined;
  const scan = scanProcesses(loadNative());
  if (ownView) namespaces.push(await ownView);
  else if (!own.ok) errors.push({ kind: 'namespace', message: own.reason });

  const processes: ProcessSeen[] = scan.ok ? scan.value.processes : [];
  if (!scan.ok) errors.push({ kind: 'process', message: scan.reason });

  if (opts.allNamespaces) {
    const byInode = new Map<number, number[]>();
    for (const p of processes) {
      if (own.ok && p.ipcInode === own.value.inode) continue;
      byInode.set(p.ipcInode, [...(byInode.get(p.ipcInode) ?? []), p.pid]);
    }
    for (const [inode, pids] of byInode) {
      // Any process shows the namespace's sysctls; the queues need one with an mqueue mount.
      let view: NamespaceView | undefined;
      for (const pid of pids.slice(0, 3)) {
        view = await probeNamespace(inode, inode === PROC_IPC_INIT_INO, pid, cacheFor(opts.queueCaches, inode, seen));
        if (view.queues.ok) break;
      }
      if (!view) continue;
      namespaces.push(view);
      if (!view.queues.ok) errors.push({ kind: 'queue', message: `namespace ${inode}: ${view.queues.reason}` });
    }
  }
  for (const inode of opts.queueCaches?.keys() ?? []) if (!seen.has(inode)) opts.queueCaches!.delete(inode);
  for (const ns of namespaces) {
    if (!ns.mqueue.queues_max.ok) errors.push({ kind: 'sysctl', message: `namespace ${ns.inode}: ${ns.mqueue.queues_max.reason}` });
    if (ns.queues.ok && ns.queues.value.unreadable > 0) errors.push({ kind: 'queue', message: `namespace ${ns.inode}: ${ns.queues.value.unreadable} queue(s) could not be read` });
  }

  // RLIMIT_MSGQUEUE is per process; the charge is per uid: report the smallest limit among the uid's processes.
  const owners = new Set<number>();
  for (const ns of namespaces) if (ns.queues.ok) for (const uid of ns.queues.value.uid) owners.add(uid);
  const uidLimits: Record<string, RlimValue> = {};
  for (const uid of owners) {
    for (const p of processes.filter((x) => x.realUid === uid).slice(0, LIMIT_SAMPLES_PER_UID)) {
      const lim = msgqueueLimitOf(p.pid);
      if (!lim.ok) {
        errors.push({ kind: 'rlimit', message: lim.reason });
        continue;
      }
      const cur = uidLimits[uid];
      const soft = lim.value.soft;
      if (cur === undefined || cur === 'unlimited' || (soft !== 'unlimited' && soft < cur)) uidLimits[uid] = soft;
    }
  }
  return {
    takenAt: new Date().toISOString(),
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    kernel: probeKernel(),
    namespaces,
    uidLimits,
    errors,
  };
}
