// Loads native/getrlimit lazily: only callers that need a syscall pay the ~8 ms,
// and when the addon was never built (no compiler) read-only diagnosis still works
// from /proc; callers get the reason instead of an exception.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Avail, have, unavailable } from '../snapshot.js';

/** Every binding returns either its result or the errno's name; none throws on a failed syscall. */
export type Failure = { ok: false; errno: string; message: string };
export type Result<T extends object = object> = ({ ok: true } & T) | Failure;

export type RlimitResource = 'msgqueue' | 'nofile';
/** RLIM_INFINITY is reported as 'unlimited'. */
export type NativeRlimValue = number | 'unlimited';

export interface MqAttrIn {
  /** C long: numbers, or bigints for values beyond 2^53. */
  maxmsg: number | bigint;
  msgsize: number | bigint;
}

/** Columns of MqDir.fields, row by row (keep in step with queuedir.cc). */
export const MQ_DIR_FIELDS = ['uid', 'gid', 'mode', 'qsize', 'maxmsg', 'msgsize', 'curmsgs', 'ino', 'mtimeMs', 'ctimeMs', 'notify', 'signo', 'notifyPid'] as const;
/** Columns of ProcFdScan.matches (keep in step with holders.cc). */
export const PROC_FD_FIELDS = ['pid', 'fd', 'ino', 'uid', 'gid', 'mode'] as const;

/** Columns of procScan's rows, in the addon's order (native/getrlimit/src/processes.cc). */
export const PROC_SCAN_FIELDS = ['pid', 'ipcInode', 'realUid'] as const;

/** Every process's IPC namespace and real uid, as columns. */
export interface ProcScan {
  width: number;
  /** n × PROC_SCAN_FIELDS.length numbers. */
  rows: Float64Array;
  /** Processes that exited, or hid their namespace or status, while being read. */
  skipped: number;
}

/** An mqueue mount read in one call, as columns: N-API objects per queue would cost more than the syscalls. */
export interface MqDir {
  count: number;
  /** Numbers per row: MQ_DIR_FIELDS.length (absent from an addon built before the columns grew). */
  width?: number;
  /** The queue names, NUL-separated (a name may hold any byte but '/' and NUL). */
  names: string;
  /** count × MQ_DIR_FIELDS.length numbers; NaN where a value could not be read. */
  fields: Float64Array;
  /** [row, errno name] for each queue that could not be opened or mq_getattr'd. */
  errors: Array<[number, string]>;
  /** Rows whose attributes came from an MqDirCache, after one stat (absent from an older addon). */
  cached?: number;
}

/** mqDirCache()'s opaque handle: what the last read of one mount saw of each queue. */
export interface MqDirCache {
  readonly mqDirCache: unique symbol;
}

/** Every descriptor of every process that lies on one of the given mqueue superblocks, in one call. */
export interface ProcFdScan {
  /** Processes whose descriptor table was read (mq-doctor itself is skipped). */
  processes: number;
  descriptors: number;
  /** The time budget ran out before every process was read. */
  truncated: boolean;
  width: number;
  /** n × PROC_FD_FIELDS.length numbers: the regular files (queues) among them. */
  matches: Float64Array;
  /** [pid, errno]: the process could not be read; [pid, errno, fd]: only that descriptor's open file could not be examined. */
  unreadable: Array<[number, string] | [number, string, number]>;
}

/** msgctl(IPC_STAT) of one System V queue. */
export interface SysvMsqStat {
  /** Signed, as /proc/sysvipc/msg prints it. */
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  /** A bigint only above 2^53-1, a value only a CAP_SYS_RESOURCE holder can set. */
  qbytes: number | bigint;
  qnum: number;
  cbytes: number;
}

