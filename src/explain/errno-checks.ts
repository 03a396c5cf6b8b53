// Which mq-doctor checks can make a call fail with an errno (shared/reference/kernel-facts.md):
// the mq_open checks of src/model/predict-mq-open.ts (CHECK_IDS), the System V steps
// of src/model/predict-sysv.ts (msgget, msgctl(IPC_SET), msgsnd), and the rlimits a
// container runtime sets. An errno no check models still gets its meaning.
import type { CheckId, SysvCheckId } from '../model/types.js';
import type { ErrnoName } from './errnos.js';

export const CALLS = [
  'mq_open',
  'mq_send',
  'mq_receive',
  'mq_unlink',
  'mq_close',
  'mq_notify',
  'msgget',
  'msgsnd',
  'msgrcv',
  'msgctl',
  'setrlimit(RLIMIT_MSGQUEUE)',
  'setrlimit(RLIMIT_NOFILE)',
  'container sysctl',
] as const;
export type Call = (typeof CALLS)[number];

/** How a call is named in messages and system-call traces (mq_timedsend is mq_send with a deadline). */
export const CALL_NAMES: Readonly<Record<string, Call>> = {
  mq_open: 'mq_open',
  mq_send: 'mq_send',
  mq_timedsend: 'mq_send',
  mq_receive: 'mq_receive',
  mq_timedreceive: 'mq_receive',
  mq_unlink: 'mq_unlink',
  mq_close: 'mq_close',
  mq_getattr: 'mq_close',
  mq_notify: 'mq_notify',
  msgget: 'msgget',
  msgsnd: 'msgsnd',
  msgrcv: 'msgrcv',
  msgctl: 'msgctl',
};

export const CALL_TITLES: Record<Call, string> = {
  mq_open: 'mq_open',
  mq_send: 'mq_send / mq_timedsend',
  mq_receive: 'mq_receive / mq_timedreceive',
  mq_unlink: 'mq_unlink',
  mq_close: 'mq_close / mq_getattr',
  mq_notify: 'mq_notify',
  msgget: 'msgget',
  msgsnd: 'msgsnd',
  msgrcv: 'msgrcv',
  msgctl: 'msgctl',
  'setrlimit(RLIMIT_MSGQUEUE)': "setrlimit/prlimit(RLIMIT_MSGQUEUE) by the container runtime",
  'setrlimit(RLIMIT_NOFILE)': "setrlimit/prlimit(RLIMIT_NOFILE) by the container runtime",
  'container sysctl': "the container runtime's sysctl settings",
};

export const RUNTIME_CHECK_IDS = ['RUNTIME-RLIMIT-MSGQUEUE', 'RUNTIME-RLIMIT-NOFILE'] as const;
export type RuntimeCheckId = (typeof RUNTIME_CHECK_IDS)[number];

/** The request a check needs to say anything, beyond the flags given. */
export interface RefFlags {
  /** O_EXCL / IPC_EXCL: the errno only arises with it. */
  exclusive?: true;
  /** No O_CREAT / IPC_CREAT. */
  create?: false;
}

/**
 * role "cause": the check makes the call fail with this errno when it fails;
 * "context": it shows the value the errno depends on (a queue's mq_msgsize for EMSGSIZE).
 */
export type CheckRef =
  | { kind: 'mq_open'; id: CheckId; role: 'cause' | 'context'; when: string; flags?: RefFlags; needsName?: true }
  | { kind: 'sysv'; id: SysvCheckId; role: 'cause' | 'context'; when: string; flags?: RefFlags; needsKey?: true; needsQbytes?: true }
  | { kind: 'runtime'; id: RuntimeCheckId; role: 'cause'; when: string };

export interface ErrnoMeaning {
  /** What the errno means for this call, whether or not a check models it. */
  meaning: string;
  checks: CheckRef[];
}

/** 'none': the library refused by itself, before any system call (no errno). */
export type ErrnoKey = ErrnoName | 'none';

const mq = (id: CheckId, when: string, extra: Partial<Extract<CheckRef, { kind: 'mq_open' }>> = {}): CheckRef => ({ kind: 'mq_open', id, role: 'cause', when, ...extra });
const sv = (id: SysvCheckId, when: string, extra: Partial<Extract<CheckRef, { kind: 'sysv' }>> = {}): CheckRef => ({ kind: 'sysv', id, role: 'cause', when, ...extra });
const DEFAULT_ATTR = (what: string): CheckRef => mq('MQ-DEFAULT-ATTR', what, { role: 'context' });
const RUNTIME_WHO =
  'The container runtime sets the container\'s limits before it starts the application; raising a hard limit above its own needs CAP_SYS_RESOURCE in the initial user namespace, which rootless Podman/Docker and runtimes in a user namespace never have.';

