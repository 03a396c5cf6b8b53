import type { RlimValue } from '../snapshot.js';
import type { UidCharges } from './charges.js';
import type { CostBreakdown } from './cost.js';

export type Errno =
  | 'EINVAL'
  | 'ENOENT'
  | 'ENAMETOOLONG'
  | 'EMFILE'
  | 'ENOMEM'
  | 'EACCES'
  | 'EEXIST'
  | 'ENOSPC'
  | 'EOVERFLOW'
  | 'EAGAIN'
  | 'EPERM';

export type Access = 'rdonly' | 'wronly' | 'rdwr';

/** The checks mq_open's prediction makes, in the kernel's order; stable names for --ignore and scripts. */
export const CHECK_IDS = [
  'MQ-NAME',
  'MQ-DESCRIPTOR',
  'MQ-LOOKUP',
  'MQ-EXISTING',
  'MQ-KERNEL-RULES',
  'MQ-ID-MAPPING',
  'MQ-QUEUES-MAX',
  'MQ-DEFAULT-ATTR',
  'MQ-ATTR',
  'MQ-OVERFLOW',
  'MQ-RLIMIT-MSGQUEUE',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * The checks `check --sysv` makes, msgget → msgctl(IPC_STAT, IPC_SET) → msgsnd, in the
 * kernel's order (src/model/sysv-checks/registry.ts); stable names for --json.
 */
export const SYSV_CHECK_IDS = [
  'SYSV-KEY',
  'SYSV-MSGMNI',
  'SYSV-IPC-STAT',
  'SYSV-OWNER',
  'SYSV-MSGMNB',
  'SYSV-MSGSIZE',
  'SYSV-MSGMAX',
  'SYSV-WRITE',
  'SYSV-CAPACITY',
] as const;
export type SysvCheckId = (typeof SYSV_CHECK_IDS)[number];
/** Any check's id: mq_open's or System V's. */
export type AnyCheckId = CheckId | SysvCheckId;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

/** One check the prediction made, passed or not: the report's line and --json's `checks`. */
export interface CheckRecord<Id extends AnyCheckId = AnyCheckId> {
  id: Id;
  title: string;
  status: CheckStatus;
  /** The errno this check returns when it fails. */
  errno: Errno | null;
  /** The value in force and the value the call needs (for a failed limit: the blocker's). */
  actual: number | string | null;
  needed: number | string | null;
  detail: string;
  /** Where the check is described (README anchor). */
  doc: string;
}

export interface MqAttr {
  maxmsg: number;
  msgsize: number;
}

export interface MqOpenRequest {
  /** As the application passes it, leading '/' included; null: a name that does not exist yet. */
  name: string | null;
  create: boolean;
  exclusive: boolean;
  access: Access;
  mode: number;
  /** null: the application passes attr NULL and the namespace defaults apply. */
  attr: MqAttr | null;
  /** How many such queues the application opens. */
  count: number;
}

export interface Fix {
  /** What the command does, e.g. "now, in this IPC namespace". */
  what: string;
  command: string;
}

export interface Fixes {
  immediate: Fix[];
  persistent: Fix[];
  container: Fix[];
  notes: string[];
}

export type LimitName =
  | 'fs.mqueue.queues_max'
  | 'fs.mqueue.msg_max'
  | 'fs.mqueue.msgsize_max'
  | 'RLIMIT_MSGQUEUE'
  /** A user namespace's ceiling: the soft limit its creator had when it was made (actual: what it leaves). */
  | 'RLIMIT_MSGQUEUE ceiling'
  | 'RLIMIT_NOFILE'
  | 'kernel.msgmax'
  | 'kernel.msgmnb'
  | 'kernel.msgmni';

/** A limit set too low: raising it removes the blocker. */
export interface LimitBlocker {
  kind: 'limit';
  /** The check that found it. */
  id?: AnyCheckId;
  errno: Errno;
  limit: LimitName;
  /** Where the value comes from, e.g. "/proc/sys/fs/mqueue/msg_max (private IPC namespace)". */
  origin: string;
  actual: RlimValue;
  needed: number;
  /** For rlimits: the hard limit, which caps what the soft limit can be raised to without CAP_SYS_RESOURCE. */
  hard?: RlimValue;
  summary: string;
  fixes: Fixes;
}

/** Something about the request itself that no setting fixes. */
export interface RequestBlocker {
  kind: 'request';
  id?: AnyCheckId;
  errno: Errno;
  rule:
    | 'libc-name'
    | 'empty-name'
    | 'name-too-long'
    | 'name-component'
    | 'attr-not-positive'
    | 'attr-over-hard-cap'
    | 'size-overflow'
    | 'queue-exists'
    | 'queue-missing'
    | 'unmapped-ids'
    | 'permission'
    | 'size-negative'
    | 'not-owner'
    | 'queue-full';
  summary: string;
  /** What to change in the application instead. */
  remedy: string;
}

export type Blocker = LimitBlocker | RequestBlocker;

export type Verdict = 'success' | 'failure' | 'indeterminate';

export interface Outcome {
  /** The call that fails (or, on success, the last one made). */
  call: 'mq_open' | 'msgget' | 'msgctl' | 'msgsnd';
  verdict: Verdict;
  /** The errno the call returns: the first check that fails, in the kernel's order; null on success. */
  errno: Errno | null;
  /** False when a check the kernel makes earlier could not be evaluated. */
  errnoCertain: boolean;
  /** With --count: how many of the queues open before the first failure. */
  opened: number;
  count: number;
  /** Why the verdict is indeterminate: the values that were unavailable. */
  unknowns: string[];
  /** The errno if every unavailable value turns out favourable (null: success). */
  ifUnknownsFavourable: Errno | null;
  /** What would make an uncertain answer definite; absent when it is definite. */
  certainWith?: Certainty;
  /** The checks that could not be told, with why (the ones `preflight --ignore` can name). */
  unknownChecks?: Array<{ id: CheckId; reason: string }>;
}

/** What removes an uncertainty: measuring (--measure), privileges (root on the host), the launcher, or --pid. */
export interface Certainty {
  measure?: boolean;
  root?: boolean;
  launcher?: boolean;
}

export interface EffectiveAttr extends MqAttr {
  source: 'requested' | 'namespace defaults' | 'existing queue';
}

export interface Headroom {
  /** How many more queues of this attr the uid's RLIMIT_MSGQUEUE allows; null: unlimited or unknown. */
  byRlimit: number | null;
  byQueuesMax: number | null;
  /** The smaller of the two, when both are known. */
  total: number | null;
  notes: string[];
}

export interface Prediction {
  request: MqOpenRequest;
  effectiveAttr: EffectiveAttr | null;
  cost: CostBreakdown & { wordBits: 32 | 64; era: string; totalForCount: number };
  /** The uid charged (the caller's real uid) and what it already holds in this namespace. */
  charge: { uid: number | null; chargedBytes: number | null; limit: RlimValue | null; afterBytes: number | null };
  /** The uid's queue memory level by level (user namespaces) and where it is held (IPC namespaces). */
  charges: UidCharges;
  outcome: Outcome;
  /** Every check made, in the kernel's order, passes included. */
  checks: CheckRecord[];
  blockers: Blocker[];
  headroom: Headroom;
  warnings: string[];
  assumptions: string[];
}

/** What --live saw when it really called mq_open with the request's attr. */
export interface LiveRun {
  attempted: number;
  opened: number;
  /** The errno of the first failing mq_open, or null if all opened. */
  errno: string | null;
  /** The attr the kernel gave the first queue (mq_getattr). */
  attr: MqAttr | null;
  /** Sending and receiving one message of mq_msgsize bytes on the first queue. */
  roundTrip: { ok: true } | { ok: false; step: 'send' | 'receive'; errno: string } | null;
}

export type LiveReport =
  | { ran: true; result: LiveRun; agrees: boolean }
  | { ran: false; reason: string };

/** msgget + msgctl(IPC_SET) + msgsnd(IPC_NOWAIT), as `check --sysv` models an application's start. */
export interface SysvRequest {
  /** null: IPC_PRIVATE, a new queue every time. */
  key: number | null;
  create: boolean;
  exclusive: boolean;
  /** The permission bits in msgflg (msgget checks them against an existing queue's mode). */
  mode: number;
  /** Bytes per message (msgsz). */
  msgsize: number;
  /**
   * msgctl(IPC_SET) of msg_qbytes to this (a C unsigned long: above 2^53-1, an
   * exact decimal string); null: the application keeps what msgget gives.
   */
  qbytes: number | string | null;
  /** New queues the application creates (IPC_PRIVATE or distinct keys). */
  count: number;
}

export interface SysvQueueView {
  key: number;
  msqid: number;
  uid: number;
  mode: number;
  bytes: number;
  messages: number;
  qbytes: number | null;
}

export interface SysvCapacity {
  /** msg_qbytes of the queue the application sends to, after its IPC_SET if that succeeds. */
  qbytes: number | null;
  /** Where qbytes comes from. */
  source: 'kernel.msgmnb (new queue)' | 'existing queue' | 'IPC_SET (requested)';
  /** Messages of msgsize an empty queue holds: limited by bytes (qbytes / msgsize) and by count (qbytes). */
  byBytes: number | null;
  byCount: number | null;
  messages: number | null;
  /** What is left for more such messages in the queue as it is now (existing queues hold messages). */
  free: number | null;
}

export interface SysvPrediction {
  request: SysvRequest;
  /** The queue msgget finds for --key, or null (new queue, or unknown: see assumptions). */
  existing: SysvQueueView | null;
  usage: { queuesInUse: number | null; msgmni: number | null };
  capacity: SysvCapacity;
  outcome: Outcome;
  /** Every check made, in the kernel's order (msgget, msgctl, msgsnd), passes included. */
  checks: CheckRecord<SysvCheckId>[];
  /** Each with the id of the check that found it. */
  blockers: Blocker[];
  warnings: string[];
  assumptions: string[];
}