export interface NativeAddon {
  readonly constants: {
    O_RDONLY: number;
    O_WRONLY: number;
    O_RDWR: number;
    O_CREAT: number;
    O_EXCL: number;
    O_NONBLOCK: number;
    CLONE_NEWIPC: number;
    CLONE_NEWUSER: number;
    IPC_CREAT: number;
    IPC_EXCL: number;
    IPC_NOWAIT: number;
    IPC_PRIVATE: number;
    MSG_NOERROR: number;
    /** 13; the headers' value or that fallback. Kernels before 4.17 answer EINVAL. */
    MSG_STAT_ANY: number;
  };
  getrlimit(resource: RlimitResource): Result<{ soft: NativeRlimValue; hard: NativeRlimValue }>;
  setrlimit(resource: RlimitResource, soft: NativeRlimValue, hard: NativeRlimValue): Result;
  /** prlimit(2) on another process; sets new limits when soft/hard are given, returns the old ones. */
  prlimit(
    pid: number,
    resource: RlimitResource,
    soft?: NativeRlimValue,
    hard?: NativeRlimValue,
  ): Result<{ soft: NativeRlimValue; hard: NativeRlimValue }>;
  /** mq_open(3) through libc, so libc's own name rules apply. attr null passes NULL. */
  mqOpen(name: string, oflag: number, mode: number, attr: MqAttrIn | null): Result<{ fd: number }>;
  /** Works on any queue descriptor, including an fd from open(2) on a file in an mqueue mount. */
  mqGetattr(fd: number): Result<{ flags: number; maxmsg: number; msgsize: number; curmsgs: number }>;
  mqSend(fd: number, data: Buffer, priority: number): Result;
  mqReceive(fd: number, bufferSize: number): Result<{ data: Buffer; priority: number }>;
  mqClose(fd: number): Result;
  mqUnlink(name: string): Result;
  /** setns(2) for the calling thread; used to read another IPC namespace's sysctls. */
  setns(fd: number, nstype: number): Result;
  /**
   * execvp(3) after undoing what Node changed (stdio flags, close-on-exec on the
   * descriptors mq-doctor inherited, SIGPIPE/SIGXFSZ, the signal mask). Returns only when the exec failed.
   */
  execvp(file: string, args: string[], inheritedFds?: number[]): Failure;
  /**
   * Every queue of an mqueue mount in one call: owner, mode, inode, times, QSIZE and
   * mq_getattr; with details, NOTIFY, SIGNO and NOTIFY_PID too (one read(2) of each queue file).
   * Rows in byte order of the names.
   */
  mqReadDir(dir: string, details?: boolean): Result<MqDir>;
  /**
   * The same on a libuv thread (absent from an addon built before it). A path only: a pool thread is in the process's
   * namespaces, not in one a setns entered. With a cache (not with details), a queue whose inode, mtime and ctime
   * are those of the last read, and had settled then, is only stat'ed (native/getrlimit/src/queuedir.cc, DirCache).
   */
  mqReadDirAsync?(dir: string, details?: boolean, cache?: MqDirCache): Promise<Result<MqDir>>;
  /** A cache for the reads of one IPC namespace's mount (absent from an addon built before it). */
  mqDirCache?(): MqDirCache;
  /** The descriptors on these devices' regular files in every process of /proc, within budgetMs. */
  procFdScan?(devices: number[], budgetMs: number): Result<ProcFdScan>;
  /** Absent from an addon built before it. */
  procScan?(): Result<ProcScan>;
  /** msgget(2). key: a signed int, or above 2^31 as its 32-bit pattern; flags: mode | IPC_CREAT | IPC_EXCL. */
  msgget(key: number, flags: number): Result<{ msqid: number }>;
  /**
   * msgsnd(2) of one message of size zero bytes (size ≤ 2^31-1: msgmax cannot be
   * larger). mtype is passed as given, so mtype < 1 gets the kernel's EINVAL.
   * Without IPC_NOWAIT a full queue blocks the event loop.
   */
  msgsnd(msqid: number, size: number, mtype: number, flags: number): Result;
  /** msgrcv(2); the text is dropped. E2BIG when the message exceeds maxSize unless MSG_NOERROR. */
  msgrcv(msqid: number, maxSize: number, mtype: number, flags: number): Result<{ size: number; mtype: number }>;
  /** msgctl(IPC_STAT): needs read permission (EACCES otherwise). */
  msgctlStat(msqid: number): Result<SysvMsqStat>;
  /**
   * msgctl(MSG_STAT_ANY) (Linux >= 4.17): by index into the namespace's queue
   * table, without permission checks; msqid is the queue found. EINVAL: index unused
   * (or an older kernel).
   */
  msgctlStatAny(index: number): Result<SysvMsqStat & { msqid: number }>;
  /**
   * IPC_STAT, then IPC_SET with only msg_qbytes changed. EPERM above kernel.msgmnb
   * without CAP_SYS_RESOURCE. Linux >= 5.4 keeps only the low 32 bits (2^32 + 5 sets 5).
   * qbytes: a number up to 2^53-1, or a bigint.
   */
  msgctlSetQbytes(msqid: number, qbytes: number | bigint): Result;
  msgctlRmid(msqid: number): Result;
  /** NS_GET_USERNS ('owner': the user namespace owning any namespace) or NS_GET_PARENT ('parent': of a user namespace); a new fd. */
  nsRelated(fd: number, which: 'owner' | 'parent'): Result<{ fd: number }>;
  /** NS_GET_OWNER_UID: the creator of a user namespace, as the caller's user namespace sees the uid. */
  nsOwnerUid(fd: number): Result<{ uid: number }>;
  /** A read-only mqueue mount of the calling thread's IPC namespace, attached nowhere (fsopen/fsconfig/fsmount). */
  mqueueMount(): Result<{ fd: number }>;
  /** Forks the measuring helper (native/getrlimit/src/measure.cc); a failed set-up names its step. */
  measureStart(options: MeasureOptions, timeoutMs?: number): Result<{ pid: number; wfd: number; rfd: number }> | (Failure & { step: number });
  /** One command to the helper; err is the errno of the operation (null: it succeeded). */
  measureCall(wfd: number, rfd: number, op: number, a: number, b: number, timeoutMs?: number): Result<{ err: string | null; x: number; y: number }>;
  measureEnd(pid: number, wfd: number, rfd: number): Result;
  /** sd_notify(3): one datagram of `state` to $NOTIFY_SOCKET (a path or an @abstract name). Absent from addons built before it. */
  sdNotify?(socketPath: string, state: string): Result;
}

