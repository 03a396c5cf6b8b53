// Go: syscall.Errno and golang.org/x/sys/unix.Errno print the errno in lower case,
// "too many open files", usually behind the call as os.NewSyscallError wraps it
// ("msgget: no space left on device"). The texts below are the ones of
// golang/sys unix/zerrors_linux_amd64.go (errorList; arm64's list is the same for these);
// test/explain/messages.test.ts checks that each is glibc's text in lower case.
import type { ErrnoName } from '../errnos.js';
import type { MessageTable } from './types.js';
import { phrase } from './util.js';

/** [errno, number, text] as errorList has them. */
export const GO_ERRNO_TEXTS: ReadonlyArray<readonly [ErrnoName, number, string]> = [
  ['EPERM', 1, 'operation not permitted'],
  ['ENOENT', 2, 'no such file or directory'],
  ['ESRCH', 3, 'no such process'],
  ['EINTR', 4, 'interrupted system call'],
  ['E2BIG', 7, 'argument list too long'],
  ['EBADF', 9, 'bad file descriptor'],
  ['EAGAIN', 11, 'resource temporarily unavailable'],
  ['ENOMEM', 12, 'cannot allocate memory'],
  ['EACCES', 13, 'permission denied'],
  ['EFAULT', 14, 'bad address'],
  ['EBUSY', 16, 'device or resource busy'],
  ['EEXIST', 17, 'file exists'],
  ['EINVAL', 22, 'invalid argument'],
  ['ENFILE', 23, 'too many open files in system'],
  ['EMFILE', 24, 'too many open files'],
  ['ENOSPC', 28, 'no space left on device'],
  ['ENAMETOOLONG', 36, 'file name too long'],
  ['ENOSYS', 38, 'function not implemented'],
  ['ENOMSG', 42, 'no message of desired type'],
  ['EIDRM', 43, 'identifier removed'],
  ['EOVERFLOW', 75, 'value too large for defined data type'],
  ['EMSGSIZE', 90, 'message too long'],
  ['ETIMEDOUT', 110, 'connection timed out'],
];

/** A call that returns each errno, for the examples ("msgget: no space left on device"). */
const SYSCALL: Partial<Record<ErrnoName, string>> = {
  EPERM: 'msgctl',
  ENOENT: 'msgget',
  ESRCH: 'prlimit',
  EINTR: 'msgrcv',
  E2BIG: 'msgrcv',
  EBADF: 'mq_timedsend',
  EAGAIN: 'msgsnd',
  ENOMEM: 'msgget',
  EACCES: 'msgget',
  EFAULT: 'msgsnd',
  EBUSY: 'mq_notify',
  EEXIST: 'msgget',
  EINVAL: 'msgsnd',
  ENFILE: 'mq_open',
  EMFILE: 'mq_open',
  ENOSPC: 'msgget',
  ENAMETOOLONG: 'mq_open',
  ENOSYS: 'mq_open',
  ENOMSG: 'msgrcv',
  EIDRM: 'msgsnd',
  EOVERFLOW: 'mq_open',
  EMSGSIZE: 'mq_timedsend',
  ETIMEDOUT: 'mq_timedsend',
};

export const GO: MessageTable = {
  library: 'Go syscall / x/sys/unix',
  entries: GO_ERRNO_TEXTS.map(([errno, , text]) => ({
    id: `go/${errno.toLowerCase()}`,
    library: 'Go syscall / x/sys/unix',
    // Lower case as Go prints it (glibc.ts matches any case).
    pattern: new RegExp(phrase(text)),
    errnos: [errno],
    calls: [],
    source: 'golang/sys unix/zerrors_linux_amd64.go errorList',
    example: `${SYSCALL[errno] ?? 'syscall'}: ${text}`,
  })),
};
