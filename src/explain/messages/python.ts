// CPython's OSError: str() is "[Errno N] <strerror>" (": '<filename>'" after it when
// there is one). Bindings that pass an errno on with PyErr_SetFromErrno (posix_ipc and
// sysv_ipc for the errnos they do not name) print it this way.
// Source: python/cpython Objects/exceptions.c (OSError_str).
import type { MessageTable } from './types.js';

export const PYTHON: MessageTable = {
  library: 'Python OSError',
  entries: [
    {
      id: 'python/oserror-errno',
      library: 'Python OSError',
      pattern: /\[Errno (\d+)\]/,
      capture: 'number',
      errnos: [],
      calls: [],
      source: 'python/cpython Objects/exceptions.c OSError_str',
      example: 'OSError: [Errno 24] Too many open files',
    },
  ],
};
