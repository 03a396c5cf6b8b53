// Ruby sysvmq (SysVMQ), read in sirupsen/sysvmq ext/sysvmq.c. Failures go through
// rb_sys_fail(msg): "<strerror> - <msg>" as Errno::E… (ruby-core.ts, glibc.ts).
import type { MessageEntry, MessageTable } from './types.js';

const LIB = 'sysvmq (Ruby)';
const SRC = (fn: string) => `sirupsen/sysvmq ext/sysvmq.c ${fn}`;

const entries: MessageEntry[] = [
  {
    id: 'sysvmq/msgget',
    library: LIB,
    // posix-mqueue's mq_open text goes on with ", please consult": this one ends with the dot.
    pattern: /Failed opening the message queue\.(?!\w)/,
    errnos: ['EACCES', 'EEXIST', 'ENOENT', 'ENOMEM', 'ENOSPC'],
    narrowedByText: true,
    calls: ['msgget'],
    source: SRC('sysvmq_initialize'),
    example: 'No space left on device - Failed opening the message queue. (Errno::ENOSPC)',
  },
  {
    id: 'sysvmq/msgsnd',
    library: LIB,
    pattern: 'Failed sending message to queue',
    errnos: ['EACCES', 'EAGAIN', 'EFAULT', 'EIDRM', 'EINTR', 'EINVAL', 'ENOMEM'],
    narrowedByText: true,
    calls: ['msgsnd'],
    source: SRC('sysvmq_send'),
    example: 'Invalid argument - Failed sending message to queue',
  },
  {
    id: 'sysvmq/msgrcv',
    library: LIB,
    pattern: 'Failed receiving message from queue',
    errnos: ['E2BIG', 'EACCES', 'EFAULT', 'EIDRM', 'EINTR', 'EINVAL', 'ENOMSG'],
    narrowedByText: true,
    calls: ['msgrcv'],
    note: "sysvmq receives into its own buffer (SysVMQ.new(key, BUFFER_SIZE, flags)): E2BIG means a message larger than that buffer.",
    source: SRC('sysvmq_receive'),
    example: 'Argument list too long - Failed receiving message from queue (Errno::E2BIG)',
  },
  {
    id: 'sysvmq/msgctl',
    library: LIB,
    pattern: 'Failed executing msgctl(2) command.',
    errnos: ['EACCES', 'EFAULT', 'EIDRM', 'EINVAL', 'EPERM'],
    narrowedByText: true,
    calls: ['msgctl'],
    source: SRC('sysvmq_stats, sysvmq_destroy'),
    example: 'Operation not permitted - Failed executing msgctl(2) command. (Errno::EPERM)',
  },
  {
    id: 'sysvmq/buffer-size',
    library: LIB,
    pattern: 'Size of message is bigger than buffer size.',
    errnos: ['none'],
    calls: ['msgsnd'],
    note: "sysvmq's own buffer (SysVMQ.new(key, BUFFER_SIZE, flags)), not a kernel limit: the kernel takes messages up to kernel.msgmax.",
    source: SRC('sysvmq_send'),
    example: 'ArgumentError: Size of message is bigger than buffer size.',
  },
];

export const RUBY_SYSVMQ: MessageTable = { library: LIB, entries };
