// Pure: what the daemon knows after one probe, and what changed since the last
// one. Only changes are logged; the metrics show the rest.
import { kernelModel } from '../model/limits-analysis.js';
import { rowCharge } from '../model/usage.js';
import type { NamespaceView } from '../probe/index.js';
import type { QueueColumns } from '../probe/queue-columns.js';
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

/** One queue as /status shows it. */
export interface QueueStat {
  name: string;
  messages: number | null;
  maxMessages: number | null;
  bytes: number | null;
}

/** The namespace's queues, row by row: names sorted, NaN where a value could not be read. */
export type QueueRows = Pick<QueueColumns, 'count' | 'names' | 'curmsgs' | 'maxmsg' | 'qsize'>;

const orNull = (v: number) => (Number.isNaN(v) ? null : v);
export const queueStat = (q: QueueRows, i: number): QueueStat => ({ name: q.names[i]!, messages: orNull(q.curmsgs[i]!), maxMessages: orNull(q.maxmsg[i]!), bytes: orNull(q.qsize[i]!) });
const NO_QUEUES: QueueRows = { count: 0, names: [], curmsgs: new Float64Array(0), maxmsg: new Float64Array(0), qsize: new Float64Array(0) };

export interface NamespaceStat {
  inode: number;
  initial: boolean;
  queuesInUse: number | null;
  queuesMax: number | null;
  sysctls: Record<string, number>;
  queues: QueueRows;
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
    const rows = ns.queues.ok ? ns.queues.value : null;
    if (rows) {
      for (let i = 0; i < rows.count; i++) {
        // The charge is per uid across every namespace (kernel/ucount.c), so it is summed here.
        const uid = rows.uid[i]!;
        let u = uids.get(uid);
        if (!u) uids.set(uid, (u = { uid, chargedBytes: 0, unsized: 0, limit: null }));
        const c = rowCharge(rows, i, era, wordBits);
        if (c === undefined) u.unsized++;
        else u.chargedBytes += c;
      }
    }
    return {
      inode: ns.inode,
      initial: ns.initial,
      queuesInUse: rows ? rows.count : null,
      queuesMax: ns.mqueue.queues_max.ok ? ns.mqueue.queues_max.value : null,
      sysctls,
      queues: rows ?? NO_QUEUES,
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

const isFull = (q: QueueRows, i: number) => q.maxmsg[i]! > 0 && q.curmsgs[i]! >= q.maxmsg[i]!;
/** Whether a probe could tell if the queue is full: an unreadable one is neither full nor not full. */
const known = (q: QueueRows, i: number) => !Number.isNaN(q.curmsgs[i]!) && !Number.isNaN(q.maxmsg[i]!);

/** Full queues by name: few, whatever the number of queues. */
function fullNames(q: QueueRows): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < q.count; i++) if (isFull(q, i)) out.add(q.names[i]!);
  return out;
}

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
    const q = ns.queues;
    let copy: QueueRows | null = null;
    // Built only when some queue was unreadable; by name, whatever order the rows are in.
    let rowOf: Map<string, number> | null = null;
    for (let i = 0; i < q.count; i++) {
      if (known(q, i)) continue;
      rowOf ??= new Map(before.queues.names.map((name, row) => [name, row]));
      const j = rowOf.get(q.names[i]!);
      if (j === undefined) continue;
      // Copied only when some queue was unreadable: the usual probe shares its columns.
      copy ??= { count: q.count, names: q.names, curmsgs: q.curmsgs.slice(), maxmsg: q.maxmsg.slice(), qsize: q.qsize.slice() };
      copy.curmsgs[i] = before.queues.curmsgs[j]!;
      copy.maxmsg[i] = before.queues.maxmsg[j]!;
      copy.qsize[i] = before.queues.qsize[j]!;
    }
    return copy ? { ...ns, queues: copy } : ns;
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
    const wasFull = before ? fullNames(before.queues) : new Set<string>();
    const q = ns.queues;
    for (let i = 0; i < q.count; i++) {
      if (!known(q, i)) continue;
      const full = isFull(q, i);
      if (full === wasFull.has(q.names[i]!)) continue;
      const fields = { namespace: ns.inode, queue: q.names[i], messages: q.curmsgs[i] };
      events.push(full ? { level: 'warn', msg: 'queue is full: senders block or get EAGAIN', fields } : { level: 'info', msg: 'queue is no longer full', fields });
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
