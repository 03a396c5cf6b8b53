// Ruby posix-mqueue (POSIX::Mqueue), read in sirupsen/posix-mqueue ext/posix/mqueue.c.
// Failures go through rb_sys_fail(msg): Ruby prints "<strerror> - <msg>" as
// Errno::E…, so the errno is in the same text (ruby-core.ts, glibc.ts); the message
// says which call failed.
import type { MessageEntry, MessageTable } from './types.js';

const LIB = 'posix-mqueue (Ruby)';
const SRC = (fn: string) => `sirupsen/posix-mqueue ext/posix/mqueue.c ${fn}`;

const entries: MessageEntry[] = [
  {
    id: 'posix-mqueue/mq_open',
    library: LIB,
    pattern: 'Failed opening the message queue, please consult mq_open(3)',
    errnos: ['EACCES', 'EINVAL', 'EMFILE', 'ENAMETOOLONG', 'ENFILE', 'ENOENT', 'ENOMEM', 'ENOSPC', 'EOVERFLOW'],
    narrowedByText: true,
    calls: ['mq_open'],
    note: 'POSIX::Mqueue.new(name, msgsize: 4096, maxmsg: 10) by default: pass the same values with --maxmsg/--msgsize.',
    source: SRC('posix_mqueue_initialize'),
    example: 'Too many open files - Failed opening the message queue, please consult mq_open(3) (Errno::EMFILE)',
  },
  {
    id: 'posix-mqueue/mq_send',
    library: LIB,
    pattern: 'Message sending failed, please consult mq_send(3)',
    errnos: ['EAGAIN', 'EBADF', 'EINTR', 'EINVAL', 'EMSGSIZE', 'ETIMEDOUT'],
    narrowedByText: true,
    // posix_mqueue_timedreceive reports its failures with this text too.
    calls: ['mq_send', 'mq_receive'],
    source: SRC('posix_mqueue_send, posix_mqueue_timedsend, posix_mqueue_timedreceive'),
    example: 'Message too long - Message sending failed, please consult mq_send(3) (Errno::EMSGSIZE)',
  },
  {
    id: 'posix-mqueue/mq_receive',
    library: LIB,
    pattern: 'Message retrieval failed, please consult mq_receive(3)',
    errnos: ['EAGAIN', 'EBADF', 'EINTR', 'EINVAL', 'EMSGSIZE'],
    narrowedByText: true,
    calls: ['mq_receive'],
    source: SRC('posix_mqueue_receive'),
    example: 'Bad file descriptor - Message retrieval failed, please consult mq_receive(3) (Errno::EBADF)',
  },
  {
    id: 'posix-mqueue/mq_getattr',
    library: LIB,
    pattern: 'Failed reading queue attributes, please consult mq_getattr(3)',
    errnos: ['EBADF'],
    narrowedByText: true,
    calls: ['mq_close'],
    source: SRC('posix_mqueue_size, posix_mqueue_msgsize'),
    example: 'Bad file descriptor - Failed reading queue attributes, please consult mq_getattr(3) (Errno::EBADF)',
  },
  {
    id: 'posix-mqueue/mq_unlink',
    library: LIB,
    pattern: 'Message queue unlinking failed, please consume mq_unlink(3)',
    errnos: ['EACCES', 'ENAMETOOLONG', 'ENOENT'],
    narrowedByText: true,
    calls: ['mq_unlink'],
    source: SRC('posix_mqueue_unlink'),
    example: 'No such file or directory - Message queue unlinking failed, please consume mq_unlink(3) (Errno::ENOENT)',
  },
  {
    id: 'posix-mqueue/queue-full',
    library: LIB,
    pattern: 'Queue full, most likely you want to bump /proc/sys/fs/mqueue/msg_max',
    errnos: ['ETIMEDOUT'],
    calls: ['mq_send'],
    note: "fs.mqueue.msg_max only caps the maxmsg a queue may be created with: the queue keeps the maxmsg it was created with (posix-mqueue's default 10) until it is unlinked and created again with a larger one.",
    source: SRC('posix_mqueue_timedsend'),
    example:
      'POSIX::Mqueue::QueueFull: Queue full, most likely you want to bump /proc/sys/fs/mqueue/msg_max from the default maximum queue size of 10.',
  },
  {
    id: 'posix-mqueue/queue-empty',
    library: LIB,
    pattern: /\bQueue empty\b/,
    errnos: ['ETIMEDOUT'],
    calls: ['mq_receive'],
    source: SRC('posix_mqueue_timedreceive'),
    example: 'POSIX::Mqueue::QueueEmpty: Queue empty',
  },
];

export const RUBY_POSIX_MQUEUE: MessageTable = { library: LIB, entries };
