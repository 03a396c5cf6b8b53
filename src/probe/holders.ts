// Who holds each queue open: the processes with a /proc/PID/fd entry on the
// queue's inode (same st_dev as the listing's mount, same st_ino). A queue no
// process holds and no one waits on is a leak candidate; a queue still held after
// mq_unlink keeps its queues_max slot and its creator's RLIMIT_MSGQUEUE charge
// until the last descriptor closes, unseen in the mount.
//
// Bounded work: one pass over /proc (one native call with the addon), a time
// budget, unreadable processes skipped and named as gaps. Only run when asked:
// `limits`, or after a prediction failed with ENOSPC or EMFILE.
//
// Never seen: descriptors in flight in a unix socket (SCM_RIGHTS), processes in
// PID namespaces mq-doctor cannot see, and threads with a descriptor table of
// their own. The first two are said as gaps where they can apply.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import {
  type Avail,
  type HolderScan,
  type QueueAttr,
  type QueueHolder,
  type QueueInfo,
  type QueueListing,
  type UnlinkedQueue,
  have,
  unavailable,
} from '../snapshot.js';
import { PROC_PID_INIT_INO } from './initial-ns.js';
import { type NativeAddon, PROC_FD_FIELDS } from './native.js';
import { errorReason, readText } from './procfs.js';
import { queueAttr } from './queues.js';

/** How long the scan may take before it stops and says so (a host with millions of descriptors). */
export const HOLDER_SCAN_BUDGET_MS = 2000;

/** One descriptor on the mount's superblock. */
interface FdMatch {
  pid: number;
  fd: number;
  ino: number;
  uid: number;
  gid: number;
  mode: number;
}

interface RawScan {
  processes: number;
  descriptors: number;
  truncated: boolean;
  matches: FdMatch[];
  /** [pid, errno]: the process's descriptors could not be read; [pid, errno, fd]: only that descriptor's open file. */
  unreadable: Array<[number, string] | [number, string, number]>;
}

function nativeScan(addon: NativeAddon, device: number, budgetMs: number): Avail<RawScan> | undefined {
  if (typeof addon.procFdScan !== 'function') return undefined; // an addon built before it existed
  const r = addon.procFdScan([device], budgetMs);
  if (!r.ok) return unavailable(`cannot list /proc (${r.errno})`);
  const W = PROC_FD_FIELDS.length;
  if (r.width !== W) return undefined;
  const m = r.matches;
  const matches: FdMatch[] = [];
  for (let at = 0; at + W <= m.length; at += W) {
    matches.push({ pid: m[at]!, fd: m[at + 1]!, ino: m[at + 2]!, uid: m[at + 3]!, gid: m[at + 4]!, mode: m[at + 5]! });
  }
  return have({ processes: r.processes, descriptors: r.descriptors, truncated: r.truncated, matches, unreadable: r.unreadable });
}

/** PF_KTHREAD (include/linux/sched.h) in /proc/PID/stat: a kernel thread holds no descriptors. */
const PF_KTHREAD = 0x00200000;

export function kernelThreadFromStat(stat: string): boolean {
  // state ppid pgrp session tty_nr tpgid flags, after the command's closing parenthesis
  const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
  return Number.isInteger(flags) && (flags & PF_KTHREAD) !== 0;
}

function kernelThread(pid: string): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  return stat.ok && kernelThreadFromStat(stat.value);
}

/**
 * Without the addon: readlink every descriptor, and stat only those that can be a
 * queue (a path ending in a listed queue's name, or an unlinked file): stat(2)
 * on a descriptor of a dead network filesystem could wait on its server.
 */
