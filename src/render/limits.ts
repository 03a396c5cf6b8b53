import { removeIpcWarning } from '../model/remove-ipc.js';
import { HARD_MSGMAX, HARD_MSGSIZEMAX, KERNEL_DEFAULTS, MQ_PRIO_MAX, queueCost } from '../model/cost.js';
import { leakedQueues, notifyState } from '../model/holders.js';
import { asWho, formatAge, holderText } from './holders-text.js';
import { DEFAULT_QUEUE_COLUMNS, type QueueColumn } from './queue-columns.js';
import { analyseLimits, kernelModel } from '../model/limits-analysis.js';
import type { Avail, QueueInfo, Snapshot } from '../snapshot.js';
import { bar, num, rlim, table } from './format.js';
import { whoLine } from './check-text.js';
import { sysvKeyHex as hex } from '../model/units.js';
import { freeBelow, nthFree } from '../model/checks/descriptors.js';
import type { UidCharges } from '../model/charges.js';
import { measurementLines } from './check-text.js';
import { firstK } from '../model/top.js';
import { jsonWithRows } from './json-rows.js';

const show = (v: Avail<number>): string => (v.ok ? num(v.value) : 'unavailable');

/**
 * MQ_PRIO_MAX is the kernel's constant (include/uapi/linux/mqueue.h, 32768 since the
 * mqueue filesystem exists): mq_timedsend answers EINVAL for a priority at or above
 * it, and no sysctl changes it. sysconf(_SC_MQ_PRIO_MAX) only returns libc's own
 * copy of that number (glibc's and musl's are 32768 too), so mq-doctor states the
 * kernel's, the one that decides.
 */
export const MQ_PRIO_MAX_INFO = {
  value: MQ_PRIO_MAX,
  source: 'the kernel constant MQ_PRIO_MAX (include/uapi/linux/mqueue.h): mq_send answers EINVAL for a priority at or above it; not a sysctl',
} as const;

/** The `limits --json` document; schema/limits.schema.json describes it. */
export function limitsDocument(snap: Snapshot) {
  const a = analyseLimits(snap);
  return {
    schemaVersion: 2 as const,
    command: 'limits' as const,
    snapshot: snap,
    usage: a.usage,
    charges: a.uid,
    era: a.era,
    wordBits: a.wordBits,
    mqPrioMax: MQ_PRIO_MAX_INFO,
  };
}

/** The `limits --json` text, in chunks: every queue (of this and of other IPC namespaces) on a line of its own. */
export function limitsJson(snap: Snapshot): Generator<string> {
  const rows = new Set<readonly unknown[]>();
  if (snap.queues.ok) rows.add(snap.queues.value.queues);
  if (snap.otherNamespaces?.ok) for (const ns of snap.otherNamespaces.value.namespaces) if (ns.queues.ok) rows.add(ns.queues.value);
  return jsonWithRows(limitsDocument(snap), rows);
}

