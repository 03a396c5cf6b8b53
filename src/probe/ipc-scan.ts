// Every IPC namespace on the machine, as far as mq-doctor can see: RLIMIT_MSGQUEUE
// is charged per (user namespace, uid) and summed over all of them, so a uid's
// queues in another container count against the same budget. Namespaces are
// found through /proc/*/ns/ipc (deduplicated by inode) and through bind mounts of
// namespace files in mq-doctor's own mount namespace; each one's queues are read
// through a detached mount after setns (exactly that namespace), or else through
// a process's /proc/PID/root mount. What cannot be found at all is listed as a
// gap; a namespace found but not read carries its reason: either way the model
// then never calls an RLIMIT check certain.
import { readdirSync, readlinkSync } from 'node:fs';
import { type Avail, type ForeignNamespace, type NamespaceScan, type QueueListing, type UserNamespaceInfo, have, unavailable } from '../snapshot.js';
import { PROC_PID_INIT_INO, PROC_USER_INIT_INO } from './initial-ns.js';
import { loadNative } from './native.js';
import { errorReason, parseKeyValues, readText } from './procfs.js';
import { findMqueueMount, listDetachedAt, parseMountinfo, probeQueues } from './queues.js';
import { ipcOwnerChain } from './userns.js';

// CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_ADMIN: reading every process's
// namespaces, and setns + a detached mount into each of them.
const SEE_EVERYTHING = [2n, 19n, 21n];

interface Found {
  inode: number;
  /** Where to open the namespace: /proc/PID/ns/ipc or a bind mount of it. */
  path: string;
  pid: number | null;
}

/** nsfs bind mounts of IPC namespaces (`unshare --ipc=FILE`): they keep a namespace alive with no process in it. */
export function ipcBindMounts(mountinfo: string): Array<{ inode: number; mountPoint: string }> {
  const out: Array<{ inode: number; mountPoint: string }> = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    const m = /^ipc:\[(\d+)\]$/.exec(f[3] ?? '');
    if (sep > 0 && f[sep + 1] === 'nsfs' && m) out.push({ inode: Number(m[1]), mountPoint: f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) });
  }
  return out;
}

function privilegeGap(): string | undefined {
  const status = readText('/proc/self/status');
  const capEff = status.ok ? parseKeyValues(status.value).get('CapEff') : undefined;
  let userInitial = false;
  try {
    userInitial = readlinkSync('/proc/self/ns/user') === `user:[${PROC_USER_INIT_INO}]`;
  } catch {
    // unreadable: treat as not initial
  }
  const eff = capEff && /^[0-9a-f]+$/i.test(capEff) ? BigInt(`0x${capEff}`) : 0n;
  if (userInitial && SEE_EVERYTHING.every((b) => ((eff >> b) & 1n) === 1n)) return undefined;
  return 'without CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH in the initial user namespace (root on the host), other users\' processes and their IPC namespaces cannot all be read';
}

/**
 * The IPC namespaces other than `exclude` (the target's own, listed elsewhere),
 * with their queues and the user namespaces that own them.
 */
