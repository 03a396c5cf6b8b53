// Pure: what the daemon knows after one probe, and what changed since the last
// one. Only changes are logged; the metrics show the rest.
import { kernelModel } from '../model/limits-analysis.js';
import { queueCharge } from '../model/usage.js';
import type { NamespaceView } from '../probe/index.js';
import type { KernelInfo, RlimValue } from '../snapshot.js';

export const PROBE_ERROR_KINDS = ['namespace', 'queue', 'sysctl', 'rlimit', 'process'] as const;
export type ProbeErrorKind = (typeof PROBE_ERROR_KINDS)[number];

export interface WatchSnapshot {
  takenAt: string;
  durationMs: number;
  kernel: KernelInfo;
  namespaces: NamespaceView[];
  /** The smallest soft RLIMIT_MSGQUEUE among each uid's processes seen, by uid. */
  uidLimits: Record<string, RlimValue>;
  errors: Array<{ kind: ProbeErrorKind; message: string }>;
  /** Per profile key: below the profile (true) or not; null without --profile. */
  drift: Record<string, boolean> | null;
}

export interface QueueStat {
  name: string;
  messages: number | null;
  maxMessages: number | null;
  bytes: number | null;
}

export interface NamespaceStat {
  inode: number;
  initial: boolean;
  queuesInUse: number | null;
  queuesMax: number | null;
  sysctls: Record<string, number>;
  queues: QueueStat[];
  /** qbytes: the queue's msg_qbytes; null when msgctl could not read it. */
  sysv: Array<{ key: number; msqid: number; bytes: number; messages: number; qbytes: number | null }>;
}

export interface UidStat {
  uid: number;
  chargedBytes: number;
  /** Queues whose size could not be read: chargedBytes is then a lower bound. */
  unsized: number;
  limit: number | null;
}

export interface Analysis {
  namespaces: NamespaceStat[];
  uids: UidStat[];
  errorsByKind: Partial<Record<ProbeErrorKind, number>>;
  drift: Record<string, boolean> | null;
}

export function analyse(w: WatchSnapshot): Analysis {
  const { era, wordBits } = kernelModel(w);
  const uids = new Map<number, UidStat>();
  const namespaces = w.namespaces.map((ns): NamespaceStat => {
    const sysctls: Record<string, number> = {};
    for (const [k, v] of Object.entries(ns.mqueue)) if (v.ok) sysctls[`fs.mqueue.${k}`] = v.value;
    for (const [k, v] of Object.entries(ns.sysv)) if (v.ok) sysctls[`kernel.${k}`] = v.value;
    const listed = ns.queues.ok ? ns.queues.value.queues : [];
    for (const q of listed) {
      // The charge is per uid across every namespace (kernel/ucount.c), so it is summed here.
      const u = uids.get(q.uid) ?? { uid: q.uid, chargedBytes: 0, unsized: 0, limit: null };
      const c = queueCharge(q, era, wordBits);
      if (c === undefined) u.unsized++;
      else u.chargedBytes += c;
      uids.set(q.uid, u);
    }
    return {
      inode: ns.inode,
      initial: ns.initial,
      queuesInUse: ns.queues.ok ? listed.length : null,
      queuesMax: ns.mqueue.queues_max.ok ? ns.mqueue.queues_max.value : null,
      sysctls,
      queues: listed.map((q) => ({
        name: q.name,
        messages: q.attr.ok ? q.attr.value.curmsgs : null,
        maxMessages: q.attr.ok ? q.attr.value.maxmsg : null,
        bytes: q.qsize.ok ? q.qsize.value : null,
      })),
      sysv: ns.sysvQueues.ok ? ns.sysvQueues.value.map((q) => ({ key: q.key, msqid: q.msqid, bytes: q.bytes, messages: q.messages, qbytes: q.qbytes.ok ? q.qbytes.value : null })) : [],
    };
  });
  for (const [uid, limit] of Object.entries(w.uidLimits)) {
    const u = uids.get(Number(uid));
    if (u) u.limit = limit === 'unlimited' ? null : limit;
  }
  const errorsByKind: Analysis['errorsByKind'] = {};
  for (const e of w.errors) errorsByKind[e.kind] = (errorsByKind[e.kind] ?? 0) + 1;
  return { namespaces, uids: [...uids.values()].sort((a, b) => a.uid - b.uid), errorsByKind, drift: w.drift };
}

/** The thresholds operators are told about. */
export const LEVELS = [0.8, 0.95, 1] as const;

export function levelOf(used: number, limit: number | null): number {
  if (limit === null) return 0;
  if (limit <= 0) return used > 0 ? LEVELS.length : 0;
  return LEVELS.filter((l) => used / limit >= l).length;
}

