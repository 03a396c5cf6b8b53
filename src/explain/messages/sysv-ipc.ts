// Python sysv_ipc: the exceptions MessageQueue raises, read in osvenskan/sysv_ipc
// src/mq.c (MessageQueue_init for msgget, MessageQueue_send for msgsnd,
// MessageQueue_receive for msgrcv, get_a_value/set_a_value for msgctl IPC_STAT/IPC_SET,
// mq_remove for IPC_RMID). msgsnd's EINVAL (a message over kernel.msgmax) is not one of
// them: it arrives as "OSError: [Errno 22] Invalid argument" (python.ts).
import type { MessageEntry, MessageTable } from './types.js';

const LIB = 'sysv_ipc (Python)';
const SRC = (fn: string) => `osvenskan/sysv_ipc src/mq.c ${fn}`;
const NOT_POSIX = /posix_ipc\./;

const entries: MessageEntry[] = [
  {
    id: 'sysv_ipc/msgget-enospc',
    library: LIB,
    pattern: 'The system limit for message queues has been reached',
    errnos: ['ENOSPC'],
    calls: ['msgget'],
    note: 'The limit is kernel.msgmni, per IPC namespace.',
    source: SRC('MessageQueue_init'),
    example: 'OSError: The system limit for message queues has been reached',
  },
  {
    id: 'sysv_ipc/msgget-eexist',
    library: LIB,
    pattern: 'A queue with the specified key already exists',
    errnos: ['EEXIST'],
    calls: ['msgget'],
    source: SRC('MessageQueue_init'),
    example: 'sysv_ipc.ExistentialError: A queue with the specified key already exists',
  },
  {
    id: 'sysv_ipc/msgget-enoent',
    library: LIB,
    pattern: 'No queue exists with the specified key',
    errnos: ['ENOENT'],
    calls: ['msgget'],
    source: SRC('MessageQueue_init'),
    example: 'sysv_ipc.ExistentialError: No queue exists with the specified key',
  },
  {
    id: 'sysv_ipc/msgget-enomem',
    library: LIB,
    pattern: /MemoryError: Not enough memory/,
    unless: NOT_POSIX,
    errnos: ['ENOMEM'],
    calls: ['msgget'],
    source: SRC('MessageQueue_init'),
    example: 'MemoryError: Not enough memory',
  },
  {
    id: 'sysv_ipc/permission',
    library: LIB,
    pattern: /PermissionsError: Permission denied/,
    unless: NOT_POSIX,
    errnos: ['EACCES', 'EPERM'],
    calls: ['msgget', 'msgsnd', 'msgctl'],
    note: 'Also what msgctl(IPC_SET) answers for a max_size above kernel.msgmnb (EPERM).',
    source: SRC('MessageQueue_init, MessageQueue_send, set_a_value'),
    example: 'sysv_ipc.PermissionsError: Permission denied',
  },
  {
    id: 'sysv_ipc/msgsnd-full',
    library: LIB,
    pattern: 'The queue is full, or a system-wide limit on the number of queue messages has been reached',
    errnos: ['EAGAIN'],
    calls: ['msgsnd'],
    source: SRC('MessageQueue_send'),
    example: 'sysv_ipc.BusyError: The queue is full, or a system-wide limit on the number of queue messages has been reached',
  },
  {
    id: 'sysv_ipc/msgsnd-max-message-size',
    library: LIB,
    pattern: /The message length exceeds queue's max_message_size/,
    errnos: ['none'],
    calls: ['msgsnd'],
    note: "max_message_size is sysv_ipc's own buffer (MessageQueue(max_message_size=…), default 2048), not a kernel limit: the kernel takes messages up to kernel.msgmax.",
    source: SRC('MessageQueue_send'),
    example: "ValueError: The message length exceeds queue's max_message_size (2048)",
  },
  {
    id: 'sysv_ipc/eidrm',
    library: LIB,
    pattern: 'The queue no longer exists',
    errnos: ['EIDRM', 'EINVAL'],
    calls: ['msgsnd', 'msgrcv', 'msgctl'],
    callErrnos: { msgsnd: ['EIDRM'] },
    source: SRC('MessageQueue_send, MessageQueue_receive, get_a_value, mq_remove'),
    example: 'sysv_ipc.ExistentialError: The queue no longer exists',
  },
  {
    id: 'sysv_ipc/eintr',
    library: LIB,
    pattern: 'Signaled while waiting',
    errnos: ['EINTR'],
    calls: ['msgsnd', 'msgrcv'],
    source: SRC('MessageQueue_send, MessageQueue_receive'),
    example: 'sysv_ipc.Error: Signaled while waiting',
  },
  {
    id: 'sysv_ipc/msgrcv-enomsg',
    library: LIB,
    pattern: 'No available messages of the specified type',
    errnos: ['ENOMSG'],
    calls: ['msgrcv'],
    source: SRC('MessageQueue_receive'),
    example: 'sysv_ipc.BusyError: No available messages of the specified type',
  },
];

export const SYSV_IPC: MessageTable = { library: LIB, entries };
