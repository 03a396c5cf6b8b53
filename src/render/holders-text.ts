// Text for holdersReport() (src/model/holders.ts): who holds the queue slots
// behind an ENOSPC, or the uid's queue memory behind an EMFILE, which queues are
// probably leaked and the exact command that removes each. The check report
// calls it after a failed prediction; `limits` uses its pieces for the queue list.
import type { HoldersResult, QueueFinding, UnlinkedFinding } from '../model/holders.js';
import type { QueueHolder } from '../snapshot.js';
import { num } from './format.js';

export interface HoldersTextOptions {
  /** Queues listed one by one (probably leaked ones first); the rest are counted. Default 10. */
  limit?: number;
  /** Prefix of every line. Default two spaces. */
  indent?: string;
}

/** 93784000 → "1d2h", 125000 → "2m5s", 4000 → "4s": the two largest units (the second left out when 0). */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}d${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m${sec}s` : `${m}m`;
  return `${sec}s`;
}

/** "4242 (app) fd 5", "4242 (app) fds 5,6". */
export function holderText(h: QueueHolder): string {
  return `${h.pid}${h.command !== null ? ` (${h.command})` : ''} fd${h.fds.length === 1 ? '' : 's'} ${h.fds.join(',')}`;
}

/** Names as one line each: control characters escaped, as lsblk does. */
const safe = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function notifyText(f: QueueFinding): string | undefined {
  const n = f.notify;
  if (n.kind !== 'registered') return undefined;
  const what = n.method === 'signal' ? `signal ${n.signo ?? '?'}` : n.method === 'thread' ? 'a thread (SIGEV_THREAD)' : 'nothing (SIGEV_NONE)';
  return `mq_notify: ${what} to ${n.pid !== null ? `process ${n.pid}` : 'a process outside this PID namespace'}`;
}

function queueLine(f: QueueFinding): string {
  const parts = [`uid ${f.uid}`];
  parts.push(f.charge !== null ? `${num(f.charge)} bytes (${num(f.attr!.maxmsg)} × ${num(f.attr!.msgsize)})` : 'size unknown');
  if (f.attr && f.attr.curmsgs > 0) parts.push(`${num(f.attr.curmsgs)} message${f.attr.curmsgs === 1 ? '' : 's'} queued`);
  if (f.idleMs !== null) parts.push(`idle ${formatAge(f.idleMs)}`);
  if (f.holders && f.holders.length > 0) parts.push(`held by ${f.holders.map(holderText).join(', ')}`);
  else if (f.holders && !f.leak) parts.push('held by no process seen');
  const n = notifyText(f);
  if (n) parts.push(n);
  return `/${safe(f.name)}: ${parts.join(', ')}`;
}

/** Who may unlink a queue: the mqueue root directory is sticky, so its owner or root. */
export const asWho = (uid: number) => (uid === 0 ? 'as root' : `as uid ${uid} (its owner) or root`);

/** The removal of one probably leaked queue, on the lines after it (the search's own gaps are said once, below the list). */
function removalLines(f: QueueFinding, pad: string, said: ReadonlySet<string>): string[] {
  const r = f.leak!.removal;
  const who = asWho(r.asUid);
  const out: string[] = [];
  if (r.shell) out.push(`${pad}remove: ${r.shell}   (${who})`);
  const where = r.ipcNamespaceOfPid !== null ? ` in process ${r.ipcNamespaceOfPid}'s IPC namespace (nsenter --ipc --target ${r.ipcNamespaceOfPid})` : '';
  out.push(`${pad}${r.shell ? 'or' : 'remove'}: ${r.call}${where}${r.shell ? '' : `   (${who})`}`);
  if (f.attr && f.attr.curmsgs > 0) out.push(`${pad}its ${num(f.attr.curmsgs)} queued message${f.attr.curmsgs === 1 ? ' is' : 's are'} lost with it`);
  for (const c of f.leak!.caveats) if (!said.has(c)) out.push(`${pad}unless it is in use after all: ${c}`);
  return out;
}