export const ERRNO_CHECKS: Readonly<Record<Call, Partial<Record<ErrnoKey, ErrnoMeaning>>>> = {
  mq_open: {
    EINVAL: {
      meaning: 'mq_open refused the name (glibc), the access mode or the mq_attr.',
      checks: [
        mq('MQ-NAME', 'glibc refuses a name without the leading "/"', { needsName: true }),
        mq('MQ-ATTR', 'mq_maxmsg or mq_msgsize is 0 or negative, over fs.mqueue.msg_max / msgsize_max without CAP_SYS_RESOURCE, or over the kernel\'s hard caps'),
      ],
    },
    ENOENT: {
      meaning: 'the name is empty ("/"), or the queue does not exist and O_CREAT was not given.',
      checks: [
        mq('MQ-NAME', 'the name "/" is empty once libc strips the slash', { needsName: true }),
        mq('MQ-EXISTING', 'the queue does not exist and O_CREAT was not given', { needsName: true, flags: { create: false } }),
      ],
    },
    ENAMETOOLONG: {
      meaning: 'the name is longer than the kernel takes.',
      checks: [
        mq('MQ-NAME', 'the name is 4096 bytes or more', { needsName: true }),
        mq('MQ-LOOKUP', 'more than 255 bytes after the "/"', { needsName: true }),
      ],
    },
    EMFILE: {
      meaning: 'two different limits: out of descriptors (RLIMIT_NOFILE) or out of queue memory (RLIMIT_MSGQUEUE, since Linux 2.6.38).',
      checks: [
        mq('MQ-DESCRIPTOR', 'the lowest free descriptor number is at or over the soft RLIMIT_NOFILE'),
        mq('MQ-RLIMIT-MSGQUEUE', "the new queue's memory would take the creator's uid over its soft RLIMIT_MSGQUEUE"),
      ],
    },
    ENFILE: { meaning: 'the system-wide table of open files is full (fs.file-max); no message-queue limit is involved.', checks: [] },
    ENOMEM: {
      meaning: 'out of kernel memory, or, on kernels before 2.6.38, over RLIMIT_MSGQUEUE (which now answers EMFILE).',
      checks: [mq('MQ-RLIMIT-MSGQUEUE', 'before Linux 2.6.38 the queue-memory limit answered ENOMEM')],
    },
    EACCES: {
      meaning: 'the name is not a single component, or the existing queue\'s mode does not grant the access asked for.',
      checks: [
        mq('MQ-LOOKUP', '"." , ".." or a further "/" in the name', { needsName: true }),
        mq('MQ-EXISTING', "the existing queue's owner and mode deny this access", { needsName: true }),
      ],
    },
    EEXIST: {
      meaning: 'the queue exists and O_CREAT|O_EXCL was given.',
      checks: [mq('MQ-EXISTING', 'the queue exists and O_EXCL was given', { needsName: true, flags: { exclusive: true } })],
    },
    ENOSPC: {
      meaning: 'the IPC namespace holds fs.mqueue.queues_max queues already (all users count; CAP_SYS_RESOURCE lifts it).',
      checks: [mq('MQ-QUEUES-MAX', 'the queues in this IPC namespace reach fs.mqueue.queues_max')],
    },
    EOVERFLOW: {
      meaning: "the caller's fsuid/fsgid has no mapping in the user namespace that owns the IPC namespace, or the queue's size overflows.",
      checks: [
        mq('MQ-ID-MAPPING', 'fsuid or fsgid unmapped in the IPC namespace\'s owner (host root after nsenter into a rootless container)'),
        mq('MQ-OVERFLOW', 'maxmsg × msgsize overflows the kernel\'s size computation'),
      ],
    },
    ENOSYS: { meaning: 'the kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE off), or a seccomp filter refuses the call.', checks: [] },
    none: {
      meaning: 'the library refused the request itself, before calling mq_open.',
      checks: [mq('MQ-ATTR', 'the attr the library passes must fit fs.mqueue.msg_max / msgsize_max')],
    },
  },
  mq_send: {
    EMSGSIZE: {
      meaning: "the message is longer than the queue's mq_msgsize, fixed when the queue was created (attr NULL: the namespace default).",
      checks: [DEFAULT_ATTR('what a queue created with attr NULL holds here: its mq_msgsize is the largest message')],
    },
    EAGAIN: {
      meaning: 'the queue is full (mq_maxmsg messages) and it was opened O_NONBLOCK: a receiver must drain it, or create it with a larger mq_maxmsg.',
      checks: [DEFAULT_ATTR('what a queue created with attr NULL holds here: mq_maxmsg messages')],
    },
    ETIMEDOUT: {
      meaning: 'mq_timedsend waited until its deadline on a full queue.',
      checks: [DEFAULT_ATTR('what a queue created with attr NULL holds here: mq_maxmsg messages')],
    },
    EBADF: { meaning: 'the descriptor is not open for writing (O_RDONLY) or is not a queue.', checks: [] },
    EINVAL: { meaning: 'the priority is 32768 (MQ_PRIO_MAX) or more, or the timeout is invalid.', checks: [] },
    EINTR: { meaning: 'a signal interrupted the wait.', checks: [] },
    none: {
      meaning: "the library refused the message itself: it is larger than the queue's mq_msgsize as the library knows it.",
      checks: [DEFAULT_ATTR('what a queue created with attr NULL holds here')],
    },
  },
  mq_receive: {
    EMSGSIZE: {
      meaning: "the buffer is smaller than the queue's mq_msgsize (even when the message itself is smaller).",
      checks: [DEFAULT_ATTR('what a queue created with attr NULL holds here: the buffer needs mq_msgsize bytes')],
    },
    EAGAIN: { meaning: 'the queue is empty and it was opened O_NONBLOCK.', checks: [] },
    ETIMEDOUT: { meaning: 'mq_timedreceive waited until its deadline on an empty queue.', checks: [] },
    EBADF: { meaning: 'the descriptor is not open for reading (O_WRONLY) or is not a queue.', checks: [] },
    EINVAL: { meaning: 'the timeout is invalid.', checks: [] },
    EINTR: { meaning: 'a signal interrupted the wait.', checks: [] },
  },
  mq_unlink: {
    ENOENT: { meaning: 'no queue has that name (in this IPC namespace).', checks: [] },
    EACCES: { meaning: "the caller may not remove the queue (someone else's: the kernel says EPERM, libc reports EACCES).", checks: [] },
    ENAMETOOLONG: { meaning: 'the name is too long.', checks: [] },
  },
  mq_close: {
    EBADF: { meaning: 'the descriptor is not an open queue (closed already, or never opened).', checks: [] },
  },
  mq_notify: {
    EBUSY: { meaning: 'another process is already registered for notification on this queue.', checks: [] },
  },
  msgget: {
    ENOSPC: {
      meaning: 'the IPC namespace holds kernel.msgmni System V queues already.',
      checks: [sv('SYSV-MSGMNI', 'the System V queues in this IPC namespace reach kernel.msgmni')],
    },
    EEXIST: {
      meaning: 'a queue with that key exists and IPC_CREAT|IPC_EXCL was given.',
      checks: [sv('SYSV-KEY', 'the key names a queue already and IPC_EXCL was given', { needsKey: true, flags: { exclusive: true } })],
    },
    ENOENT: {
      meaning: 'no queue has that key and IPC_CREAT was not given.',
      checks: [sv('SYSV-KEY', 'no queue has the key and IPC_CREAT was not given', { needsKey: true, flags: { create: false } })],
    },
    EACCES: {
      meaning: "the existing queue's mode does not grant the permissions msgget asks for.",
      checks: [sv('SYSV-KEY', "the existing queue's owner and mode deny what msgflg asks for", { needsKey: true })],
    },
    ENOMEM: { meaning: 'out of kernel memory.', checks: [] },
  },
  msgsnd: {
    EINVAL: {
      meaning: 'the message is larger than kernel.msgmax (or mtype < 1, or the msqid is not a queue).',
      checks: [sv('SYSV-MSGSIZE', 'the message size is negative'), sv('SYSV-MSGMAX', 'the message is larger than kernel.msgmax')],
    },
    EAGAIN: {
      meaning: 'the message does not fit in the queue (bytes and message count are both bounded by msg_qbytes) and IPC_NOWAIT was given.',
      checks: [sv('SYSV-CAPACITY', "the queue's msg_qbytes (kernel.msgmnb for a new queue) cannot take the message")],
    },
    EACCES: {
      meaning: 'the caller may not write to the queue.',
      checks: [sv('SYSV-WRITE', "the queue's owner and mode deny writing")],
    },
    EIDRM: { meaning: 'the queue was removed (msgctl IPC_RMID) while the sender waited.', checks: [] },
    EFAULT: { meaning: 'the message buffer address is not accessible (a bug in the caller).', checks: [] },
    EINTR: { meaning: 'a signal interrupted the wait.', checks: [] },
    ENOMEM: { meaning: 'out of kernel memory for the message.', checks: [] },
    none: {
      meaning: 'the library refused the message itself: it is larger than the buffer or queue size the library was given.',
      checks: [
        sv('SYSV-MSGMAX', 'the kernel takes messages up to kernel.msgmax', { role: 'context' }),
        sv('SYSV-CAPACITY', 'a new queue holds msg_qbytes = kernel.msgmnb bytes', { role: 'context' }),
      ],
    },
  },
  msgctl: {
    EPERM: {
      meaning: 'IPC_SET asked for msg_qbytes above kernel.msgmnb without CAP_SYS_RESOURCE, or the caller is neither owner nor creator.',
      checks: [
        sv('SYSV-MSGMNB', 'msg_qbytes above kernel.msgmnb without CAP_SYS_RESOURCE', { needsQbytes: true }),
        sv('SYSV-OWNER', 'only the owner, the creator or CAP_SYS_ADMIN may IPC_SET', { needsKey: true, needsQbytes: true }),
      ],
    },
    EACCES: {
      meaning: 'IPC_STAT (which IPC_SET needs first) requires read permission.',
      checks: [sv('SYSV-IPC-STAT', 'the queue\'s mode denies reading it (IPC_STAT)', { needsQbytes: true })],
    },
    EINVAL: { meaning: 'the msqid is not a queue (removed?) or the command is invalid.', checks: [] },
    EIDRM: { meaning: 'the queue was removed.', checks: [] },
  },
  msgrcv: {
    E2BIG: {
      meaning: 'the message is longer than the buffer (msgsz) and MSG_NOERROR was not given.',
      checks: [sv('SYSV-MSGMAX', 'a message can be up to kernel.msgmax bytes: a buffer that large always fits', { role: 'context' })],
    },
    ENOMSG: { meaning: 'no message of the requested type, and IPC_NOWAIT was given.', checks: [] },
    EIDRM: { meaning: 'the queue was removed while the receiver waited.', checks: [] },
    EACCES: { meaning: 'the caller may not read the queue.', checks: [] },
    EINVAL: { meaning: 'the msqid is not a queue, or msgsz is negative.', checks: [] },
    EINTR: { meaning: 'a signal interrupted the wait.', checks: [] },
  },
  'setrlimit(RLIMIT_MSGQUEUE)': {
    EPERM: {
      meaning: `the container asks for a hard RLIMIT_MSGQUEUE above the runtime's own. ${RUNTIME_WHO}`,
      checks: [{ kind: 'runtime', id: 'RUNTIME-RLIMIT-MSGQUEUE', role: 'cause', when: 'the hard RLIMIT_MSGQUEUE a runtime started from here inherits' }],
    },
    EINVAL: { meaning: 'the container asks for a soft limit above its hard limit (--ulimit msgqueue=SOFT:HARD).', checks: [] },
    ESRCH: { meaning: 'the process whose limits were to be set exited first.', checks: [] },
  },
  'setrlimit(RLIMIT_NOFILE)': {
    EPERM: {
      meaning: `the container asks for a hard RLIMIT_NOFILE above the runtime's own (or above fs.nr_open). ${RUNTIME_WHO}`,
      checks: [{ kind: 'runtime', id: 'RUNTIME-RLIMIT-NOFILE', role: 'cause', when: 'the hard RLIMIT_NOFILE a runtime started from here inherits' }],
    },
    EINVAL: { meaning: 'the container asks for a soft limit above its hard limit (--ulimit nofile=SOFT:HARD).', checks: [] },
    ESRCH: { meaning: 'the process whose limits were to be set exited first.', checks: [] },
  },
  'container sysctl': {
    none: {
      meaning:
        'fs.mqueue.* and kernel.msg* are per IPC namespace: the runtime sets them only in a container with its own IPC namespace (not --ipc=host). Drop --ipc=host, or set the value on the host instead.',
      checks: [],
    },
  },
};

/** The calls that can return errno, in CALLS order (for a message that names no call). */
export function callsFor(errno: ErrnoKey): Call[] {
  return CALLS.filter((c) => ERRNO_CHECKS[c][errno] !== undefined);
}
