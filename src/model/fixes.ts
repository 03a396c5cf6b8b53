// Turns "limit X must be at least N" into the commands that raise it, for
// the three places users meet it: a running system, a reboot, a container.
import type { RlimValue, Snapshot } from '../snapshot.js';
import type { Fixes } from './types.js';

export interface FixContext {
  /** --pid, when diagnosing another process. */
  pid: number | null;
  /** The target lives in a non-initial IPC namespace (a container, unshare). null: unknown. */
  privateIpc: boolean | null;
  userName: string | null;
  /** The systemd service the target runs in, if any. */
  unit: string | null;
  /** Whether the target holds CAP_SYS_RESOURCE in the initial user namespace. */
  sysResource: boolean;
}

export function fixContextOf(snap: Snapshot): FixContext {
  const t = snap.target;
  return {
    pid: t.self ? null : t.pid,
    privateIpc: t.ipcNamespace.ok ? !t.ipcNamespace.value.initial : null,
    userName: t.userName.ok ? t.userName.value : null,
    unit: t.systemdUnit.ok ? t.systemdUnit.value : null,
    sysResource: t.capabilities.ok ? t.capabilities.value.sysResource : false,
  };
}

/** /proc/sys/fs/mqueue/msg_max (host IPC namespace), and so on. */
export function sysctlOrigin(key: string, privateIpc: boolean | null): string {
  const ns = privateIpc ? 'private IPC namespace: starts from kernel defaults' : privateIpc === false ? 'host IPC namespace' : 'IPC namespace';
  return `/proc/sys/${key.replace(/\./g, '/')} (${ns})`;
}

// Files for a fix made by hand: not the ones `mq-doctor apply` owns, whose
// rollback would refuse a file edited since.
export const SYSCTL_D_FILE = '/etc/sysctl.d/90-mqueue.conf';
export const LIMITS_D_FILE = '/etc/security/limits.d/90-mqueue.conf';

export function sysctlFixes(key: string, value: number, ctx: FixContext): Fixes {
  const fixes: Fixes = { immediate: [], persistent: [], container: [], notes: [] };
  const set = `sysctl -w ${key}=${value}`;
  if (ctx.pid !== null && ctx.privateIpc) {
    fixes.immediate.push({
      what: `now, inside process ${ctx.pid}'s IPC namespace (as root on the host)`,
      command: `nsenter --target ${ctx.pid} --ipc ${set}`,
    });
  } else {
    fixes.immediate.push({ what: 'now, in this IPC namespace (as root)', command: set });
  }
  fixes.persistent.push({
    what: `at every boot: add the line to ${SYSCTL_D_FILE} and apply it (or let \`mq-doctor apply --profile\` write its own file)`,
    command: `echo '${key} = ${value}' >> ${SYSCTL_D_FILE} && sysctl --system`,
  });
  fixes.container.push(
    { what: 'docker / podman run', command: `--sysctl ${key}=${value}` },
    { what: 'Compose service', command: `sysctls:\n  ${key}: ${value}` },
    {
      what: 'Kubernetes pod spec (the kubelet must allow it)',
      command: `securityContext:\n  sysctls:\n  - name: ${key}\n    value: "${value}"`,
    },
  );
  fixes.notes.push(
    `${key} is per IPC namespace: a container with its own IPC namespace (Docker's default) starts from the kernel default whatever the host's sysctl.d says, so set it with --sysctl.`,
    `Kubernetes treats ${key} as an unsafe sysctl: the kubelet needs --allowed-unsafe-sysctls='${key.startsWith('kernel.msg') ? 'kernel.msg*' : key.replace(/\.[^.]+$/, '.*')}', otherwise the pod fails with SysctlForbidden. --sysctl is refused with --ipc=host.`,
  );
  if (ctx.privateIpc) {
    fixes.notes.push('The target is in a private IPC namespace: host sysctl.d files never reach it.');
  }
  return fixes;
}

const RLIMIT_FLAGS = {
  msgqueue: { prlimit: 'msgqueue', ulimit: '-q', systemd: 'LimitMSGQUEUE', limitsItem: 'msgqueue', unit: 'bytes' },
  nofile: { prlimit: 'nofile', ulimit: '-n', systemd: 'LimitNOFILE', limitsItem: 'nofile', unit: 'descriptors' },
} as const;