/** How the measuring helper takes on the target's credentials, step by step in this order. */
export interface MeasureOptions {
  /** Scratch names: PREFIX-N, no '/'. */
  prefix: string;
  /** Soft RLIMIT_MSGQUEUE, set first (a user namespace created later records it as its ceiling). */
  soft?: number | 'unlimited';
  unshareIpcFirst?: boolean;
  usernsFd?: number;
  ipcnsFd?: number;
  unshareUser?: boolean;
  unshareIpcAfter?: boolean;
  /** Root of the target's user namespace, to write the fresh namespace's sysctls (only its owner may). */
  rootUid?: number;
  /** Raise msg_max and msgsize_max of a fresh IPC namespace to the hard caps: fewer, larger probes. */
  sysctls?: boolean;
  uid?: number;
  gid?: number;
}

/** measureCall's op codes (keep in step with measure.cc). */
export const MEASURE_OP = { info: 1, soft: 2, open: 3, release: 4 } as const;
/** measureStart's failed steps (measure.cc). */
export const MEASURE_STEPS: Record<number, string> = {
  1: 'setting the soft RLIMIT_MSGQUEUE',
  2: 'unshare(CLONE_NEWIPC)',
  3: "setns into the target's user namespace",
  4: "setns into the target's IPC namespace",
  5: 'unshare(CLONE_NEWUSER|CLONE_NEWIPC)',
  6: 'writing the fresh user namespace\'s id maps',
  7: "becoming the root of the target's user namespace",
  8: "taking the target's gid",
  9: "taking the target's uid",
};

