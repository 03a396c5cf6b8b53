// crun: rlimits are set with setrlimit(2) in the container process
// ("setrlimit `RLIMIT_…`: <strerror>"); IPC sysctls need the container's own IPC namespace.
// Sources: containers/crun src/libcrun/linux.c (libcrun_set_rlimits, and the sysctl
// validation that fails with "the sysctl `%s` requires a new %s namespace"),
// src/libcrun/error.c (a message and strerror joined by ": ").
import type { MessageTable } from './types.js';

const LIB = 'crun';

export const CRUN: MessageTable = {
  library: LIB,
  entries: [
    {
      id: 'crun/rlimit-msgqueue',
      library: LIB,
      pattern: /setrlimit `RLIMIT_MSGQUEUE`/,
      errnos: ['EPERM', 'EINVAL'],
      narrowedByText: true,
      calls: ['setrlimit(RLIMIT_MSGQUEUE)'],
      source: 'containers/crun src/libcrun/linux.c libcrun_set_rlimits',
      example: 'crun: setrlimit `RLIMIT_MSGQUEUE`: Operation not permitted: OCI permission denied',
    },
    {
      id: 'crun/rlimit-nofile',
      library: LIB,
      pattern: /setrlimit `RLIMIT_NOFILE`/,
      errnos: ['EPERM', 'EINVAL'],
      narrowedByText: true,
      calls: ['setrlimit(RLIMIT_NOFILE)'],
      source: 'containers/crun src/libcrun/linux.c libcrun_set_rlimits',
      example: 'crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied',
    },
    {
      id: 'crun/ipc-sysctl-needs-ipc-ns',
      library: LIB,
      pattern: /the sysctl `(?:fs[./]mqueue[./][a-z_]+|kernel[./]msg[a-z]+)` requires a new IPC namespace/,
      errnos: ['none'],
      calls: ['container sysctl'],
      source: 'containers/crun src/libcrun/linux.c (sysctl validation)',
      example: 'crun: the sysctl `fs.mqueue.msg_max` requires a new IPC namespace: OCI runtime error',
    },
  ],
};