/** Raises both soft and hard when the hard limit is below what is needed. */
export function rlimitFixes(resource: 'msgqueue' | 'nofile', needed: number, hard: RlimValue, ctx: FixContext): Fixes {
  const f = RLIMIT_FLAGS[resource];
  const hardTooLow = hard !== 'unlimited' && hard < needed;
  const newHard = hardTooLow ? needed : hard;
  const pair = `${needed}:${newHard === 'unlimited' ? 'unlimited' : newHard}`;
  const user = ctx.userName ?? '<user>';
  const unit = ctx.unit ?? '<your-app>.service';
  const fixes: Fixes = { immediate: [], persistent: [], container: [], notes: [] };

  if (ctx.pid !== null) {
    fixes.immediate.push({
      what: `now, for the running process ${ctx.pid}${hardTooLow ? ' (as root on the host: the hard limit rises too)' : ''}`,
      command: `prlimit --pid ${ctx.pid} --${f.prlimit}=${pair}`,
    });
  }
  fixes.immediate.push({
    what: hardTooLow
      ? `in the shell that starts the application (the hard limit must rise first, which needs CAP_SYS_RESOURCE, i.e. root on the host)`
      : 'in the shell that starts the application',
    command: hardTooLow ? `ulimit -H${f.ulimit.slice(1)} ${needed} && ulimit -S${f.ulimit.slice(1)} ${needed}` : `ulimit -S${f.ulimit.slice(1)} ${needed}`,
  });
  fixes.persistent.push(
    {
      what: `systemd service: a drop-in (systemctl edit ${unit}), then restart it`,
      command: `[Service]\n${f.systemd}=${pair}`,
    },
    {
      what: `login sessions (pam_limits): a line in ${LIMITS_D_FILE}`,
      command: `${user} soft ${f.limitsItem} ${needed}\n${user} hard ${f.limitsItem} ${newHard}`,
    },
  );
  fixes.container.push(
    { what: 'docker / podman run', command: `--ulimit ${f.prlimit}=${pair.replace('unlimited', '-1')}` },
    { what: 'Compose service', command: `ulimits:\n  ${f.prlimit}:\n    soft: ${needed}\n    hard: ${newHard === 'unlimited' ? -1 : newHard}` },
  );
  fixes.notes.push(
    `systemd services ignore /etc/security/limits.conf and limits.d: use ${f.systemd}= in the unit (or DefaultLimit${f.systemd.slice(5)}= in /etc/systemd/system.conf).`,
    `Kubernetes has no per-pod rlimit setting: the container runtime's default applies (CRI-O default_ulimits, containerd's base runtime spec, or ${f.systemd}= on the runtime's own systemd unit).`,
  );
  if (ctx.unit) fixes.notes.push(`The target runs in ${ctx.unit}: limits.conf does not apply to it.`);
  if (hardTooLow && !ctx.sysResource) {
    fixes.notes.push(
      `The hard limit (${hard} ${f.unit}) is below ${needed}: raising a hard limit needs CAP_SYS_RESOURCE, so it must be done from outside (the host's prlimit, the unit, or the container runtime's --ulimit).`,
    );
  }
  return fixes;
}

/**
 * A user namespace's ceiling cannot be raised in place: it is the soft limit
 * its creator had when it was made. Whoever creates the namespace must start
 * it again with a higher soft limit (and the host, a high enough hard one).
 */
export function ceilingFixes(needed: number, uid: number): Fixes {
  return {
    immediate: [],
    persistent: [
      {
        what: 'rootless Podman: its user namespace lives in the pause process; recreate it from a shell with a higher soft limit (stop the containers first)',
        command: `ulimit -Sq ${needed} && podman system migrate`,
      },
      {
        what: 'a namespace made with unshare, bwrap or a similar tool: create it under a higher soft limit',
        command: `prlimit --msgqueue=${needed}: unshare --user --map-root-user …`,
      },
    ],
    container: [],
    notes: [
      'The ceiling is the soft RLIMIT_MSGQUEUE of the process that created the user namespace, recorded at that moment (kernel/ucount.c); raising the limit inside the namespace, or --ulimit msgqueue= on the container, does not lift it.',
      `Every queue of uid ${uid} in that user namespace (all its containers) shares the ceiling. If the hard RLIMIT_MSGQUEUE of the user who creates it is below ${needed}, the host's administrator must raise that first (a limits.d line for the user, or LimitMSGQUEUE= in user@.service for systemd user sessions).`,
    ],
  };
}