export function scanOtherNamespaces(exclude: number | undefined, excludeDevice: number | null | undefined): Avail<NamespaceScan> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (err) {
    return unavailable(`cannot list /proc (${errorReason(err)})`);
  }
  const gaps: string[] = [];
  const priv = privilegeGap();
  if (priv) gaps.push(priv);
  try {
    if (readlinkSync('/proc/self/ns/pid') !== `pid:[${PROC_PID_INIT_INO}]`) {
      gaps.push('mq-doctor runs in a PID namespace of its own (a container?): processes outside it, and their IPC namespaces, are not visible');
    }
  } catch (err) {
    gaps.push(`cannot tell mq-doctor's PID namespace (${errorReason(err)})`);
  }
  const found = new Map<number, Found>();
  const unreadable: string[] = [];
  for (const name of entries) {
    if (name.charCodeAt(0) > 57 || name.charCodeAt(0) < 48) continue;
    let link: string;
    try {
      link = readlinkSync(`/proc/${name}/ns/ipc`);
    } catch (err) {
      // ENOENT: exited (or a zombie, which holds no namespace).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        const comm = readText(`/proc/${name}/comm`);
        unreadable.push(comm.ok ? `${name} (${comm.value.trim()})` : name);
      }
      continue;
    }
    const inode = Number(link.slice(5, -1));
    if (inode !== exclude && !found.has(inode)) found.set(inode, { inode, path: `/proc/${name}/ns/ipc`, pid: Number(name) });
  }
  if (unreadable.length > 0) {
    const some = unreadable.slice(0, 3).join(', ') + (unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : '');
    gaps.push(`the IPC namespace${unreadable.length === 1 ? '' : 's'} of process${unreadable.length === 1 ? '' : 'es'} ${some} cannot be read`);
  }
  const mountinfo = readText('/proc/self/mountinfo');
  for (const b of mountinfo.ok ? ipcBindMounts(mountinfo.value) : []) {
    if (b.inode !== exclude && !found.has(b.inode)) found.set(b.inode, { inode: b.inode, path: b.mountPoint, pid: null });
  }

  const namespaces: ForeignNamespace[] = [];
  const userNamespaces = new Map<number, UserNamespaceInfo>();
  // One superblock per IPC namespace: a device seen twice is a mount that
  // outlived an unshare and shows some other namespace's queues.
  const devices = new Map<number, number>();
  if (excludeDevice !== undefined && excludeDevice !== null && exclude !== undefined) devices.set(excludeDevice, exclude);
  for (const f of found.values()) {
    const owner = ipcOwnerChain(f.path, f.inode);
    if (owner.ok) for (const u of owner.value) if (!userNamespaces.has(u.inode)) userNamespaces.set(u.inode, u);
    const listing = readForeign(f, devices);
    const command = f.pid === null ? null : readText(`/proc/${f.pid}/comm`);
    const ns: ForeignNamespace = {
      inode: f.inode,
      pid: f.pid,
      command: command && command.ok ? command.value.trim() : null,
      ownerUserNs: owner.ok ? have(owner.value[0]!.inode) : owner,
      via: listing.ok ? listing.value.mountPath : 'not read',
      queues: listing.ok
        ? have(listing.value.queues.map((q) => ({ name: q.name, uid: q.uid, attr: q.attr.ok ? have({ maxmsg: q.attr.value.maxmsg, msgsize: q.attr.value.msgsize }) : q.attr })))
        : listing,
    };
    namespaces.push(ns);
  }
  return have({ namespaces, userNamespaces: [...userNamespaces.values()], gaps });
}

function readForeign(f: Found, devices: Map<number, number>): Avail<QueueListing> {
  const which = f.pid === null ? `the IPC namespace bind-mounted at ${f.path}` : `process ${f.pid}'s IPC namespace`;
  let listing = listDetachedAt({ path: f.path, which }, loadNative);
  if (!listing.ok && f.pid !== null) {
    // Unprivileged: the process's own mount may still show them.
    const mountinfo = readText(`/proc/${f.pid}/mountinfo`);
    const viaMount = mountinfo.ok && findMqueueMount(parseMountinfo(mountinfo.value)) ? probeQueues(f.pid, loadNative) : undefined;
    if (viaMount?.ok) listing = viaMount;
  }
  if (!listing.ok) return listing;
  const dev = listing.value.device;
  if (dev !== undefined && dev !== null) {
    const seen = devices.get(dev);
    if (seen !== undefined && seen !== f.inode) {
      return unavailable(`its mqueue mount ${listing.value.mountPath} shows IPC namespace ${seen}'s queues (mounted before an unshare)`);
    }
    devices.set(dev, f.inode);
  }
  return listing;
}
