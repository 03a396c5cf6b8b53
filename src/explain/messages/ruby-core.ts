// Ruby's SystemCallError: Errno::E<NAME> with the message "<strerror> - <detail>", as
// rb_sys_fail() raises it in every C extension (posix-mqueue, sysvmq).
// Source: ruby/ruby error.c (syserr_initialize; rb_sys_fail).
import type { MessageTable } from './types.js';

export const RUBY_CORE: MessageTable = {
  library: 'Ruby Errno',
  entries: [
    {
      id: 'ruby/errno-class',
      library: 'Ruby Errno',
      pattern: /\bErrno::(E[A-Z0-9]+)\b/,
      capture: 'name',
      errnos: [],
      calls: [],
      source: 'ruby/ruby error.c syserr_initialize',
      example: 'Errno::ENOSPC: No space left on device - Failed opening the message queue.',
    },
  ],
};