function jsScan(device: number, names: Set<string>, budgetMs: number): Avail<RawScan> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (err) {
    return unavailable(`cannot list /proc (${errorReason(err)})`);
  }
  const started = process.hrtime.bigint();
  const out: RawScan = { processes: 0, descriptors: 0, truncated: false, matches: [], unreadable: [] };
  for (const name of entries) {
    if (name.charCodeAt(0) > 57 || name.charCodeAt(0) < 48) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    if (Number(process.hrtime.bigint() - started) / 1e6 > budgetMs) {
      out.truncated = true;
      break;
    }
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${name}/fd`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH' && !kernelThread(name)) out.unreadable.push([pid, code ?? 'EIO']);
      continue;
    }
    let denied: string | undefined;
    for (const fd of fds) {
      out.descriptors++;
      const path = `/proc/${name}/fd/${fd}`;
      let link: string;
      try {
        link = readlinkSync(path);
      } catch (err) {
        // Closed meanwhile: it holds nothing. EACCES (EPERM) is the process's
        // ptrace check, a directory we may list but descriptors we may not
        // follow: the whole process unread. Anything else (ENAMETOOLONG: a path
        // longer than PATH_MAX) is this descriptor alone.
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code === 'ENOENT') continue;
        if (code === 'EACCES' || code === 'EPERM') {
          denied = code;
          break;
        }
        out.unreadable.push([pid, code, Number(fd)]);
        continue;
      }
      if (link.charCodeAt(0) !== 47) continue; // socket:[…], pipe:[…], anon_inode:…
      const deleted = link.endsWith(' (deleted)');
      const base = (deleted ? link.slice(0, -10) : link).split('/').pop()!;
      if (!deleted && !names.has(base)) continue;
      try {
        const st = statSync(path);
        if (st.dev === device && st.isFile()) out.matches.push({ pid, fd: Number(fd), ino: st.ino, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
      } catch (err) {
        // The link was followed, so the process may be read: this descriptor's open file could not be examined.
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code !== 'ENOENT') out.unreadable.push([pid, code, Number(fd)]); // ENOENT: closed meanwhile
      }
    }
    if (denied === undefined) out.processes++;
    else out.unreadable.push([pid, denied]);
  }
  return have(out);
}

/** Most queues have no holder: they share one empty list. */
const NO_HOLDERS: QueueHolder[] = Object.freeze([]) as unknown as QueueHolder[];

function holdersOf(matches: FdMatch[] | undefined, comm: Map<number, string | null>): QueueHolder[] {
  if (matches === undefined) return NO_HOLDERS;
  const byPid = new Map<number, number[]>();
  for (const m of matches) {
    const fds = byPid.get(m.pid);
    if (fds) fds.push(m.fd);
    else byPid.set(m.pid, [m.fd]);
  }
  return [...byPid.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([pid, fds]) => ({ pid, command: comm.get(pid) ?? null, fds: fds.sort((a, b) => a - b) }));
}

/** mq_getattr of a queue no name leads to any more, through a holder's descriptor. */
function unlinkedAttr(m: FdMatch, addon: Avail<NativeAddon>): Avail<QueueAttr> {
  return queueAttr(`/proc/${m.pid}/fd/${m.fd}`, addon);
}

function pidNamespaceGap(): string | undefined {
  try {
    if (readlinkSync('/proc/self/ns/pid') === `pid:[${PROC_PID_INIT_INO}]`) return undefined;
    return 'mq-doctor runs in a PID namespace of its own (a container?): processes outside it are not visible, nor whether they hold a queue';
  } catch (err) {
    return `cannot tell mq-doctor's PID namespace (${errorReason(err)})`;
  }
}

/** /proc mounted with hidepid= lists only the reader's own processes: the others are not even unreadable, just absent. */
export function hidepidGap(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || f[4] !== '/proc' || f[sep + 1] !== 'proc') continue;
    const hide = /(?:^|,)hidepid=([^,]+)/.exec(f[sep + 3] ?? '')?.[1];
    if (hide !== undefined && hide !== '0' && hide !== 'off') {
      return `/proc is mounted with hidepid=${hide}: other users' processes are not listed, nor whether they hold a queue (root, or the gid= of that mount, sees them)`;
    }
  }
  return undefined;
}

/**
 * The listing with each queue's holders (filled into its queue objects), and what the scan could not see.
 * Queues of a listing without a known device (or without inode numbers: an
 * older recording) cannot be matched: the scan is then unavailable.
 */
