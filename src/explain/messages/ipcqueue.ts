// Python ipcqueue: QueueError(code) prints "<code>, <text>", where code is the
// library's own result code, not the errno (ipcqueue/posixmq.h PosixMqResult,
// ipcqueue/sysvmq.h SysVMqResult: 1 error, 2 invalid value, 3 no permissions,
// 4 no system resources, 5 invalid descriptor, 6 signal, 7 size, …). Which errnos
// fold into each code was read in seifert/ipcqueue ipcqueue/posixmq.c and
// ipcqueue/sysvmq.c (the switch (errno) of every call), the texts in
// ipcqueue/posixmq.py and ipcqueue/sysvmq.py (QueueError._errno_to_str_map).
// Both modules print the same texts: a traceback that names one decides.
import type { MessageEntry, MessageTable } from './types.js';

const LIB = 'ipcqueue (Python)';
const POSIX = (fn: string) => `seifert/ipcqueue ipcqueue/posixmq.c ${fn}`;
const SYSV = (fn: string) => `seifert/ipcqueue ipcqueue/sysvmq.c ${fn}`;
const code = (n: number, text: string) => new RegExp(`(?<![\\d.])${n}, ${text}\\b`);
const NOT_SYSV = /ipcqueue\.sysvmq|sysvmq\.QueueError/;
const NOT_POSIX = /ipcqueue\.posixmq|posixmq\.QueueError/;

