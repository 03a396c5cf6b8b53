// Builds snapshots for model tables: a plain host with kernel defaults, with
// overrides for just the values a test is about.
import type { QueueInfo, Snapshot, Surroundings, SysvQueue } from '../../src/snapshot.js';

export const ok = <T>(value: T) => ({ ok: true as const, value });
export const na = (reason = 'not available in this test') => ({ ok: false as const, reason });

export interface Overrides {
  release?: string;
  wordBits?: 32 | 64;
  msg_max?: number;
  msgsize_max?: number;
  queues_max?: number;
  msg_default?: number;
  msgsize_default?: number;
  uid?: number;
  groups?: number[];
  soft?: number | 'unlimited';
  hard?: number | 'unlimited';
  nofileSoft?: number;
  /** Descriptor numbers open (default 0-2 for mq-doctor itself, 0-4 for --pid). */
  fds?: number[];
  maybeFds?: number[];
  self?: boolean;
  sysResource?: boolean;
  dacOverride?: boolean;
  initialUserNs?: boolean;
  privateIpc?: boolean;
  libc?: 'glibc' | 'musl';
  queues?: QueueInfo[] | null;
  msgmax?: number;
  msgmnb?: number;
  msgmni?: number;
  /** null: /proc/sysvipc/msg unreadable. */
  sysvQueues?: SysvQueue[] | null;
  ipcOwner?: boolean;
  sysAdmin?: boolean;
  /** With initialUserNs false: the uid that created the target's user namespace. */
  usernsOwner?: number;
  /** Other IPC namespaces; default: none, and nothing hidden. */
  otherNamespaces?: Snapshot['otherNamespaces'] | null;
  measurement?: Snapshot['measurement'];
  /** The IPC namespace belongs to a user namespace unrelated to the target's, with these maps ([inside, outside, count]). */
  ipcOwnerOther?: { uid: Array<[number, number, number]>; gid: Array<[number, number, number]> };
  userName?: string;
  /** The systemd service the target runs in. */
  unit?: string;
  /** Where the target stands: a login (loginuid), container markers, a writable /proc/sys. */
  surroundings?: Surroundings;
}

export function sysvQueue(key: number, msqid: number, uid: number, qbytes: number | null, o: Partial<SysvQueue> = {}): SysvQueue {
  return { key, msqid, mode: 0o600, bytes: 0, messages: 0, uid, gid: uid, cuid: uid, cgid: uid, qbytes: qbytes === null ? na('msgctl failed') : ok(qbytes), ...o };
}

export function queue(name: string, uid: number, maxmsg: number, msgsize: number, mode = 0o600, curmsgs = 0): QueueInfo {
  return { name, uid, gid: uid, mode, qsize: ok(0), attr: ok({ maxmsg, msgsize, curmsgs }) };
}

export const USER_INIT = 0xeffffffd;
export const USERNS_C = 4026532400;
const INIT_USERNS = { inode: USER_INIT, initial: true, ownerUid: ok(0), parent: ok(null) };

export function snapshot(o: Overrides = {}): Snapshot {
  const uid = o.uid ?? 0;
  const initialUserNs = o.initialUserNs ?? true;
  const sysResourceBit = o.sysResource ?? false;
  return {
    schemaVersion: 2,
    takenAt: '2026-11-21T00:00:00.000Z',
    origin: 'test',
    kernel: { release: ok(o.release ?? '6.18.44'), wordBits: ok(o.wordBits ?? 64), machine: ok(o.wordBits === 32 ? 'i686' : 'x86_64') },
    mqueue: {
      msg_max: ok(o.msg_max ?? 10),
      msgsize_max: ok(o.msgsize_max ?? 8192),
      queues_max: ok(o.queues_max ?? 256),
      msg_default: ok(o.msg_default ?? 10),
      msgsize_default: ok(o.msgsize_default ?? 8192),
    },
    sysv: { msgmax: ok(o.msgmax ?? 8192), msgmnb: ok(o.msgmnb ?? 16384), msgmni: ok(o.msgmni ?? 32000) },
    sysvQueues: o.sysvQueues === null ? na('/proc/sysvipc/msg: permission denied') : ok(o.sysvQueues ?? []),
    sysctlSource: '/proc/sys (this IPC namespace)',
    target: {
      pid: 4242,
      self: o.self ?? true,
      command: ok('app'),
      credentials: ok({ realUid: uid, effectiveUid: uid, fsUid: uid, effectiveGid: uid, fsGid: uid, groups: o.groups ?? [] }),
      rlimitMsgqueue: ok({ value: { soft: o.soft ?? 819200, hard: o.hard ?? 819200 }, source: '/proc/self/limits' }),
      rlimitNofile: ok({ value: { soft: o.nofileSoft ?? 1024, hard: 4096 }, source: '/proc/self/limits' }),
      descriptors: ok({ open: o.fds ?? ((o.self ?? true) ? [0, 1, 2] : [0, 1, 2, 3, 4]), maybe: o.maybeFds ?? [], source: '/proc/self/fd' }),
      capabilities: ok({
        sysResourceInOwnNs: sysResourceBit,
        dacOverride: o.dacOverride ?? uid === 0,
        dacReadSearch: o.dacOverride ?? uid === 0,
        ipcOwner: o.ipcOwner ?? uid === 0,
        sysAdmin: o.sysAdmin ?? uid === 0,
        initialUserNs,
        sysResource: sysResourceBit && initialUserNs,
      }),
      ipcNamespace: ok({ inode: o.privateIpc ? 4026532300 : 4026531839, initial: !o.privateIpc }),
      userNamespace: ok({ inode: initialUserNs ? USER_INIT : USERNS_C, initial: initialUserNs }),
      userNamespaceChain: ok(initialUserNs ? [INIT_USERNS] : [{ inode: USERNS_C, initial: false, ownerUid: ok(o.usernsOwner ?? 1000), parent: ok(USER_INIT) }, INIT_USERNS]),
      ipcOwner: o.ipcOwnerOther
        ? ok({ userNs: 4026532555, relation: 'other', uidMap: ok(o.ipcOwnerOther.uid.map(([inside, outside, count]) => ({ inside, outside, count }))), gidMap: ok(o.ipcOwnerOther.gid.map(([inside, outside, count]) => ({ inside, outside, count }))) })
        : ok({ userNs: initialUserNs ? USER_INIT : USERNS_C, relation: 'same', uidMap: na('not needed'), gidMap: na('not needed') }),
      libc: ok(o.libc ?? 'glibc'),
      userName: ok(o.userName ?? (uid === 0 ? 'root' : `user${uid}`)),
      systemdUnit: o.unit ? ok(o.unit) : na('not running in a systemd service'),
      ...(o.surroundings ? { surroundings: ok(o.surroundings) } : {}),
    },
    queues: o.queues === null ? na('no mqueue filesystem is mounted') : ok({ mountPath: '/dev/mqueue', queues: o.queues ?? [] }),
    ...(o.otherNamespaces === null ? {} : { otherNamespaces: o.otherNamespaces ?? ok({ namespaces: [], userNamespaces: [], gaps: [] }) }),
    ...(o.measurement ? { measurement: o.measurement } : {}),
    nativeAddon: ok('loaded'),
  };
}
