// runc: rlimits are set on the container's init with prlimit(2) before the
// application starts ("error setting rlimit type N: <go errno text>", N as
// golang.org/x/sys/unix numbers it: RLIMIT_NOFILE 7, RLIMIT_MSGQUEUE 12), usually
// wrapped as "error setting rlimits for ready process: …". IPC sysctls are refused
// for a container that shares the host's IPC namespace.
// Sources: opencontainers/runc libcontainer/init_linux.go (setupRlimits),
// libcontainer/process_linux.go, libcontainer/configs/validate/validator.go (sysctl).
import type { MessageTable } from './types.js';

const LIB = 'runc';

export const RUNC: MessageTable = {
  library: LIB,
  entries: [
    {
      id: 'runc/rlimit-msgqueue',
      library: LIB,
      pattern: /\bsetting rlimit type 12\b/,
      errnos: ['EPERM', 'EINVAL'],
      narrowedByText: true,
      calls: ['setrlimit(RLIMIT_MSGQUEUE)'],
      note: 'Type 12 is RLIMIT_MSGQUEUE (docker/podman --ulimit msgqueue=…, the OCI spec\'s process.rlimits).',
      source: 'opencontainers/runc libcontainer/init_linux.go setupRlimits',
      example: 'error setting rlimits for ready process: error setting rlimit type 12: operation not permitted',
    },
    {
      id: 'runc/rlimit-nofile',
      library: LIB,
      pattern: /\bsetting rlimit type 7\b/,
      errnos: ['EPERM', 'EINVAL'],
      narrowedByText: true,
      calls: ['setrlimit(RLIMIT_NOFILE)'],
      note: 'Type 7 is RLIMIT_NOFILE (--ulimit nofile=…).',
      source: 'opencontainers/runc libcontainer/init_linux.go setupRlimits',
      example: 'error setting rlimits for ready process: error setting rlimit type 7: operation not permitted',
    },
    {
      id: 'runc/ipc-sysctl-host-ns',
      library: LIB,
      pattern: /sysctl "(?:fs\.mqueue\.[a-z_]+|kernel\.msg[a-z]+)" is not allowed in the hosts ipc namespace/,
      errnos: ['none'],
      calls: ['container sysctl'],
      source: 'opencontainers/runc libcontainer/configs/validate/validator.go sysctl',
      example: 'sysctl "fs.mqueue.msg_max" is not allowed in the hosts ipc namespace',
    },
  ],
};
