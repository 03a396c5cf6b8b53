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

/**
 * The descriptors a process holds: mq_open takes the lowest free number and
 * fails with EMFILE only when that number is ≥ the soft RLIMIT_NOFILE, so the
 * numbers matter, not their count.
 */
export interface DescriptorTable {
  /** Open for certain, ascending. */
  open: number[];
  /**
   * Perhaps open, ascending: for mq-doctor itself run without its launcher,
   * the descriptors below 16 that Node made close-on-exec (its own, or
   * inherited ones an application started from the same place would hold).
   */
  maybe: number[];
  source: string;
}

/** One user namespace: RLIMIT_MSGQUEUE is charged again at every level (kernel/ucount.c). */
export interface UserNamespaceInfo {
  inode: number;
  initial: boolean;
  /** Who created it, as mq-doctor's own user namespace sees that uid: the charge one level up goes to this uid. */
  ownerUid: Avail<number>;
  /** The parent's inode (null for the initial one); unavailable when it lies outside mq-doctor's own user namespace. */
  parent: Avail<number | null>;
}

/** One line of /proc/PID/uid_map or gid_map, as mq-doctor's user namespace sees the outside ids. */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

/**
 * The user namespace owning the target's IPC namespace (and its mqueue
 * superblock). Creating a queue needs the caller's fsuid and fsgid to be
 * mapped in it, else the VFS refuses with EOVERFLOW before any mqueue check.
 */
export interface IpcOwner {
  userNs: number;
  /** Relative to the target's own user namespace: 'same' or 'ancestor' map every id the target can have. */
  relation: 'same' | 'ancestor' | 'other';
  /** Only for 'other': the owner's id maps, read through a process living in it. */
  uidMap: Avail<IdRange[]>;
  gidMap: Avail<IdRange[]>;
}

export interface TargetProcess {
  pid: number;
  /** True when the target is mq-doctor itself (no --pid). */
  self: boolean;
  command: Avail<string>;
  credentials: Avail<Credentials>;
  rlimitMsgqueue: Avail<Sourced<Rlimit>>;
  rlimitNofile: Avail<Sourced<Rlimit>>;
  descriptors: Avail<DescriptorTable>;
  capabilities: Avail<Capabilities>;
  ipcNamespace: Avail<Namespace>;
  userNamespace: Avail<Namespace>;
  /** The target's user namespace first, then each parent up to the initial one, as far as visible. */
  userNamespaceChain: Avail<UserNamespaceInfo[]>;
  ipcOwner: Avail<IpcOwner>;
  libc: Avail<LibcFamily>;
  /** The real uid's name in /etc/passwd, for limits.d lines. */
  userName: Avail<string>;
  /** The systemd service the process runs in (from /proc/PID/cgroup): limits.conf does not reach it. */
  systemdUnit: Avail<string>;
  /** Where the process stands, for advice that works there (absent in older recordings). */
  surroundings?: Avail<Surroundings>;
}

/** systemd-logind's RemoveIPC= and which uids it spares. */
export interface RemoveIpc {
  removeIpc: boolean;
  /** SYS_UID_MAX: uids up to it are system users, whose queues logind leaves alone. */
  systemUidMax: number;
  /** Where the value comes from: a file, or the default. */
  source: string;
}

export interface Surroundings {
  /** /proc/PID/loginuid: set by pam_loginuid at a login; null when the process descends from no login (a service, a container). */
  loginUid: number | null;
  /** What says "container": /.dockerenv, /run/.containerenv, a docker/kubepods/libpod/containerd cgroup. */
  containerMarkers: string[];
  /** Whether /proc/sys/fs/mqueue/msg_max may be written from here (read-only in most containers); null for another process. */
  procSysWritable: boolean | null;
  /** systemd is the init of the target's own PID namespace (a container's: not the initial one, and its root has /run/systemd/system): a unit there is that systemd's, not the host's. Absent in older snapshots. */
  systemdInit?: boolean;
  /**
   * What the configuration grants the target at its start: its unit's Limit*= (a service)
   * or pam_limits' limits.conf and limits.d (its user); absent when neither could be told.
   */
  configured?: ConfiguredLimits;
}

/** A limit as configuration sets it, with the file and line it comes from. */
export interface ConfiguredLimit {
  value: number | 'unlimited';
  source: string;
}

