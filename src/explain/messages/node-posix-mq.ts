// Node.js posix-mq (npm "posix-mq"): open(), push() and shift() throw
// new Error(strerror(errno)) — the bare glibc text, no errno name or call
// (push() and shift() return false on EAGAIN instead of throwing).
// Source: mikeokner/posix-mq src/posixmq.cc (PosixMQ::Open, PosixMQ::Send, PosixMQ::Receive).
import { errnoByName, type ErrnoName } from '../errnos.js';
import type { Call } from '../errno-checks.js';
import type { MessageTable } from './types.js';
import { phrase } from './util.js';

const THROWN: ReadonlyArray<readonly [ErrnoName, readonly Call[]]> = [
  ['EACCES', ['mq_open']],
  ['EEXIST', ['mq_open']],
  ['EINVAL', ['mq_open', 'mq_send', 'mq_receive']],
  ['EMFILE', ['mq_open']],
  ['ENAMETOOLONG', ['mq_open']],
  ['ENFILE', ['mq_open']],
  ['ENOENT', ['mq_open']],
  ['ENOMEM', ['mq_open']],
  ['ENOSPC', ['mq_open']],
  ['EMSGSIZE', ['mq_send', 'mq_receive']],
  ['EBADF', ['mq_send', 'mq_receive']],
  ['EINTR', ['mq_send', 'mq_receive']],
];

export const NODE_POSIX_MQ: MessageTable = {
  library: 'posix-mq (Node.js)',
  entries: THROWN.map(([errno, calls]) => {
    const text = errnoByName(errno)!.strerror;
    return {
      id: `node-posix-mq/${errno.toLowerCase()}`,
      library: 'posix-mq (Node.js)',
      // The whole message: "Error: <strerror>", as Node prints a thrown Error (or "Uncaught Error: …").
      pattern: new RegExp(`^(?:Uncaught )?Error: ${phrase(text)}$`, 'm'),
      errnos: [errno],
      calls,
      source: 'mikeokner/posix-mq src/posixmq.cc (Open, Send, Receive)',
      example: `Error: ${text}`,
    };
  }),
};