/** lsblk --raw (util-linux fputs_nonblank): every byte that is blank, a backslash, a control or not printable ASCII becomes \xNN. */
const utf8 = new TextEncoder();
export function rawEscape(text: string): string {
  let out = '';
  for (const b of utf8.encode(text)) out += b > 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** Aligned output keeps spaces and UTF-8, but a control character must not break the line (lsblk escapes them too). */
const controlEscape = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** UTC, to the second: "2026-11-21T00:00:00Z". */
export const isoSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface RowContext {
  /** The snapshot's takenAt, for IDLE. */
  now: number | null;
  /** report: grouped digits and FULL marks; list: plain integers, for scripts. */
  style: 'report' | 'list';
  /** Escape control characters in names and commands (aligned output); --raw escapes every cell itself. */
  escape: boolean;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * One queue's cells in `cols`: "?" where the value is unknown (or absent from an
 * older recording), "-" where there is none. Names and commands have their control
 * characters escaped. 10,000 queues: shared values are worked out once per row.
 */
export function queueRow(cols: readonly QueueColumn[], q: QueueInfo, charge: number | undefined, c: RowContext): string[] {
  const n = c.style === 'report' ? num : String;
  const a = q.attr.ok ? q.attr.value : undefined;
  const notify = q.notify === undefined ? undefined : notifyState(q.notify);
  const known = notify !== undefined && notify.kind !== 'unknown';
  const row: string[] = new Array(cols.length);
  for (let i = 0; i < cols.length; i++) {
    let v: string;
    switch (cols[i]!) {
      case 'NAME':
        v = c.escape && CONTROL.test(q.name) ? `/${controlEscape(q.name)}` : `/${q.name}`;
        break;
      case 'UID':
        v = String(q.uid);
        break;
      case 'GID':
        v = String(q.gid);
        break;
      case 'MODE':
        v = q.mode.toString(8).padStart(4, '0');
        break;
      case 'MAXMSG':
        v = a ? n(a.maxmsg) : '?';
        break;
      case 'MSGSIZE':
        v = a ? n(a.msgsize) : '?';
        break;
      case 'CURMSGS':
        v = a ? (c.style === 'report' && a.curmsgs === a.maxmsg ? `${n(a.curmsgs)} FULL` : n(a.curmsgs)) : '?';
        break;
      case 'QSIZE':
        v = q.qsize.ok ? n(q.qsize.value) : '?';
        break;
      case 'CHARGED':
        v = charge === undefined ? '?' : n(charge);
        break;
      case 'NOTIFY':
        v = !known ? '?' : notify.kind === 'none' ? '-' : notify.method;
        break;
      case 'SIGNO':
        v = !known ? '?' : notify.kind === 'registered' && notify.method === 'signal' ? String(notify.signo) : '-';
        break;
      case 'NOTIFY_PID':
        v = !known ? '?' : notify.kind === 'none' ? '-' : notify.pid !== null ? String(notify.pid) : '?';
        break;
      case 'MTIME':
        v = q.mtimeMs === undefined ? '?' : isoSecond(q.mtimeMs);
        break;
      case 'IDLE':
        v = q.mtimeMs === undefined || c.now === null ? '?' : formatAge(Math.max(0, c.now - q.mtimeMs));
        break;
      case 'HOLDERS': {
        const h = q.holders;
        v = h === undefined ? '?' : h.length === 0 ? '-' : h.map((x) => (x.command !== null ? `${x.pid}(${x.command})` : String(x.pid))).join(',');
        if (c.escape && CONTROL.test(v)) v = controlEscape(v);
        break;
      }
    }
    row[i] = v;
  }
  return row;
}

export interface QueueListOptions {
  columns: readonly QueueColumn[];
  headings: boolean;
  raw: boolean;
}

/**
 * `limits -o … / --noheadings / --raw`: the queue list alone, as lsipc prints one.
 * Aligned, or with --raw one space between values and every blank or
 * non-printable byte escaped; numbers are plain integers either way.
 */
export function renderQueueList(snap: Snapshot, opts: QueueListOptions, context?: LimitsContext): { text: string; problem: string | null } {
  if (!snap.queues.ok) {
    const definite = limitsDefinite(snap, context);
    return { text: '', problem: `${snap.queues.reason}${definite ? `; to read them: ${definite}` : ''}` };
  }
  const a = analyseLimits(snap);
  const taken = Date.parse(snap.takenAt);
  const ctx = { now: Number.isNaN(taken) ? null : taken, style: 'list' as const, escape: !opts.raw };
  const rows: string[][] = [];
  if (opts.headings) rows.push([...opts.columns]);
  for (const q of snap.queues.value.queues) {
    const cells = queueRow(opts.columns, q, a.chargeOf(q), ctx);
    rows.push(opts.raw ? cells.map(rawEscape) : cells);
  }
  if (rows.length === 0) return { text: '', problem: null };
  const lines = opts.raw ? rows.map((r) => r.join(' ')) : table(rows);
  return { text: `${lines.join('\n')}\n`, problem: null };
}

function unavailableNotes(rows: Array<[string, Avail<unknown>]>): string[] {
  return rows.filter(([, v]) => !v.ok).map(([k, v]) => `  ${k}: ${(v as { reason: string }).reason}`);
}

/** The one command that makes an unknown listing known: root reads the namespace without a mount. */
function limitsDefinite(snap: Snapshot, ctx: LimitsContext | undefined): string | undefined {
  const isRoot = ctx?.isRoot ?? (snap.target.self && snap.target.credentials.ok && snap.target.credentials.value.effectiveUid === 0);
  if (isRoot) return 'mount -t mqueue none /dev/mqueue (mq-doctor read it without one where it had CAP_SYS_ADMIN)';
  return `sudo mq-doctor limits${snap.target.self ? ' --pid $$' : ` --pid ${snap.target.pid}`}`;
}

export interface LimitsContext {
  isRoot: boolean;
  /** Every queue in the report; otherwise the TOP_QUEUES largest when there are more. */
  all?: boolean;
}

/** More rows than this and the report shows the largest by charge, and how many it leaves out. */
export const TOP_QUEUES = 20;

/** The target uid's queue memory over every IPC namespace, level by level, and what --measure found. */
function targetChargeLines(c: UidCharges, snap: Snapshot): string[] {
  if (c.uid === null) return [];
  const out: string[] = [];
  c.levels.forEach((l) => {
    const where = l.holders.length
      ? l.holders.map((h) => `${num(h.bytes)}${h.unsized ? '+' : ''} in ${h.own ? 'this IPC namespace' : `IPC namespace ${h.ipcInode}${h.pid !== null ? ` (process ${h.pid}${h.command ? `, ${h.command}` : ''})` : ''}`}`).join(', ')
      : 'nothing visible';
    const head = l.depth === 0 ? `uid ${c.uid} (target), every IPC namespace seen` : `${l.depth} user namespace${l.depth > 1 ? 's' : ''} up (${l.userNs ?? '?'}), uid ${l.uid ?? '?'}`;
    const against = l.limit === 'soft' ? 'against the soft limit' : "against a ceiling /proc does not show (the soft limit when the namespace below was created)";
    out.push(`  ${head}: ${num(l.bytes)} bytes in ${num(l.queues)} queue${l.queues === 1 ? '' : 's'} (${where}), ${against}`);
  });
  if (!c.chainComplete && c.levels.length === 1 && c.levels[0]!.userNs !== null) {
    out.push('  the user namespaces above are not visible from here: each caps this uid again');
  }
  if (c.gaps.length) out.push(`  may be more: ${c.gaps.join('; ')}`);
  if (snap.measurement) out.push(...measurementLines(snap.measurement).map((l) => `  ${l}`));
  else if (c.gaps.length || c.levels.length > 1 || !c.chainComplete) out.push('  --measure asks the kernel, with scratch queues under the uid\'s own credentials');
  return out;
}

/** Other IPC namespaces: how many, how they were read, and whose queues they hold. */
function otherNamespaceLines(snap: Snapshot): string[] {
  const scan = snap.otherNamespaces;
  if (!scan) return [];
  if (!scan.ok) return ['', `Other IPC namespaces: unknown (${scan.reason})`];
  const ns = scan.value.namespaces;
  const out = ['', `Other IPC namespaces: ${ns.length} found (every process's /proc/PID/ns/ipc, and bind mounts)`];
  for (const n of ns) {
    const who = n.pid !== null ? `process ${n.pid}${n.command ? ` (${n.command})` : ''}` : 'a bind mount';
    const queues = n.queues.ok
      ? `${num(n.queues.value.length)} queue${n.queues.value.length === 1 ? '' : 's'}${n.queues.value.length ? ` of uid ${[...new Set(n.queues.value.map((q) => q.uid))].join(', ')}` : ''}`
      : `queues unknown (${n.queues.reason})`;
    const initial = n.inode === 0xefffffff ? ' (the host\'s, initial one)' : '';
    out.push(`  ${n.inode}${initial}  ${who}: ${queues}${n.queues.ok ? `, read through ${n.via}` : ''}`);
  }
  return out;
}

export function renderLimitsText(snap: Snapshot, definite_?: LimitsContext): string {
  const a = analyseLimits(snap);
  const { era, wordBits, usage, defaultQueueCost, chargeOf } = a;
  const D = KERNEL_DEFAULTS;
  const m = snap.mqueue;
  const t = snap.target;
  const out: string[] = [`mq-doctor limits for ${whoLine(snap)}`];
  const caps = t.capabilities.ok
    ? `CAP_SYS_RESOURCE ${t.capabilities.value.sysResource ? 'yes' : t.capabilities.value.sysResourceInOwnNs ? 'only in its own user namespace (does not count)' : 'no'}`
    : `capabilities unavailable (${t.capabilities.reason})`;
  out.push(`${caps}; cost rules: ${era.basis} (${era.costFormula === 'tree' ? 'msg_msg + tree nodes' : 'pointer per message'}, ${wordBits}-bit)`);
  if (t.ipcNamespace.ok && !t.ipcNamespace.value.initial) {
    out.push(`Private IPC namespace: these fs.mqueue values started from the kernel defaults (${D.msg_max} / ${D.msgsize_max} / ${D.queues_max}), not from the host.`);
  }

  out.push('', `POSIX queues: fs.mqueue, read from ${snap.sysctlSource}`);
  out.push(
    ...table([
      ['  msg_max', show(m.msg_max), `largest mq_maxmsg without CAP_SYS_RESOURCE (hard cap ${num(HARD_MSGMAX)})`],
      ['  msgsize_max', show(m.msgsize_max), `largest mq_msgsize (hard cap ${num(HARD_MSGSIZEMAX)})`],
      ['  msg_default', show(m.msg_default), 'mq_maxmsg for attr NULL (capped by msg_max)'],
      ['  msgsize_default', show(m.msgsize_default), 'mq_msgsize for attr NULL (capped by msgsize_max)'],
      ['  queues_max', show(m.queues_max), 'queues in this IPC namespace, all users'],
    ]),
  );
  out.push(`  MQ_PRIO_MAX      ${num(MQ_PRIO_MAX)} priorities, 0 to ${num(MQ_PRIO_MAX - 1)} (mq_send: EINVAL at or above); a kernel constant, not a sysctl`);
  if (usage.queuesInUse !== undefined && m.queues_max.ok) {
    out.push(`  queues in use    ${num(usage.queuesInUse)}/${num(m.queues_max.value)}  ${bar(usage.queuesInUse, m.queues_max.value)}`);
  } else if (usage.queuesInUse === undefined) {
    // Said once, with the one command that makes it known; the sections below only refer to it.
    out.push(`  queues in use    ${usage.unknownReason}`);
    const definite = limitsDefinite(snap, definite_);
    if (definite) out.push(`                   to read them: ${definite}`);
  } else {
    out.push('  queues in use    unknown: queues_max unavailable');
  }

  const ml = t.rlimitMsgqueue;
  out.push('', `RLIMIT_MSGQUEUE (bytes of queue memory charged per uid): ${ml.ok ? `soft ${rlim(ml.value.value.soft)}, hard ${rlim(ml.value.value.hard)} from ${ml.value.source}` : `unavailable (${ml.reason})`}`);
  const me = t.credentials.ok ? t.credentials.value.realUid : undefined;
  out.push(...targetChargeLines(a.uid, snap));
  if (usage.queuesInUse === undefined) {
    out.push('  in this IPC namespace: unknown (see queues in use above)');
  } else if (usage.byUid.length === 0) {
    out.push(`  no queues: nothing is charged${me !== undefined ? ` to uid ${me}` : ''}`);
  }
  for (const u of usage.byUid) {
    const lower = u.unknownQueues === 0 ? '' : u.unknownQueues === u.queues ? ' (unknown: none could be sized)' : ` (at least: ${u.unknownQueues} unsized)`;
    const mine = u.uid === me && ml.ok && ml.value.value.soft !== 'unlimited';
    const gauge = mine ? ` of ${num(ml.value.value.soft as number)}  ${bar(u.bytes, ml.value.value.soft as number)}` : '';
    out.push(`  uid ${u.uid}${u.uid === me ? ' (target)' : ''}: ${num(u.queues)} queue${u.queues === 1 ? '' : 's'}, charged ${num(u.bytes)} bytes${lower}${gauge}`);
  }
  out.push(`  a default queue (${D.msg_default} × ${D.msgsize_default}) costs ${num(defaultQueueCost)} bytes`);
  const removal = removeIpcWarning(snap, usage.byUid.map((u) => u.uid));
  if (removal) out.push(`  WARNING: ${removal}`);

  if (snap.queues.ok && snap.queues.value.queues.length > 0) {
    out.push('', `Queues in ${snap.queues.value.mountPath}`);
    const taken = Date.parse(snap.takenAt);
    const ctx = { now: Number.isNaN(taken) ? null : taken, style: 'report' as const, escape: true };
    const rows = [DEFAULT_QUEUE_COLUMNS.map((c, i) => (i === 0 ? `  ${c}` : c))];
    const all = snap.queues.value.queues;
    const shown = definite_?.all || all.length <= TOP_QUEUES ? all : largest(all, chargeOf, TOP_QUEUES);
    if (shown !== all) out[out.length - 1] += `: the ${TOP_QUEUES} largest by charge of ${num(all.length)}`;
    for (const q of shown) {
      const row = queueRow(DEFAULT_QUEUE_COLUMNS, q, chargeOf(q), ctx);
      row[0] = `  ${row[0]}`;
      rows.push(row);
    }
    out.push(...table(rows));
    if (shown !== all) {
      const rest = all.length - shown.length;
      const bytes = all.reduce((n, q) => n + (chargeOf(q) ?? 0), 0) - shown.reduce((n, q) => n + (chargeOf(q) ?? 0), 0);
      out.push(`  … and ${num(rest)} more, charged ${num(bytes)} bytes together: mq-doctor limits --all, or the list alone: mq-doctor limits -o NAME,UID,CHARGED`);
    }
    const unsized = snap.queues.value.queues.find((q) => !q.attr.ok);
    if (unsized && !unsized.attr.ok) out.push(`  ? = ${unsized.attr.reason}`);
    out.push(...holderLines(snap));
  }

  const nf = t.rlimitNofile;
  out.push('', 'Descriptors (mq_open takes one; EMFILE when none is left)');
  out.push(`  RLIMIT_NOFILE soft ${nf.ok ? rlim(nf.value.value.soft) : 'unavailable'}, hard ${nf.ok ? rlim(nf.value.value.hard) : 'unavailable'}; ${descriptorsText(t.descriptors, nf)}`);

  out.push(...otherNamespaceLines(snap));
  out.push(...sysvLines(snap));

  const missing = unavailableNotes([
    ['kernel release', snap.kernel.release],
    ['word size', snap.kernel.wordBits],
    ['fs.mqueue.msg_default', m.msg_default],
    ['fs.mqueue.msgsize_default', m.msgsize_default],
    ['libc', t.libc],
    ['System V queues', snap.sysvQueues],
    ['native addon', snap.nativeAddon],
  ]);
  if (missing.length) out.push('', 'Unavailable:', ...missing);
  return `${out.join('\n')}\n`;
}


/** Below the queue table: how holders were looked for, queues unlinked but still open, and the probably leaked ones with their removal. */
function holderLines(snap: Snapshot): string[] {
  if (!snap.queues.ok) return [];
  const scan = snap.queues.value.holderScan;
  // An older recording, or a probe that did not ask: the columns say "?", nothing more to say.
  if (scan === undefined) return [];
  if (!scan.ok) return [`  HOLDERS ? = ${scan.reason}`];
  const out: string[] = [];
  const notify = snap.queues.value.queues.find((q) => q.notify && !q.notify.ok);
  if (notify?.notify && !notify.notify.ok) out.push(`  NOTIFY_PID ? = ${notify.notify.reason}`);
  out.push(`  holders: every process's descriptors (${num(scan.value.processes)} processes, ${num(scan.value.descriptors)} descriptors)`);
  for (const g of scan.value.gaps) out.push(`  holders may be missing: ${g}`);
  const { era, wordBits } = kernelModel(snap);
  for (const u of scan.value.unlinked) {
    const size = u.attr.ok ? `${num(queueCost(u.attr.value.maxmsg, u.attr.value.msgsize, era, wordBits).bytes)} bytes` : 'size unknown';
    out.push(`  unlinked but still open (counted until closed): inode ${u.ino}, uid ${u.uid}, ${size}, held by ${u.holders.map(holderText).join(', ')}`);
  }
  const LIMIT = 10;
  const leaked = leakedQueues(snap, LIMIT);
  if (leaked.count === 0) return out;
  const seen = scan.value.gaps.length ? 'no process seen has it open (but see "may be missing" above)' : 'no process has it open';
  out.push(`  Probably leaked (${seen}, no notification registered): ${num(leaked.count)}${leaked.count > LIMIT ? `, the ${LIMIT} idle longest:` : ''}`);
  for (const f of leaked.first) {
    const rm = f.leak!.removal;
    const unsure = f.notify.kind === 'unknown' ? '; its notification could not be read' : '';
    out.push(`    /${controlEscape(f.name)}: ${rm.shell ?? rm.call}   (${asWho(rm.asUid)}${f.idleMs !== null ? `; idle ${formatAge(f.idleMs)}` : ''}${unsure})`);
  }
  if (leaked.count > LIMIT) out.push(`    … and ${num(leaked.count - LIMIT)} more (mq-doctor limits -o NAME,UID,IDLE,HOLDERS lists every queue)`);
  return out;
}

/** Open descriptors and the lowest free numbers: mq_open takes the lowest, and fails only when it is not below the soft limit. */
function descriptorsText(d: Snapshot['target']['descriptors'], nf: Snapshot['target']['rlimitNofile']): string {
  if (!d.ok) return `descriptors unavailable (${d.reason})`;
  const { open, maybe } = d.value;
  const soft = nf.ok ? nf.value.value.soft : undefined;
  const used = new Set([...open, ...maybe]);
  const free = typeof soft === 'number' ? freeBelow(used, soft) : undefined;
  const high = open[open.length - 1];
  const parts = [`${num(open.length)} open${high !== undefined && high >= open.length ? ` (highest ${high})` : ''}`];
  if (maybe.length) parts.push(`${maybe.length} perhaps (${maybe.join(', ')}; not launched through the mq-doctor command)`);
  if (free !== undefined) parts.push(`${num(free)} free number${free === 1 ? '' : 's'} below the soft limit${free > 0 ? `, the next is ${nthFree(used, 1)}` : ''}`);
  return `descriptors: ${parts.join('; ')} (${d.value.source})`;
}

/** What `ipcs -l` and `ipcs -u` show for message queues, plus each queue's fill. */
function sysvLines(snap: Snapshot): string[] {
  const s = snap.sysv;
  const q = snap.sysvQueues;
  const out = ['', 'System V queues: kernel.msg* (no rlimit applies)'];
  const inUse = q.ok ? q.value.length : null;
  out.push(...table([
    ['  msgmax', show(s.msgmax), 'largest message (msgsnd: EINVAL above it)'],
    ['  msgmnb', show(s.msgmnb), 'msg_qbytes of a new queue: its bytes and its messages'],
    ['  msgmni', show(s.msgmni), `queues per IPC namespace (msgget: ENOSPC at it)${inUse !== null && s.msgmni.ok ? `; in use ${num(inUse)} ${bar(inUse, s.msgmni.value)}` : ''}`],
  ]));
  if (!q.ok || q.value.length === 0) return out;
  const bytes = q.value.reduce((n, x) => n + x.bytes, 0);
  const messages = q.value.reduce((n, x) => n + x.messages, 0);
  out.push(`  in use: ${num(q.value.length)} queue(s), ${num(messages)} message(s), ${num(bytes)} bytes`);
  const rows: string[][] = [['  key', 'msqid', 'owner', 'perms', 'messages', 'bytes / msg_qbytes']];
  for (const x of q.value) {
    const fill = x.qbytes.ok ? `${num(x.bytes)} / ${num(x.qbytes.value)} ${bar(Math.max(x.bytes, x.messages), x.qbytes.value)}` : `${num(x.bytes)} / unknown`;
    rows.push([`  ${hex(x.key)}`, String(x.msqid), String(x.uid), `0${x.mode.toString(8)}`, num(x.messages), fill]);
  }
  out.push(...table(rows));
  return out;
}

/** The n queues charged most (unsized ones last), largest first, by name among equals. */
function largest(queues: QueueInfo[], chargeOf: (q: QueueInfo) => number | undefined, n: number): QueueInfo[] {
  const charge = (q: QueueInfo) => chargeOf(q) ?? -1;
  return firstK(queues, n, (a, b) => charge(b) - charge(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