export interface ConfiguredLimits {
  by: 'systemd' | 'pam_limits';
  /** The unit or the user name. */
  owner: string;
  soft: { msgqueue?: ConfiguredLimit; nofile?: ConfiguredLimit };
  hard: { msgqueue?: ConfiguredLimit; nofile?: ConfiguredLimit };
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

/**
 * mq_notify as the queue file shows it ("NOTIFY:n SIGNO:n NOTIFY_PID:n", ipc/mqueue.c
 * mqueue_read_file). A registration lasts until it fires once, is removed, or its
 * process closes any descriptor of the queue (mqueue_flush_file).
 */
export interface QueueNotify {
  /** sigev_notify of the registration: 0 SIGEV_SIGNAL, 1 SIGEV_NONE, 2 SIGEV_THREAD; also 0 when none is registered. */
  notify: number;
  /** The signal of a SIGEV_SIGNAL registration; 0 otherwise. */
  signo: number;
  /**
   * The registered process, as mq-doctor's PID namespace numbers it; 0 when none is
   * registered, or when that process lies outside mq-doctor's PID namespace.
   */
  pid: number;
}

/** A process with a queue open (one of its /proc/PID/fd entries is the queue's inode). */
export interface QueueHolder {
  pid: number;
  /** /proc/PID/comm; null when it could not be read (it exited meanwhile). */
  command: string | null;
  /** Its descriptors on the queue, ascending. */
  fds: number[];
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
  /** The inode number: with the listing's device, what /proc/PID/fd entries are matched against. Absent in older recordings. */
  ino?: number;
  /**
   * st_mtime, ms since the epoch: the kernel sets it when the queue is created and at every
   * mq_send and mq_receive that moves a message (ipc/mqueue.c: simple_inode_init_ts), and
   * otherwise only by an explicit utimensat (touch -m). So it is the queue's creation time if no message ever moved, else its last
   * use: the mqueue filesystem keeps no creation time of its own (no birth time). Absent in
   * older recordings.
   */
  mtimeMs?: number;
  /**
   * st_ctime, ms since the epoch: moves with mtime, and also at every read of the queue file
   * (any `cat /dev/mqueue/NAME`, and mq-doctor's own), mq_notify, mq_setattr, chmod and chown:
   * it dates neither the creation nor the last message.
   */
  ctimeMs?: number;
  /** Read from the queue file when holders were asked for (probe option `holders`). */
  notify?: Avail<QueueNotify>;
  /** The processes that have it open; present when holders were asked for and the scan ran (empty: none visible). */
  holders?: QueueHolder[];
}

/** A queue unlinked from the mount but still open: it counts against queues_max and its creator's RLIMIT_MSGQUEUE until its last descriptor closes. */
export interface UnlinkedQueue {
  ino: number;
  uid: number;
  gid: number;
  mode: number;
  /** mq_getattr through a holder's /proc/PID/fd entry. */
  attr: Avail<QueueAttr>;
  holders: QueueHolder[];
}

/** How the holders of a listing's queues were looked for: every process's /proc/PID/fd. */
export interface HolderScan {
  /** Processes whose descriptor tables were read, and their descriptors. */
  processes: number;
  descriptors: number;
  /** Why a holder may have been missed (another uid's processes, another PID namespace, the time budget); empty when none can hide. */
  gaps: string[];
  unlinked: UnlinkedQueue[];
}

export interface QueueListing {
  /** The mqueue mount the names were read from, as seen by mq-doctor, or how they were read without one. */
  mountPath: string;
  queues: QueueInfo[];
  /** st_dev of the mount: one mqueue superblock per IPC namespace, so equal devices mean the same namespace. */
  device?: number | null;
  /** Present when holders were asked for (probe option `holders`). */
  holderScan?: Avail<HolderScan>;
}

/** A queue of another IPC namespace: what its charge to its creator needs. */
export interface ForeignQueue {
  name: string;
  /** The file owner (the creator's fsuid), as mq-doctor's user namespace sees it. */
  uid: number;
  attr: Avail<{ maxmsg: number; msgsize: number }>;
}

/** An IPC namespace other than the target's, found through a process in it or a bind mount of it. */
export interface ForeignNamespace {
  inode: number;
  /** A process in it (for messages), or null for a namespace kept by a bind mount. */
  pid: number | null;
  command: string | null;
  /** The user namespace that owns it: queues created in it are charged there (and up the chain). */
  ownerUserNs: Avail<number>;
  /** How its queues were read. */
  via: string;
  queues: Avail<ForeignQueue[]>;
}

/**
 * Every IPC namespace mq-doctor could find besides the target's: a uid's
 * RLIMIT_MSGQUEUE charge is the sum over all of them.
 */
export interface NamespaceScan {
  namespaces: ForeignNamespace[];
  /** Each owner of those namespaces and its parents, for the charge chains. */
  userNamespaces: UserNamespaceInfo[];
  /** Why the scan may have missed namespaces or queues; empty when nothing could hide. */
  gaps: string[];
}

/** Inclusive bounds; max null: no upper bound was found. */
export interface ByteRange {
  min: number;
  max: number | null;
}

/**
 * What `--measure` found with scratch queues created under the target's own
 * credentials: the kernel's answer for everything /proc cannot show.
 */
export interface BudgetMeasurement {
  /**
   * fresh-ipc: a private IPC namespace with the target's user namespace and uid;
   * fresh-user-ipc: a fresh user namespace below the target's (same charge, one level up);
   * shared-ipc: the target's own IPC namespace (its scratch queues were visible there for microseconds).
   */
  mode: 'fresh-ipc' | 'fresh-user-ipc' | 'shared-ipc';
  /** The uid charged, as mq-doctor sees it. */
  uid: number;
  /** The soft RLIMIT_MSGQUEUE the probes ran under (the target's, unless it could not be set). */
  softLimit: RlimValue;
  /** Bytes charged to (user namespace, uid) at the target's own level, over every IPC namespace. */
  chargedAtOwnLevel: Avail<ByteRange>;
  /** The largest total the uid can still be charged now: the smallest headroom over every user-namespace level. */
  remaining: ByteRange;
  probes: number;
  ms: number;
  /** The most the probes held at once, charged to the uid (released when the helper exited). */
  peakHeldBytes: number;
  peakHeldQueues: number;
  notes: string[];
}

export interface Snapshot {
  schemaVersion: 2;
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
  /** Queues of every other IPC namespace; absent when not probed (the daemon, System V checks). */
  otherNamespaces?: Avail<NamespaceScan>;
  /** Present when `--measure` was asked for (preflight: by default). */
  measurement?: Avail<BudgetMeasurement>;
  nativeAddon: Avail<string>;
  /** systemd-logind's RemoveIPC= (absent in older recordings). */
  removeIpc?: Avail<RemoveIpc>;
}
