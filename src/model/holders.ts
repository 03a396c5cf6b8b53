// Who holds the limit, once mq_open failed (or would fail) with ENOSPC or EMFILE:
// pure, from a snapshot whose queues were read with holders (probe option
// `holders`).
//
// ENOSPC: the IPC namespace's queues reached fs.mqueue.queues_max (all uids
//   count, and so do queues unlinked but still open).
// EMFILE (queue memory, not descriptors): the creator uid's RLIMIT_MSGQUEUE
//   charge, summed over every IPC namespace; here, its queues largest first.
//
// A queue that no process has open and on which no notification is registered
// is "probably leaked": nobody can be using it now (a notification is removed
// when its process closes any descriptor of the queue, so a registration implies
// a holder). It may still be opened again later by name: that is why it is only
// probably, and why its idle time is shown. Removing it frees its slot and its
// charge at once (no descriptor keeps it alive); its queued messages are lost.
import type { Avail, QueueHolder, QueueInfo, QueueListing, QueueNotify, RlimValue, Snapshot } from '../snapshot.js';
import { queueCost } from './cost.js';
import { queueCharge } from './usage.js';
import { kernelModel } from './limits-analysis.js';
import { firstK } from './top.js';

export type HoldersErrno = 'ENOSPC' | 'EMFILE';

export interface HoldersOptions {
  errno: HoldersErrno;
  /** EMFILE: the uid whose charge to explain; default the target's real uid (the kernel charges the creator's real uid). */
  uid?: number;
}

/** mq_notify as the queue file shows it. */
export type NotifyState =
  | { kind: 'none' }
  /** pid null: the registered process lies outside mq-doctor's PID namespace (the file then shows 0). */
  | { kind: 'registered'; method: 'signal' | 'none' | 'thread'; signo: number | null; pid: number | null }
  | { kind: 'unknown'; reason: string };

/** How to remove a queue. The mqueue root directory is sticky: only its owner or root (CAP_FOWNER) may unlink it. */
export interface Removal {
  /** e.g. `rm /dev/mqueue/orders`, through the mount the queue was listed from; null when it was read without one (a detached mount). */
  shell: string | null;
  /** e.g. `mq_unlink("/orders")`, from a process in the queue's IPC namespace. */
  call: string;
  /** The uid that must run it (the owner), or root. */
  asUid: number;
  /** mq_unlink must run in this process's IPC namespace (e.g. nsenter --ipc --target PID); null: mq-doctor's own. */
  ipcNamespaceOfPid: number | null;
}

export interface LeakVerdict {
  removal: Removal;
  /** Why it could still be in use: a holder the scan could not see, an unreadable notification. Empty: nothing visible holds it. */
  caveats: string[];
}

export interface QueueFinding {
  /** Without the leading slash, as in the snapshot. */
  name: string;
  uid: number;
  gid: number;
  mode: number;
  attr: { maxmsg: number; msgsize: number; curmsgs: number } | null;
  /** The kernel's RLIMIT_MSGQUEUE charge (queueCost); null when the attrs could not be read. */
  charge: number | null;
  /** st_mtime: created, or the last message sent or received, whichever is later (the kernel keeps no creation time). */
  lastUsedMs: number | null;
  /** Since lastUsedMs, at the snapshot's takenAt. */
  idleMs: number | null;
  notify: NotifyState;
  /** null: holders were not looked for. */
  holders: QueueHolder[] | null;
  /** Set when no process holds it open and no notification is registered. */
  leak: LeakVerdict | null;
}

/** A queue unlinked but still open: counted (slot and charge) until its last holder closes it. */
export interface UnlinkedFinding {
  ino: number;
  uid: number;
  charge: number | null;
  holders: QueueHolder[];
}

export type HolderSearch = { ok: true; processes: number; gaps: string[] } | { ok: false; reason: string };

interface HoldersCommon {
  /** Where the queues were listed (a path, or how they were read without one). */
  mountPath: string;
  /** How the holders were looked for; without it no queue is called leaked. */
  search: HolderSearch;
  /** Probably leaked, in the order of `queues`. */
  leaked: QueueFinding[];
  unlinked: UnlinkedFinding[];
}

