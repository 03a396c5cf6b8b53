import { closeSync, constants, fstatSync, opendirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import {
  type Avail,
  type QueueAttr,
  type QueueInfo,
  type QueueListing,
  type QueueNotify,
  have,
  unavailable,
} from '../snapshot.js';
import { MQ_DIR_FIELDS, type NativeAddon } from './native.js';
import { errorReason, readText } from './procfs.js';
import { inIpcNamespace } from './setns.js';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** Mount points in /proc/PID/mountinfo escape space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 5 || fields.length < sep + 2) continue;
    out.push({ mountPoint: unescapeMountPath(fields[4]!), fsType: fields[sep + 1]! });
  }
  return out;
}

/** The mqueue mount to list; /dev/mqueue when there are several. */
export function findMqueueMount(mounts: MountEntry[]): string | undefined {
  const mq = mounts.filter((m) => m.fsType === 'mqueue');
  return (mq.find((m) => m.mountPoint === '/dev/mqueue') ?? mq[mq.length - 1])?.mountPoint;
}

export function parseQsize(text: string): number | undefined {
  const m = /QSIZE:(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** "QSIZE:n NOTIFY:n SIGNO:n NOTIFY_PID:n", as ipc/mqueue.c prints it (padded with spaces). */
export function parseQueueFile(text: string): { qsize: number; notify: QueueNotify } | undefined {
  const m = /^QSIZE:(\d+)\s+NOTIFY:(-?\d+)\s+SIGNO:(-?\d+)\s+NOTIFY_PID:(-?\d+)\s*$/.exec(text);
  return m ? { qsize: Number(m[1]), notify: { notify: Number(m[2]), signo: Number(m[3]), pid: Number(m[4]) } } : undefined;
}

/** What probeQueues reads besides the listing. */
export interface QueueReadOptions {
  /** Read each queue file for NOTIFY, SIGNO and NOTIFY_PID (one more read(2) per queue; it moves the file's ctime). */
  details?: boolean;
}

/** mq_getattr through a path that opens a queue: a file of an mqueue mount, or a holder's /proc/PID/fd entry. */
export function queueAttr(path: string, addon: Avail<NativeAddon>): Avail<QueueAttr> {
  if (!addon.ok) return unavailable(`maxmsg/msgsize need mq_getattr: ${addon.reason}`);
  let fd: number;
  try {
    // open(2) on a file of an mqueue mount yields a queue descriptor, and
    // opening an existing queue charges nothing.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return unavailable(`cannot open ${path} (${errorReason(err)})`);
  }
  try {
    const r = addon.value.mqGetattr(fd);
    return r.ok
      ? have({ maxmsg: r.maxmsg, msgsize: r.msgsize, curmsgs: r.curmsgs })
      : unavailable(`mq_getattr on ${path} failed (${r.errno})`);
  } finally {
    closeSync(fd);
  }
}

function probeQueue(dir: string, name: string, addon: Avail<NativeAddon>, details: boolean): QueueInfo | undefined {
  const path = `${dir}/${name}`;
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined; // unlinked between readdir and stat: it no longer counts
  }
  let qsize: Avail<number>;
  let notify: Avail<QueueNotify>;
  try {
    const text = readFileSync(path, 'latin1');
    const f = parseQueueFile(text);
    const q = f?.qsize ?? parseQsize(text);
    qsize = q === undefined ? unavailable(`no QSIZE in ${path}`) : have(q);
    notify = f ? have(f.notify) : unavailable(`no NOTIFY, SIGNO and NOTIFY_PID in ${path}`);
  } catch (err) {
    qsize = unavailable(`cannot read ${path} (${errorReason(err)})`);
    notify = qsize as Avail<never>;
  }
  return {
    name,
    uid: st.uid,
    gid: st.gid,
    mode: st.mode & 0o7777,
    qsize,
    attr: queueAttr(path, addon),
    ino: st.ino,
    mtimeMs: Math.floor(st.mtimeMs),
    ctimeMs: Math.floor(st.ctimeMs),
    ...(details ? { notify } : {}),
  };
}

/**
 * A mount shows the queues of the IPC namespace it was mounted in: after
 * `unshare --ipc` without a fresh mount, /dev/mqueue still shows the host's.
 * mq_open() by name (no O_CREAT: nothing is created or charged) always acts
 * in our own namespace, so the same inode on both sides proves the mount is ours.
 */
export function mountIsOwnNamespace(dir: string, names: string[], addon: Avail<NativeAddon>): Avail<boolean> {
  if (!addon.ok) return unavailable(`cannot verify the mount's IPC namespace: ${addon.reason}`);
  const { mqOpen, mqClose, constants: c } = addon.value;
  for (const name of names.slice(0, 8)) {
    const r = mqOpen(`/${name}`, c.O_RDONLY | c.O_NONBLOCK, 0, null);
    if (!r.ok && r.errno === 'ENOENT') {
      // Unlinked since the listing (queues come and go): that proves nothing. Still
      // in the mount but not in our namespace: the mount is another namespace's.
      let stillThere = false;
      try {
        statSync(`${dir}/${name}`);
        stillThere = true;
      } catch {
        stillThere = false;
      }
      if (stillThere) return have(false);
      continue;
    }
    if (!r.ok) continue; // e.g. EACCES: try a queue we may open
    try {
      const viaName = fstatSync(r.fd);
      const viaMount = statSync(`${dir}/${name}`);
      return have(viaName.dev === viaMount.dev && viaName.ino === viaMount.ino);
    } catch (err) {
      return unavailable(`cannot verify the mount's IPC namespace (${errorReason(err)})`);
    } finally {
      mqClose(r.fd);
    }
  }
  return unavailable('cannot verify the mount\'s IPC namespace: none of its queues could be opened');
}

/**
 * Lists the queues of the target's IPC namespace through its mqueue mount.
 * For another process the mount is reached through /proc/PID/root, so a
 * container's queues are read from the host. Without a usable mount, a
 * privileged caller reads them through a detached mount of the namespace.
 */
export function probeQueues(pid: number | undefined, addon: () => Avail<NativeAddon>, opts: QueueReadOptions = {}): Avail<QueueListing> {
  const viaMount = listThroughMount(pid, addon, opts);
  if (viaMount.ok || !viaMount.noMount) return viaMount.ok ? have(viaMount.value) : unavailable(viaMount.reason);
  const detached = listDetached(pid, addon, opts);
  if (detached.ok) return detached;
  return unavailable(`queue usage unknown: ${viaMount.reason}, and ${detached.reason}`);
}

type MountListing = { ok: true; value: QueueListing } | { ok: false; reason: string; noMount: boolean };

/** The mqueue mount through which the target's queues are listed: its own, or reached through /proc/PID/root. */
export type MountDir = { ok: true; dir: string } | { ok: false; reason: string; noMount: true };

export function mqueueDirOf(pid: number | undefined): MountDir {
  const key = pid === undefined ? 'self' : String(pid);
  const mountinfo = readText(`/proc/${key}/mountinfo`);
  if (!mountinfo.ok) return { ok: false, reason: mountinfo.reason, noMount: true };
  const mountPoint = findMqueueMount(parseMountinfo(mountinfo.value));
  if (!mountPoint) {
    return { ok: false, noMount: true, reason: `no mqueue filesystem is mounted${pid === undefined ? '' : ` in process ${pid}'s mount namespace`}` };
  }
  return { ok: true, dir: pid === undefined ? mountPoint : `/proc/${pid}/root${mountPoint}` };
}

export const foreignMount = (dir: string) => `the mqueue mount at ${dir} belongs to another IPC namespace (mounted before an unshare or setns)`;

function listThroughMount(pid: number | undefined, addon: () => Avail<NativeAddon>, opts: QueueReadOptions): MountListing {
  const at = mqueueDirOf(pid);
  if (!at.ok) return at;
  const { dir } = at;
  const listed = listDir(dir, addon, opts);
  if (!listed.ok) return { ok: false, reason: `queue usage unknown: ${listed.reason}`, noMount: false };
  const queues = listed.value;
  if (pid === undefined && queues.length > 0) {
    const own = mountIsOwnNamespace(dir, queues.map((q) => q.name), addon());
    if (own.ok && !own.value) return { ok: false, noMount: true, reason: foreignMount(dir) };
  }
  return { ok: true, value: { mountPath: dir, queues, device: deviceOf(dir) } };
}

/** One directory of an mqueue mount: the addon reads it in one call; without it, stat and read per queue. */
export function listDir(dir: string, addon: () => Avail<NativeAddon>, opts: QueueReadOptions): Avail<QueueInfo[]> {
  // One entry tells whether there is anything to read: only then is the addon
  // loaded, and the listing itself is read once, by whichever path reads the queues.
  let empty: boolean;
  try {
    const d = opendirSync(dir);
    try {
      empty = d.readSync() === null;
    } finally {
      d.closeSync();
    }
  } catch (err) {
    return cannotList(dir, err);
  }
  if (empty) return have([]);
  const lib = addon();
  const details = opts.details === true;
  if (lib.ok) {
    const r = readAllNative(dir, lib.value, details);
    if (r !== STALE_ADDON) return r;
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    return cannotList(dir, err);
  }
  return have(names.sort().map((n) => probeQueue(dir, n, lib, details)).filter((q): q is QueueInfo => q !== undefined));
}

/**
 * The namespace's queues through a mount nobody else sees (fsopen + fsmount,
 * attached nowhere): the system is left exactly as it was.
 */
export function listDetached(pid: number | undefined, addon: () => Avail<NativeAddon>, opts: QueueReadOptions = {}): Avail<QueueListing> {
  return listDetachedAt(pid === undefined ? undefined : { path: `/proc/${pid}/ns/ipc`, which: `process ${pid}'s IPC namespace` }, addon, opts);
}

/** The same for an IPC namespace file (a process's, or a bind mount); undefined: mq-doctor's own namespace. */
export function listDetachedAt(ns: { path: string; which: string } | undefined, addon: () => Avail<NativeAddon>, opts: QueueReadOptions = {}): Avail<QueueListing> {
  const lib = addon();
  if (!lib.ok) return unavailable(`reading the queues without a mount needs the native addon (${lib.reason})`);
  const fd = detachedMountFd(ns, lib.value);
  if (!fd.ok) return fd;
  try {
    const r = listDir(`/proc/self/fd/${fd.value}`, () => lib, opts);
    return r.ok ? have({ mountPath: DETACHED_MOUNT, queues: r.value, device: fstatSync(fd.value).dev }) : r;
  } finally {
    closeSync(fd.value);
  }
}

/** A descriptor of a fresh mqueue mount of the namespace (ours when ns is undefined), attached nowhere; the caller closes it. */
export function detachedMountFd(ns: { path: string; which: string } | undefined, lib: NativeAddon): Avail<number> {
  const mount = (): Avail<number> => {
    const m = lib.mqueueMount();
    return m.ok ? have(m.fd) : unavailable(`a detached mqueue mount was refused (${m.errno}: it needs CAP_SYS_ADMIN)`);
  };
  return ns === undefined ? mount() : inIpcNamespace(ns.path, ns.which, 'a detached mqueue mount', mount);
}

export const DETACHED_MOUNT = 'a detached mqueue mount (attached nowhere, gone when mq-doctor exits)';

function deviceOf(dir: string): number | null {
  try {
    return statSync(dir).dev;
  } catch {
    return null;
  }
}

const cannotList = (dir: string, err: unknown) => unavailable<never>(`queue usage unknown: cannot list ${dir} (${errorReason(err)})`);

/** readAllNative's answer when the addon predates its columns: the caller reads queue by queue instead. */
const STALE_ADDON = unavailable<never>('the native addon is older than its JavaScript side (rebuild it: node native/getrlimit/build.mjs)');

/**
 * Values most queues share, made once: every object of a 10,000-queue listing
 * survives until exit, so each one a queue does not allocate is one the young
 * generation does not copy (scavenges were 35 of the 140 ms `limits` spent
 * over `node -e 0` at that size, and 9 ms once these were shared). Frozen,
 * since many queues hold the same one.
 */
const NOTHING_QUEUED: Avail<number> = Object.freeze(have(0));
const NOT_REGISTERED: Avail<QueueNotify> = Object.freeze(have(Object.freeze({ notify: 0, signo: 0, pid: 0 })));

/** The addon reads the whole mount in one call: 10,000 queues in tens of milliseconds. */
function readAllNative(dir: string, addon: NativeAddon, details: boolean): Avail<QueueInfo[]> {
  const r = addon.mqReadDir(dir, details);
  if (!r.ok) return unavailable(`queue usage unknown: cannot list ${dir} (${r.errno})`);
  const W = MQ_DIR_FIELDS.length;
  if (r.width !== W || r.fields.length !== r.count * W) return STALE_ADDON;
  const names = r.count > 0 ? r.names.split('\0') : [];
  const errnoOf = new Map(r.errors);
  const f = r.fields;
  const queues: QueueInfo[] = [];
  // Queues an application makes come in runs of one size (and the rows are in name order): one attr object per run.
  let attr: Avail<QueueAttr> | undefined;
  for (let i = 0; i < r.count; i++) {
    const at = i * W;
    const errno = errnoOf.get(i);
    // Unlinked while being read: gone, not unreadable.
    if (Number.isNaN(f[at]) || errno === 'ENOENT') continue;
    const qsize = f[at + 3]!;
    const maxmsg = f[at + 4]!, msgsize = f[at + 5]!, curmsgs = f[at + 6]!;
    if (Number.isNaN(maxmsg)) attr = unavailable(`cannot open ${dir}/${names[i]} (${errno ?? 'unknown'})`);
    else if (!attr?.ok || attr.value.maxmsg !== maxmsg || attr.value.msgsize !== msgsize || attr.value.curmsgs !== curmsgs) {
      attr = Object.freeze(have(Object.freeze({ maxmsg, msgsize, curmsgs })));
    }
    // Every field in one literal: a property added later would give each of 10,000 objects a second backing store.
    queues.push({
      name: names[i]!,
      uid: f[at]!,
      gid: f[at + 1]!,
      mode: f[at + 2]!,
      qsize: Number.isNaN(qsize) ? unavailable(`cannot read ${dir}/${names[i]} (${errno ?? 'no QSIZE'})`) : qsize === 0 ? NOTHING_QUEUED : have(qsize),
      attr,
      ino: f[at + 7]!,
      mtimeMs: f[at + 8]!,
      ctimeMs: f[at + 9]!,
      notify: details ? notifyAt(f, at, () => `cannot read ${dir}/${names[i]} (${errno ?? 'no NOTIFY, SIGNO and NOTIFY_PID in it'})`) : undefined,
      holders: undefined,
    });
  }
  // Already in byte order of the names (the addon sorts them).
  return have(queues);
}

function notifyAt(f: Float64Array, at: number, reason: () => string): Avail<QueueNotify> {
  const notify = f[at + 10]!, signo = f[at + 11]!, pid = f[at + 12]!;
  if (Number.isNaN(notify)) return unavailable(reason());
  return notify === 0 && signo === 0 && pid === 0 ? NOT_REGISTERED : have({ notify, signo, pid });
}
