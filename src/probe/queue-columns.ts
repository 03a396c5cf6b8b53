// The daemon's view of a namespace's queues: columns, not one object per
// queue. At 50,000 queues an object each (with its Avail wrappers) is tens of
// MB of heap per probe; five Float64Arrays and the names are 2.4 MB. The
// directory is read on a libuv thread (mqReadDirAsync), so a probe never
// holds up a scrape; with the namespace's MqDirCache, a queue that has not
// changed since the last probe costs one stat instead of four syscalls.
import { closeSync } from 'node:fs';
import { type Avail, have, type QueueInfo, unavailable } from '../snapshot.js';
import { MQ_DIR_FIELDS, type MqDir, type MqDirCache, type NativeAddon, type Result } from './native.js';
import { DETACHED_MOUNT, detachedMountFd, foreignMount, listDir, mountIsOwnNamespace, mqueueDirOf } from './queues.js';

/** Row i of every column is one queue; NaN where a value could not be read. */
export interface QueueColumns {
  mountPath: string;
  count: number;
  /** In byte order (UTF-16 order for the fallback without the addon). */
  names: string[];
  uid: Float64Array;
  maxmsg: Float64Array;
  msgsize: Float64Array;
  curmsgs: Float64Array;
  /** Bytes of messages queued (QSIZE). */
  qsize: Float64Array;
  /** Queues whose attributes could not be read. */
  unreadable: number;
  /** Queues whose attributes were the last probe's, unchanged (MqDirCache). */
  cached: number;
}

const COLUMN = { uid: MQ_DIR_FIELDS.indexOf('uid'), maxmsg: MQ_DIR_FIELDS.indexOf('maxmsg'), msgsize: MQ_DIR_FIELDS.indexOf('msgsize'), curmsgs: MQ_DIR_FIELDS.indexOf('curmsgs'), qsize: MQ_DIR_FIELDS.indexOf('qsize') };

function empty(mountPath: string, count: number): QueueColumns {
  const col = () => new Float64Array(count).fill(Number.NaN);
  return { mountPath, count, names: new Array<string>(count), uid: col(), maxmsg: col(), msgsize: col(), curmsgs: col(), qsize: col(), unreadable: 0, cached: 0 };
}

/** The addon's rows as columns; a queue unlinked while it was read is left out (it no longer counts). */
export function columnsFromDir(mountPath: string, r: MqDir): QueueColumns {
  const W = MQ_DIR_FIELDS.length;
  const names = r.count > 0 ? r.names.split('\0') : [];
  const gone = new Set(r.errors.filter(([, errno]) => errno === 'ENOENT').map(([row]) => row));
  for (let i = 0; i < r.count; i++) if (Number.isNaN(r.fields[i * W + COLUMN.uid])) gone.add(i);
  const c = empty(mountPath, r.count - gone.size);
  let to = 0;
  for (let i = 0; i < r.count; i++) {
    if (gone.has(i)) continue;
    const at = i * W;
    c.names[to] = names[i]!;
    c.uid[to] = r.fields[at + COLUMN.uid]!;
    c.maxmsg[to] = r.fields[at + COLUMN.maxmsg]!;
    c.msgsize[to] = r.fields[at + COLUMN.msgsize]!;
    c.curmsgs[to] = r.fields[at + COLUMN.curmsgs]!;
    c.qsize[to] = r.fields[at + COLUMN.qsize]!;
    if (Number.isNaN(c.maxmsg[to])) c.unreadable++;
    to++;
  }
  c.cached = r.cached ?? 0;
  return c;
}

/** The same from queue objects: the listing without the addon, and recorded snapshots. */
export function columnsFromQueues(mountPath: string, queues: QueueInfo[]): QueueColumns {
  const sorted = [...queues].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const c = empty(mountPath, sorted.length);
  sorted.forEach((q, i) => {
    c.names[i] = q.name;
    c.uid[i] = q.uid;
    if (q.attr.ok) {
      c.maxmsg[i] = q.attr.value.maxmsg;
      c.msgsize[i] = q.attr.value.msgsize;
      c.curmsgs[i] = q.attr.value.curmsgs;
    } else c.unreadable++;
    if (q.qsize.ok) c.qsize[i] = q.qsize.value;
  });
  return c;
}

async function readColumns(dir: string, mountPath: string, lib: Avail<NativeAddon>, cache: MqDirCache | undefined): Promise<Avail<QueueColumns>> {
  if (lib.ok && lib.value.mqReadDirAsync) {
    const r: Result<MqDir> = await lib.value.mqReadDirAsync(dir, false, cache);
    if (!r.ok) return unavailable(`queue usage unknown: cannot list ${dir} (${r.errno})`);
    if (r.width === MQ_DIR_FIELDS.length) return have(columnsFromDir(mountPath, r));
  }
  const listed = listDir(dir, () => lib, {});
  return listed.ok ? have(columnsFromQueues(mountPath, listed.value)) : unavailable(`queue usage unknown: ${listed.reason}`);
}

/**
 * The queues of the target's IPC namespace (pid undefined: our own), found as
 * probeQueues finds them: its mqueue mount, else a detached mount. `cache`:
 * the namespace's own (inode numbers are unique across mqueue mounts, so a
 * mount of another namespace read through it only misses).
 */
export async function probeQueueColumns(pid: number | undefined, addon: () => Avail<NativeAddon>, cache?: MqDirCache): Promise<Avail<QueueColumns>> {
  const at = mqueueDirOf(pid);
  let why: string = at.ok ? '' : at.reason;
  if (at.ok) {
    const c = await readColumns(at.dir, at.dir, addon(), cache);
    if (!c.ok || pid !== undefined || c.value.count === 0) return c;
    const own = mountIsOwnNamespace(at.dir, c.value.names, addon());
    if (!own.ok || own.value) return c;
    why = foreignMount(at.dir);
  }
  const lib = addon();
  if (!lib.ok) return unavailable(`queue usage unknown: ${why}, and reading the queues without a mount needs the native addon (${lib.reason})`);
  const fd = detachedMountFd(pid === undefined ? undefined : { path: `/proc/${pid}/ns/ipc`, which: `process ${pid}'s IPC namespace` }, lib.value);
  if (!fd.ok) return unavailable(`queue usage unknown: ${why}, and ${fd.reason}`);
  try {
    // /proc/self/fd is the process's table, so a libuv thread reads the mount as well as this one.
    return await readColumns(`/proc/self/fd/${fd.value}`, DETACHED_MOUNT, lib, cache);
  } finally {
    closeSync(fd.value);
  }
}
