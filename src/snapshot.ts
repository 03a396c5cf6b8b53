// The snapshot is the only thing that crosses from src/probe/ (which reads the
// system) to the pure model and renderers. It must stay plain JSON: tests record
// snapshots and replay them, and `limits --json` prints one.

/** A probed value, or the reason it could not be read. Never a magic -1. */
export type Avail<T> = { ok: true; value: T } | { ok: false; reason: string };

export const have = <T>(value: T): Avail<T> => ({ ok: true, value });
export const unavailable = <T = never>(reason: string): Avail<T> => ({ ok: false, reason });

/** An rlimit value: a byte/descriptor count, or RLIM_INFINITY. */
export type RlimValue = number | 'unlimited';

export interface Rlimit {
  soft: RlimValue;
  hard: RlimValue;
}

/** Where a value was read from, so messages can say where a limit comes from. */
export type Source = string;

export interface Sourced<T> {
  value: T;
  source: Source;
}

export interface MqueueSysctls {
  msg_max: Avail<number>;
  msgsize_max: Avail<number>;
  queues_max: Avail<number>;
  /** Absent before Linux 3.5; the kernel then used fixed defaults. */
  msg_default: Avail<number>;
  msgsize_default: Avail<number>;
}

export interface SysvSysctls {
  msgmax: Avail<number>;
  msgmnb: Avail<number>;
  msgmni: Avail<number>;
}

export interface KernelInfo {
  release: Avail<string>;
  /** The kernel's word size, not the process's: it sizes struct msg_msg. */
  wordBits: Avail<32 | 64>;
  machine: Avail<string>;
}

export type LibcFamily = 'glibc' | 'musl';

export interface Credentials {
  realUid: number;
  effectiveUid: number;
  fsUid: number;
  effectiveGid: number;
  fsGid: number;
  groups: number[];
}

export interface Capabilities {
  /** CapEff bit 24. */
  sysResourceInOwnNs: boolean;
  /** CapEff bit 1 and 2: let root open queues whatever their mode. */
  dacOverride: boolean;
  dacReadSearch: boolean;
  /** CapEff bit 15: System V permission checks pass whatever the queue's mode. */
  ipcOwner: boolean;
  /** CapEff bit 21: may change any System V queue (IPC_SET), owner or not. */
  sysAdmin: boolean;
  /** Whether the process's user namespace is the initial one. */
  initialUserNs: boolean;
  /** What the kernel's capable(CAP_SYS_RESOURCE) answers: bit 24 *and* the initial user namespace. */
  sysResource: boolean;
}

export interface Namespace {
  inode: number;
  /** The initial (host) namespace: a private one starts from kernel defaults. */
  initial: boolean;
}

export interface TargetProcess {
  pid: number;
  /** True when the target is mq-doctor itself (no --pid). */
  self: boolean;
  command: Avail<string>;
  credentials: Avail<Credentials>;
  rlimitMsgqueue: Avail<Sourced<Rlimit>>;
  rlimitNofile: Avail<Sourced<Rlimit>>;
  openFds: Avail<number>;
  capabilities: Avail<Capabilities>;
  ipcNamespace: Avail<Namespace>;
  userNamespace: Avail<Namespace>;
  libc: Avail<LibcFamily>;
  /** The real uid's name in /etc/passwd, for limits.d lines. */
  userName: Avail<string>;
  /** The systemd service the process runs in (from /proc/PID/cgroup): limits.conf does not reach it. */
  systemdUnit: Avail<string>;
}

export interface QueueAttr {
  maxmsg: number;
  msgsize: number;
  curmsgs: number;
}

/** One System V message queue, from /proc/sysvipc/msg (and msgctl for qbytes). */
export interface SysvQueue {
  /** Signed, as /proc/sysvipc/msg prints it; 0 is IPC_PRIVATE. */
  key: number;
  msqid: number;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  /** Bytes queued (cbytes) and messages queued (qnum). */
  bytes: number;
  messages: number;
  uid: number;
  gid: number;
  /** The creator: like the owner, may change msg_qbytes (IPC_SET). */
  cuid: number;
  cgid: number;
  /** The queue's capacity in bytes (and in messages): not in /proc, needs msgctl. */
  qbytes: Avail<number>;
}

export interface QueueInfo {
  /** Without the leading slash, as it appears in the mqueue filesystem. */
  name: string;
  uid: number;
  gid: number;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  /** Bytes of messages queued now (QSIZE in the queue file). */
  qsize: Avail<number>;
  /** Needs the native addon (mq_getattr on an fd opened from the mount). */
  attr: Avail<QueueAttr>;
}

export interface QueueListing {
  /** The mqueue mount the names were read from, as seen by mq-doctor. */
  mountPath: string;
  queues: QueueInfo[];
}

export interface Snapshot {
  schemaVersion: 1;
  takenAt: string;
  /** 'live' when probed from this machine; tests replay recorded ones. */
  origin: string;
  kernel: KernelInfo;
  mqueue: MqueueSysctls;
  sysv: SysvSysctls;
  /** The System V queues of the target's IPC namespace. */
  sysvQueues: Avail<SysvQueue[]>;
  /** Where the sysctls above were read: the target's IPC namespace. */
  sysctlSource: string;
  target: TargetProcess;
  queues: Avail<QueueListing>;
  nativeAddon: Avail<string>;
}
