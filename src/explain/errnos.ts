// The errnos `explain` knows, as Linux numbers them on x86-64 and arm64 (both use
// include/uapi/asm-generic/errno-base.h and errno.h), with glibc's strerror() text.
// Static on purpose: nothing is read from the system at import. test/explain/errnos.test.ts
// compares every row with /usr/include/asm-generic/errno*.h and with python3's
// errno module and os.strerror(), so the table cannot drift from the real ones.

export const ERRNOS = [
  { name: 'EPERM', number: 1, strerror: 'Operation not permitted' },
  { name: 'ENOENT', number: 2, strerror: 'No such file or directory' },
  { name: 'ESRCH', number: 3, strerror: 'No such process' },
  { name: 'EINTR', number: 4, strerror: 'Interrupted system call' },
  { name: 'E2BIG', number: 7, strerror: 'Argument list too long' },
  { name: 'EBADF', number: 9, strerror: 'Bad file descriptor' },
  { name: 'EAGAIN', number: 11, strerror: 'Resource temporarily unavailable' },
  { name: 'ENOMEM', number: 12, strerror: 'Cannot allocate memory' },
  { name: 'EACCES', number: 13, strerror: 'Permission denied' },
  { name: 'EFAULT', number: 14, strerror: 'Bad address' },
  { name: 'EBUSY', number: 16, strerror: 'Device or resource busy' },
  { name: 'EEXIST', number: 17, strerror: 'File exists' },
  { name: 'EINVAL', number: 22, strerror: 'Invalid argument' },
  { name: 'ENFILE', number: 23, strerror: 'Too many open files in system' },
  { name: 'EMFILE', number: 24, strerror: 'Too many open files' },
  { name: 'ENOSPC', number: 28, strerror: 'No space left on device' },
  { name: 'ENAMETOOLONG', number: 36, strerror: 'File name too long' },
  { name: 'ENOSYS', number: 38, strerror: 'Function not implemented' },
  { name: 'ENOMSG', number: 42, strerror: 'No message of desired type' },
  { name: 'EIDRM', number: 43, strerror: 'Identifier removed' },
  { name: 'EOVERFLOW', number: 75, strerror: 'Value too large for defined data type' },
  { name: 'EMSGSIZE', number: 90, strerror: 'Message too long' },
  { name: 'ETIMEDOUT', number: 110, strerror: 'Connection timed out' },
] as const;

export type ErrnoName = (typeof ERRNOS)[number]['name'];
export type ErrnoRow = (typeof ERRNOS)[number];

/** Other names the headers give the same number (asm-generic/errno.h: `#define EWOULDBLOCK EAGAIN`). */
export const ERRNO_ALIASES: Readonly<Record<string, ErrnoName>> = { EWOULDBLOCK: 'EAGAIN' };

const BY_NAME = new Map<string, ErrnoRow>(ERRNOS.map((e) => [e.name, e]));
const BY_NUMBER = new Map<number, ErrnoRow>(ERRNOS.map((e) => [e.number, e]));

export function errnoByName(name: string): ErrnoRow | undefined {
  const n = name.toUpperCase();
  return BY_NAME.get(n) ?? BY_NAME.get(ERRNO_ALIASES[n] ?? '');
}

export function errnoByNumber(n: number): ErrnoRow | undefined {
  return BY_NUMBER.get(n);
}

export const isErrnoName = (s: string): s is ErrnoName => BY_NAME.has(s);