export type HoldersResult =
  | { kind: 'unknown'; errno: HoldersErrno; reason: string }
  | (HoldersCommon & {
      kind: 'enospc';
      errno: 'ENOSPC';
      queuesMax: number | null;
      /** Queues in the mount, plus those unlinked but still open: what the kernel counts, as far as seen. */
      inUse: number;
      /** Every uid's share of the slots, most first. */
      byUid: Array<{ uid: number; queues: number; leaked: number }>;
      /** Every queue of the namespace: probably leaked first, then the longest idle. */
      queues: QueueFinding[];
    })
  | (HoldersCommon & {
      kind: 'emfile';
      errno: 'EMFILE';
      uid: number;
      /** The target's soft RLIMIT_MSGQUEUE when `uid` is the target's; null otherwise or unknown. */
      soft: RlimValue | null;
      /** Charged to `uid` by its queues here, listed or unlinked but still open (the sized ones), and how many could not be sized. */
      charged: number;
      unsized: number;
      /** The same uid's queues in the other IPC namespaces seen (not analysed further here). */
      elsewhere: { namespaces: number; queues: number; bytes: number; unsized: number };
      /** The uid's queues here, largest charge first. */
      queues: QueueFinding[];
      /** Bytes the probably leaked ones are charged: what removing them frees. */
      freeable: number;
    });

const METHODS = ['signal', 'none', 'thread'] as const;

/** Shared: the leak search asks this of every queue in a listing of 10,000. */
const NOT_REGISTERED: NotifyState = Object.freeze({ kind: 'none' });

export function notifyState(n: Avail<QueueNotify> | undefined): NotifyState {
  if (n === undefined) return { kind: 'unknown', reason: 'the queue file was not read (holders were not asked for)' };
  if (!n.ok) return { kind: 'unknown', reason: n.reason };
  const { notify, signo, pid } = n.value;
  if (notify === 0 && signo === 0 && pid === 0) return NOT_REGISTERED;
  return { kind: 'registered', method: METHODS[notify] ?? 'signal', signo: notify === 0 ? signo : null, pid: pid > 0 ? pid : null };
}