let cached: Avail<NativeAddon> | undefined;

const DISABLED = 'native addon disabled by MQ_DOCTOR_NO_ADDON=1';
const HOW = 'install a C++ compiler and run "npm rebuild mq-doctor"';

/** native/getrlimit: dist/ bundles sit one level below the package root, src/probe/ two. */
function addonDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', join('..', '..')]) {
    if (existsSync(join(here, up, 'package.json'))) return join(here, up, 'native', 'getrlimit');
  }
  return join(here, '..', 'native', 'getrlimit');
}

/**
 * Whether the addon is usable, without paying to load it when nothing needed it
 * yet, nor to run node-gyp-build's lookup: a look at the two places that lookup
 * finds it. Which file wins there, and whether it loads, only loadNative says.
 */
export function nativeStatus(): Avail<string> {
  if (cached) return cached.ok ? have('loaded') : cached;
  if (process.env.MQ_DOCTOR_NO_ADDON === '1') return unavailable(DISABLED);
  const override = process.env.MQ_DOCTOR_ADDON;
  if (override !== undefined) return existsSync(override) ? have('built (not loaded: not needed)') : loadNative() as Avail<never>;
  const dir = addonDir();
  if (existsSync(join(dir, 'build', 'Release', 'getrlimit.node'))) return have('built (not loaded: not needed)');
  const tuple = `${process.platform}-${process.arch}`;
  if (existsSync(join(dir, 'prebuilds', tuple))) return have(`prebuilt for ${tuple} (not loaded: not needed)`);
  return loadNative() as Avail<never>;
}

/** The file node-gyp-build picks: build/Release (a compile here), else the prebuild for this platform, arch and libc. */
function resolveAddon(req: NodeJS.Require): Avail<string> {
  const dir = addonDir();
  let loader: { path(dir: string): string };
  try {
    // In dist/ (CommonJS) this require is bundled (scripts/build.mjs): resolving
    // and compiling node-gyp-build from node_modules cost 3-5 ms of check's start-up.
    // From the ESM sources (the tests) there is no require: node_modules' copy.
    loader = (typeof require === 'function' ? require('node-gyp-build') : req('node-gyp-build')) as typeof loader;
  } catch (err) {
    return unavailable(`native addon not loadable: node-gyp-build, which finds it, is missing (${(err as Error).message.split('\n')[0]}); reinstall mq-doctor`);
  }
  try {
    return have(loader.path(dir));
  } catch (err) {
    // "No native build was found for platform=linux arch=arm64 … libc=glibc …": what a prebuild would have to be.
    const tag = Object.fromEntries([...(err as Error).message.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    const wanted = tag.platform && tag.arch ? `${tag.platform}-${tag.arch} ${tag.libc ?? ''}`.trim() : (err as Error).message.split('\n')[0];
    return unavailable(`native addon not built (no prebuild for ${wanted} in ${join(dir, 'prebuilds')}, and nothing compiled in ${join(dir, 'build', 'Release')}; ${HOW})`);
  }
}

export function loadNative(): Avail<NativeAddon> {
  if (cached) return cached;
  if (process.env.MQ_DOCTOR_NO_ADDON === '1') return (cached = unavailable(DISABLED));
  const req = createRequire(import.meta.url);
  const override = process.env.MQ_DOCTOR_ADDON;
  const path = override !== undefined ? have(override) : resolveAddon(req);
  if (!path.ok) {
    cached = path;
  } else if (!existsSync(path.value)) {
    cached = unavailable(`native addon not built (${path.value} missing; ${HOW})`);
  } else {
    try {
      cached = have(req(path.value) as NativeAddon);
    } catch (err) {
      // A prebuild for a newer glibc than this one, say: a compile here takes precedence over it.
      const fix = override === undefined ? `; ${HOW}` : '';
      cached = unavailable(`native addon failed to load: ${(err as Error).message.split('\n')[0]}${fix}`);
    }
  }
  return cached;
}