export function scanHolders(listing: QueueListing, addon: () => Avail<NativeAddon>, budgetMs = HOLDER_SCAN_BUDGET_MS): QueueListing {
  const device = listing.device;
  if (device === undefined || device === null) {
    return { ...listing, holderScan: unavailable(`the device of ${listing.mountPath} is unknown, so no descriptor can be matched to its queues`) };
  }
  if (listing.queues.some((q) => q.ino === undefined)) {
    return { ...listing, holderScan: unavailable('the queues were listed without their inode numbers') };
  }
  const lib = addon();
  const scan = (lib.ok ? nativeScan(lib.value, device, budgetMs) : undefined) ?? jsScan(device, new Set(listing.queues.map((q) => q.name)), budgetMs);
  if (!scan.ok) return { ...listing, holderScan: scan };
  const s = scan.value;

  const byIno = new Map<number, FdMatch[]>();
  for (const m of s.matches) {
    const ms = byIno.get(m.ino);
    if (ms) ms.push(m);
    else byIno.set(m.ino, [m]);
  }
  const comm = new Map<number, string | null>();
  for (const m of s.matches) {
    if (comm.has(m.pid)) continue;
    const c = readText(`/proc/${m.pid}/comm`);
    comm.set(m.pid, c.ok ? c.value.replace(/\n$/, '') : null);
  }
  // The listing was just read for this scan: its queue objects are filled in place (10,000 copies cost more than the scan).
  const queues: QueueInfo[] = listing.queues;
  // The held inodes that have a name: a few, where a set of every listed inode would hold 10,000.
  const listed = new Set<number>();
  for (const q of queues) {
    const ms = byIno.get(q.ino!);
    if (ms !== undefined) listed.add(q.ino!);
    q.holders = holdersOf(ms, comm);
  }

  const unlinked: UnlinkedQueue[] = [];
  for (const [ino, ms] of byIno) {
    if (listed.has(ino)) continue;
    // Not in the listing: unlinked (the link says so), or created after it was read.
    const first = ms[0]!;
    let link = '';
    try {
      link = readlinkSync(`/proc/${first.pid}/fd/${first.fd}`);
    } catch {
      continue;
    }
    if (!link.endsWith(' (deleted)')) continue;
    unlinked.push({ ino, uid: first.uid, gid: first.gid, mode: first.mode, attr: unlinkedAttr(first, lib), holders: holdersOf(ms, comm) });
  }
  unlinked.sort((a, b) => a.ino - b.ino);

  const gaps: string[] = [];
  // Named: the first five of each kind (a comm read each); counted: all.
  const named = <T>(all: T[], name: (u: T) => string) => `${all.slice(0, 5).map(name).join(', ')}${all.length > 5 ? ` and ${all.length - 5} more` : ''}`;
  const whoIs = (pid: number) => {
    const c = readText(`/proc/${pid}/comm`);
    return `PID ${pid}${c.ok ? ` (${c.value.trim()})` : ''}`;
  };
  const whole = s.unreadable.filter((u) => u.length === 2);
  if (whole.length > 0) {
    const who = named(whole, ([pid, errno]) => `${whoIs(pid)}${errno === 'EACCES' ? '' : `: ${errno}`}`);
    gaps.push(
      `the descriptors of ${whole.length} process${whole.length === 1 ? '' : 'es'} could not be read (${who}): a process of another uid, or with capabilities mq-doctor lacks, can be read only with CAP_SYS_PTRACE over it`,
    );
  }
  const files = s.unreadable.filter((u): u is [number, string, number] => u.length === 3);
  if (files.length > 0) {
    const which = named(files, ([pid, errno, fd]) => `${whoIs(pid)} fd ${fd}: ${errno}`);
    gaps.push(
      `the open files of ${files.length} descriptor${files.length === 1 ? '' : 's'} could not be examined (${which}): a FUSE mount without allow_other refuses even root, and a path longer than PATH_MAX has no name; a queue held there would not be seen`,
    );
  }
  if (s.truncated) gaps.push(`the scan stopped after ${budgetMs} ms with ${s.processes} processes read: the others were not looked at`);
  const pidns = pidNamespaceGap();
  if (pidns) gaps.push(pidns);
  const mountinfo = readText('/proc/self/mountinfo');
  const hidden = mountinfo.ok && process.getuid?.() !== 0 ? hidepidGap(mountinfo.value) : undefined;
  if (hidden) gaps.push(hidden);
  const holderScan: HolderScan = { processes: s.processes, descriptors: s.descriptors, gaps, unlinked };
  return { ...listing, queues, holderScan: have(holderScan) };
}