function unlinkedLines(us: UnlinkedFinding[], pad: string): string[] {
  if (us.length === 0) return [];
  const out = [`${pad}Unlinked but still open (each counts until its last holder closes it; no name removes it):`];
  for (const u of us) {
    out.push(`${pad}  inode ${u.ino}, uid ${u.uid}, ${u.charge !== null ? `${num(u.charge)} bytes` : 'size unknown'}: held by ${u.holders.map(holderText).join(', ')}`);
  }
  return out;
}

function queueList(queues: QueueFinding[], limit: number, pad: string, said: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const f of queues.slice(0, limit)) {
    out.push(`${pad}  ${queueLine(f)}${f.leak ? '  PROBABLY LEAKED' : ''}`);
    if (f.leak) out.push(...removalLines(f, `${pad}      `, said));
  }
  if (queues.length > limit) {
    const moreLeaked = queues.slice(limit).filter((f) => f.leak).length;
    out.push(`${pad}  … and ${num(queues.length - limit)} more${moreLeaked ? ` (${num(moreLeaked)} of them probably leaked)` : ''}: mq-doctor limits lists them all`);
  }
  return out;
}

function searchLines(r: Exclude<HoldersResult, { kind: 'unknown' }>, pad: string): string[] {
  if (!r.search.ok) return [`${pad}Holders unknown (${r.search.reason}): no queue is called leaked`];
  return r.search.gaps.map((g) => `${pad}May miss holders: ${g}`);
}

/**
 * The report as lines (no trailing newline), each starting with `indent`. A queue
 * is called probably leaked only when the holders were looked for.
 */
export function renderHoldersText(r: HoldersResult, opts: HoldersTextOptions = {}): string[] {
  const pad = opts.indent ?? '  ';
  const limit = opts.limit ?? 10;
  if (r.kind === 'unknown') return [`${pad}Who holds the ${r.errno === 'ENOSPC' ? 'queue slots' : 'queue memory'}: unknown (${r.reason})`];
  const leakedNote = r.leaked.length
    ? `${num(r.leaked.length)} probably leaked (no process has it open, no notification registered)`
    : 'none probably leaked';
  const out: string[] = [];
  if (r.kind === 'enospc') {
    const of = r.queuesMax !== null ? ` of queues_max ${num(r.queuesMax)}` : '';
    out.push(`${pad}Who holds the queue slots (ENOSPC): ${num(r.inUse)}${of} in use in this IPC namespace, all uids counted; ${leakedNote}`);
    const shares = r.byUid.map((u) => `uid ${u.uid} ${num(u.queues)}${u.leaked ? ` (${num(u.leaked)} probably leaked)` : ''}`);
    if (shares.length) out.push(`${pad}  by uid: ${shares.join(', ')}`);
    if (r.leaked.length) out.push(`${pad}  removing the probably leaked ones frees ${num(r.leaked.length)} slot${r.leaked.length === 1 ? '' : 's'} at once`);
  } else {
    const soft = r.soft === null ? '' : `, soft RLIMIT_MSGQUEUE ${r.soft === 'unlimited' ? 'unlimited' : num(r.soft)}`;
    out.push(`${pad}Who holds uid ${r.uid}'s queue memory (EMFILE${soft}): ${num(r.queues.length)} queue${r.queues.length === 1 ? '' : 's'} here, ${num(r.charged)} bytes${r.unsized ? ` (+${num(r.unsized)} unsized)` : ''}; ${leakedNote}`);
    const e = r.elsewhere;
    if (e.queues) out.push(`${pad}  and ${num(e.queues)} queue${e.queues === 1 ? '' : 's'}, ${num(e.bytes)} bytes${e.unsized ? ` (+${num(e.unsized)} unsized)` : ''}, in ${num(e.namespaces)} other IPC namespace${e.namespaces === 1 ? '' : 's'} (charged to the same uid)`);
    if (r.leaked.length) out.push(`${pad}  removing the probably leaked ones frees ${num(r.freeable)} bytes at once`);
  }
  out.push(...queueList(r.queues, limit, pad, new Set(r.search.ok ? r.search.gaps : [])));
  out.push(...unlinkedLines(r.unlinked, `${pad}  `));
  out.push(...searchLines(r, `${pad}  `));
  return out;
}
