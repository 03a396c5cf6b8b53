// Every message table, one per library; `explain` matches a text against all of them.
import { CRUN } from './crun.js';
import { ERRNO_NAMES } from './errno-names.js';
import { GLIBC } from './glibc.js';
import { GO } from './go.js';
import { IPCQUEUE } from './ipcqueue.js';
import { JNA } from './jna.js';
import { NODE_POSIX_MQ } from './node-posix-mq.js';
import { POSIX_IPC } from './posix-ipc.js';
import { PYTHON } from './python.js';
import { RUBY_CORE } from './ruby-core.js';
import { RUBY_POSIX_MQUEUE } from './ruby-posix-mqueue.js';
import { RUBY_SYSVMQ } from './ruby-sysvmq.js';
import { RUNC } from './runc.js';
import { RUST } from './rust.js';
import { SYSV_IPC } from './sysv-ipc.js';
import type { MessageEntry, MessageTable } from './types.js';

export type { MessageEntry, MessageTable } from './types.js';

export const MESSAGE_TABLES: readonly MessageTable[] = [
  ERRNO_NAMES,
  GLIBC,
  PYTHON,
  RUST,
  RUBY_CORE,
  JNA,
  GO,
  POSIX_IPC,
  SYSV_IPC,
  IPCQUEUE,
  RUBY_POSIX_MQUEUE,
  RUBY_SYSVMQ,
  NODE_POSIX_MQ,
  RUNC,
  CRUN,
];

export const MESSAGES: readonly MessageEntry[] = MESSAGE_TABLES.flatMap((t) => t.entries);