/** A word shells leave alone, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A C string literal: printable ASCII as it is, the rest as octal escapes. */
export function cString(s: string): string {
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += c === '"' || c === '\\' ? `\\${c}` : b >= 0x20 && b < 0x7f ? c : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

export function removalOf(snap: Snapshot, mountPath: string, name: string, uid: number): Removal {
  return {
    shell: mountPath.startsWith('/') ? `rm ${shellWord(`${mountPath}/${name}`)}` : null,
    call: `mq_unlink(${cString(`/${name}`)})`,
    asUid: uid,
    ipcNamespaceOfPid: snap.target.self ? null : snap.target.pid,
  };
}

function finding(snap: Snapshot, model: ReturnType<typeof kernelModel>, mountPath: string, q: QueueInfo, gaps: string[] | null, now: number | null): QueueFinding {
  const { era, wordBits } = model;
  const attr = q.attr.ok ? q.attr.value : null;
  const notify = notifyState(q.notify);
  const holders = q.holders ?? null;
  let leak: LeakVerdict | null = null;
  // Without a holder search, nothing can be called leaked.
  if (holders !== null && gaps !== null && holders.length === 0 && notify.kind !== 'registered') {
    const caveats = [...gaps];
    if (notify.kind === 'unknown') caveats.push(`its notification could not be read (${notify.reason})`);
    leak = { removal: removalOf(snap, mountPath, q.name, q.uid), caveats };
  }
  const lastUsedMs = q.mtimeMs ?? null;
  return {
    name: q.name,
    uid: q.uid,
    gid: q.gid,
    mode: q.mode,
    attr,
    charge: attr ? queueCost(attr.maxmsg, attr.msgsize, era, wordBits).bytes : null,
    lastUsedMs,
    idleMs: lastUsedMs !== null && now !== null ? Math.max(0, now - lastUsedMs) : null,
    notify,
    holders,
    leak,
  };
}

const byName = (a: QueueFinding, b: QueueFinding) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function searchOf(listing: { holderScan?: QueueListing['holderScan'] }): HolderSearch {
  const scan = listing.holderScan;
  if (scan === undefined) return { ok: false, reason: 'holders were not looked for' };
  return scan.ok ? { ok: true, processes: scan.value.processes, gaps: scan.value.gaps } : { ok: false, reason: scan.reason };
}

const nowOf = (snap: Snapshot): number | null => {
  const t = Date.parse(snap.takenAt);
  return Number.isNaN(t) ? null : t;
};

/**
 * The probably leaked queues alone, for a listing of 10,000: how many, and the
 * `limit` idle the longest, without a finding for every queue.
 */
export function leakedQueues(snap: Snapshot, limit: number): { count: number; first: QueueFinding[] } {
  if (!snap.queues.ok) return { count: 0, first: [] };
  const listing = snap.queues.value;
  const search = searchOf(listing);
  if (!search.ok) return { count: 0, first: [] };
  const candidates = listing.queues.filter((q) => q.holders !== undefined && q.holders.length === 0 && notifyState(q.notify).kind !== 'registered');
  const model = kernelModel(snap);
  const now = nowOf(snap);
  const first = firstK(candidates, limit, (a, b) => (a.mtimeMs ?? Infinity) - (b.mtimeMs ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((q) => finding(snap, model, listing.mountPath, q, search.gaps, now));
  return { count: candidates.length, first };
}

/**
 * Who holds the limit behind an ENOSPC (queue slots) or an EMFILE (the uid's queue memory).
 * The EMFILE of an exhausted RLIMIT_NOFILE is not about queues: do not call this for it.
 */
export function holdersReport(snap: Snapshot, opts: HoldersOptions): HoldersResult {
  const { errno } = opts;
  if (!snap.queues.ok) return { kind: 'unknown', errno, reason: snap.queues.reason };
  const listing = snap.queues.value;
  const scan = listing.holderScan;
  const search = searchOf(listing);
  const gaps = search.ok ? search.gaps : null;
  const now = nowOf(snap);
  const model = kernelModel(snap);
  const { era, wordBits } = model;
  const all = listing.queues.map((q) => finding(snap, model, listing.mountPath, q, gaps, now));
  const unlinkedAll: UnlinkedFinding[] = scan?.ok
    ? scan.value.unlinked.map((u) => ({
        ino: u.ino,
        uid: u.uid,
        charge: queueCharge(u, era, wordBits) ?? null,
        holders: u.holders,
      }))
    : [];

  if (errno === 'ENOSPC') {
    // Probably leaked first (what can go now), then the longest idle.
    const queues = [...all].sort((a, b) => Number(b.leak !== null) - Number(a.leak !== null) || (b.idleMs ?? -1) - (a.idleMs ?? -1) || byName(a, b));
    const uids = new Map<number, { uid: number; queues: number; leaked: number }>();
    for (const f of all) {
      const u = uids.get(f.uid) ?? { uid: f.uid, queues: 0, leaked: 0 };
      u.queues++;
      if (f.leak) u.leaked++;
      uids.set(f.uid, u);
    }
    for (const f of unlinkedAll) {
      const u = uids.get(f.uid) ?? { uid: f.uid, queues: 0, leaked: 0 };
      u.queues++;
      uids.set(f.uid, u);
    }
    const qm = snap.mqueue.queues_max;
    return {
      kind: 'enospc',
      errno,
      mountPath: listing.mountPath,
      search,
      queuesMax: qm.ok ? qm.value : null,
      inUse: all.length + unlinkedAll.length,
      byUid: [...uids.values()].sort((a, b) => b.queues - a.queues || a.uid - b.uid),
      queues,
      leaked: queues.filter((f) => f.leak !== null),
      unlinked: unlinkedAll,
    };
  }

  const cred = snap.target.credentials;
  const uid = opts.uid ?? (cred.ok ? cred.value.realUid : undefined);
  if (uid === undefined) return { kind: 'unknown', errno, reason: `whose queue memory to explain is unknown (${cred.ok ? 'no uid' : cred.reason})` };
  const mine = all.filter((f) => f.uid === uid).sort((a, b) => (b.charge ?? -1) - (a.charge ?? -1) || byName(a, b));
  const elsewhere = { namespaces: 0, queues: 0, bytes: 0, unsized: 0 };
  const other = snap.otherNamespaces;
  if (other?.ok) {
    for (const ns of other.value.namespaces) {
      if (!ns.queues.ok) continue;
      const theirs = ns.queues.value.filter((q) => q.uid === uid);
      if (theirs.length === 0) continue;
      elsewhere.namespaces++;
      for (const q of theirs) {
        elsewhere.queues++;
        const charge = queueCharge(q, era, wordBits);
        if (charge === undefined) elsewhere.unsized++;
        else elsewhere.bytes += charge;
      }
    }
  }
  const rl = snap.target.rlimitMsgqueue;
  const leaked = mine.filter((f) => f.leak !== null);
  const unlinked = unlinkedAll.filter((u) => u.uid === uid);
  return {
    kind: 'emfile',
    errno,
    mountPath: listing.mountPath,
    search,
    uid,
    soft: cred.ok && cred.value.realUid === uid && rl.ok ? rl.value.value.soft : null,
    charged: mine.reduce((n, f) => n + (f.charge ?? 0), 0) + unlinked.reduce((n, u) => n + (u.charge ?? 0), 0),
    unsized: mine.filter((f) => f.charge === null).length + unlinked.filter((u) => u.charge === null).length,
    elsewhere,
    queues: mine,
    leaked,
    unlinked,
    freeable: leaked.reduce((n, f) => n + (f.charge ?? 0), 0),
  };
}