const entries: MessageEntry[] = [
  {
    id: 'ipcqueue/posixmq-2-invalid-value',
    library: LIB,
    pattern: code(2, 'Invalid value'),
    unless: NOT_SYSV,
    errnos: ['EINVAL', 'ENAMETOOLONG', 'ENOENT'],
    calls: ['mq_open', 'mq_send', 'mq_receive'],
    note: 'ipcqueue.posixmq.Queue(name, maxsize=10, maxmsgsize=1024) passes maxsize as mq_maxmsg and maxmsgsize as mq_msgsize.',
    source: POSIX('posixmq_open, posixmq_put, posixmq_get'),
    example: 'ipcqueue.posixmq.QueueError: 2, Invalid value',
  },
  {
    id: 'ipcqueue/posixmq-3-no-permissions',
    library: LIB,
    pattern: code(3, 'No permissions'),
    unless: NOT_SYSV,
    errnos: ['EACCES'],
    calls: ['mq_open', 'mq_unlink'],
    source: POSIX('posixmq_open, posixmq_unlink'),
    example: 'ipcqueue.posixmq.QueueError: 3, No permissions',
  },
  {
    id: 'ipcqueue/posixmq-4-no-system-resources',
    library: LIB,
    pattern: code(4, 'No system resources'),
    unless: NOT_SYSV,
    errnos: ['EMFILE', 'ENFILE', 'ENOMEM', 'ENOSPC'],
    calls: ['mq_open'],
    note: 'Four errnos in one code: descriptors or queue memory (EMFILE), queues_max (ENOSPC), the system file table (ENFILE), memory (ENOMEM).',
    source: POSIX('posixmq_open'),
    example: 'ipcqueue.posixmq.QueueError: 4, No system resources',
  },
  {
    id: 'ipcqueue/posixmq-5-invalid-descriptor',
    library: LIB,
    pattern: code(5, 'Invalid queue descriptor'),
    unless: NOT_SYSV,
    errnos: ['EBADF'],
    calls: ['mq_close', 'mq_send', 'mq_receive'],
    source: POSIX('posixmq_close, posixmq_put, posixmq_get, posixmq_get_attr'),
    example: 'ipcqueue.posixmq.QueueError: 5, Invalid queue descriptor',
  },
  {
    id: 'ipcqueue/posixmq-6-interrupted',
    library: LIB,
    pattern: code(6, 'Interrupted by signal'),
    unless: NOT_SYSV,
    errnos: ['EINTR'],
    calls: ['mq_send', 'mq_receive'],
    source: POSIX('posixmq_put, posixmq_get'),
    example: 'ipcqueue.posixmq.QueueError: 6, Interrupted by signal',
  },
  {
    id: 'ipcqueue/posixmq-7-too-big',
    library: LIB,
    pattern: code(7, 'Data is too big'),
    unless: NOT_SYSV,
    errnos: ['EMSGSIZE'],
    calls: ['mq_send', 'mq_receive'],
    note: "The pickled item is larger than the queue's mq_msgsize (Queue(maxmsgsize=…), 1024 by default).",
    source: POSIX('posixmq_put, posixmq_get'),
    example: 'ipcqueue.posixmq.QueueError: 7, Data is too big',
  },
  {
    id: 'ipcqueue/posixmq-9-does-not-exist',
    library: LIB,
    pattern: code(9, 'Queue does not exist'),
    errnos: ['ENOENT'],
    calls: ['mq_unlink'],
    source: POSIX('posixmq_unlink'),
    example: 'ipcqueue.posixmq.QueueError: 9, Queue does not exist',
  },
  {
    id: 'ipcqueue/sysvmq-2-invalid-value',
    library: LIB,
    pattern: code(2, 'Invalid value'),
    unless: NOT_POSIX,
    errnos: ['EINVAL', 'EFAULT'],
    calls: ['msgsnd', 'msgrcv'],
    note: 'For msgsnd: a message over kernel.msgmax.',
    source: SYSV('sysvmq_put, sysvmq_get'),
    example: 'ipcqueue.sysvmq.QueueError: 2, Invalid value',
  },
  {
    id: 'ipcqueue/sysvmq-3-no-permissions',
    library: LIB,
    pattern: code(3, 'No permissions'),
    unless: NOT_POSIX,
    errnos: ['EACCES', 'EPERM'],
    calls: ['msgget', 'msgsnd', 'msgctl'],
    note: 'Also the EPERM of msgctl(IPC_SET) when Queue(max_bytes=…) is above kernel.msgmnb.',
    source: SYSV('sysvmq_open, sysvmq_put, sysvmq_set_max_bytes'),
    example: 'ipcqueue.sysvmq.QueueError: 3, No permissions',
  },
  {
    id: 'ipcqueue/sysvmq-4-no-system-resources',
    library: LIB,
    pattern: code(4, 'No system resources'),
    unless: NOT_POSIX,
    errnos: ['ENOSPC', 'ENOMEM'],
    calls: ['msgget', 'msgsnd'],
    source: SYSV('sysvmq_open, sysvmq_put'),
    example: 'ipcqueue.sysvmq.QueueError: 4, No system resources',
  },
  {
    id: 'ipcqueue/sysvmq-5-invalid-descriptor',
    library: LIB,
    pattern: code(5, 'Invalid queue descriptor'),
    unless: NOT_POSIX,
    errnos: ['EIDRM', 'EINVAL'],
    calls: ['msgsnd', 'msgrcv', 'msgctl'],
    callErrnos: { msgsnd: ['EIDRM'], msgrcv: ['EIDRM'] },
    source: SYSV('sysvmq_close, sysvmq_put, sysvmq_get, sysvmq_get_attr'),
    example: 'ipcqueue.sysvmq.QueueError: 5, Invalid queue descriptor',
  },
  {
    id: 'ipcqueue/sysvmq-6-interrupted',
    library: LIB,
    pattern: code(6, 'Interrupted by signal'),
    unless: NOT_POSIX,
    errnos: ['EINTR'],
    calls: ['msgsnd', 'msgrcv'],
    source: SYSV('sysvmq_put, sysvmq_get'),
    example: 'ipcqueue.sysvmq.QueueError: 6, Interrupted by signal',
  },
  {
    id: 'ipcqueue/sysvmq-7-too-big',
    library: LIB,
    pattern: code(7, 'Data is too big'),
    unless: NOT_POSIX,
    errnos: ['none', 'E2BIG'],
    calls: ['msgsnd', 'msgrcv'],
    note: "Before msgsnd ipcqueue itself refuses an item larger than the queue's msg_qbytes or than its 8192-byte buffer (MTEXT_BUFFER_SIZE); msgrcv answers E2BIG for a message larger than that buffer.",
    source: 'seifert/ipcqueue ipcqueue/sysvmq.py Queue.put, ipcqueue/sysvmq.c sysvmq_put, sysvmq_get',
    example: 'ipcqueue.sysvmq.QueueError: 7, Data is too big',
  },
];

export const IPCQUEUE: MessageTable = { library: LIB, entries };