const pct = (level: number) => (level === 0 ? 'below 80%' : `${Math.round(LEVELS[level - 1]! * 100)}%`);

export interface WatchEvent {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

const isFull = (q: QueueStat) => q.messages !== null && q.maxMessages !== null && q.maxMessages > 0 && q.messages >= q.maxMessages;
/** Whether a probe could tell if the queue is full: an unreadable one is neither full nor not full. */
const known = (q: QueueStat) => q.messages !== null && q.maxMessages !== null;

/**
 * What the next probe is compared with: this one, except where it could not
 * tell. A namespace that was not read, or a queue whose attrs could not be
 * read (unlinked mid-scan, busy), keeps its last known state, so a flaky read
 * never logs a queue as full again, or as no longer full, when nothing changed.
 */
export function carryForward(prev: Analysis | null, cur: Analysis): Analysis {
  if (!prev) return cur;
  const curNs = new Map(cur.namespaces.map((n) => [n.inode, n]));
  const namespaces = cur.namespaces.map((ns) => {
    const before = prev.namespaces.find((p) => p.inode === ns.inode);
    if (!before) return ns;
    if (ns.queuesInUse === null) return before;
    const old = new Map(before.queues.map((q) => [q.name, q]));
    return { ...ns, queues: ns.queues.map((q) => (known(q) ? q : (old.get(q.name) ?? q))) };
  });
  for (const ns of prev.namespaces) if (!curNs.has(ns.inode)) namespaces.push(ns);
  return { ...cur, namespaces };
}

/** What changed between two probes: threshold crossings, queues filling up, drift, the probe failing. */
export function transitions(prev: Analysis | null, cur: Analysis): WatchEvent[] {
  const events: WatchEvent[] = [];
  const crossing = (what: string, fields: Record<string, unknown>, before: number, after: number) => {
    if (before === after) return;
    events.push({
      level: after > before ? (after === LEVELS.length ? 'error' : 'warn') : 'info',
      msg: `${what} ${after > before ? 'rose to' : 'fell to'} ${pct(after)}`,
      fields,
    });
  };
  const prevNs = new Map((prev?.namespaces ?? []).map((n) => [n.inode, n]));
  for (const ns of cur.namespaces) {
    const before = prevNs.get(ns.inode);
    if (ns.queuesInUse !== null) {
      const was = before && before.queuesInUse !== null ? levelOf(before.queuesInUse, before.queuesMax) : 0;
      crossing('queues in use of fs.mqueue.queues_max', { namespace: ns.inode, queues: ns.queuesInUse, queues_max: ns.queuesMax }, was, levelOf(ns.queuesInUse, ns.queuesMax));
    }
    // Not read this time: nothing is known to have changed.
    if (ns.queuesInUse === null) continue;
    const wasFull = new Set((before?.queues ?? []).filter(isFull).map((q) => q.name));
    for (const q of ns.queues) {
      if (!known(q)) continue;
      if (isFull(q) && !wasFull.has(q.name)) events.push({ level: 'warn', msg: 'queue is full: senders block or get EAGAIN', fields: { namespace: ns.inode, queue: q.name, messages: q.messages } });
      if (!isFull(q) && wasFull.has(q.name)) events.push({ level: 'info', msg: 'queue is no longer full', fields: { namespace: ns.inode, queue: q.name, messages: q.messages } });
    }
  }
  const prevUid = new Map((prev?.uids ?? []).map((u) => [u.uid, u]));
  for (const u of cur.uids) {
    const before = prevUid.get(u.uid);
    crossing('bytes charged of RLIMIT_MSGQUEUE', { uid: u.uid, charged: u.chargedBytes, limit: u.limit }, before ? levelOf(before.chargedBytes, before.limit) : 0, levelOf(u.chargedBytes, u.limit));
  }
  for (const [key, drifted] of Object.entries(cur.drift ?? {})) {
    const was = prev?.drift?.[key] ?? false;
    if (drifted && !was) events.push({ level: 'warn', msg: 'drift: the live value is below the profile', fields: { key } });
    if (!drifted && was) events.push({ level: 'info', msg: 'drift resolved', fields: { key } });
  }
  const failing = (a: Analysis | null) => Object.values(a?.errorsByKind ?? {}).reduce((n, c) => n + (c ?? 0), 0) > 0;
  if (failing(cur) && !failing(prev)) events.push({ level: 'warn', msg: 'probe started failing', fields: { errors: cur.errorsByKind } });
  if (!failing(cur) && failing(prev)) events.push({ level: 'info', msg: 'probe recovered', fields: {} });
  return events;
}
