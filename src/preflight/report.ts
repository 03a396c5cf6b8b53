// The failed-checks report, in the shape operators know from Elasticsearch's
// bootstrap checks: a count, then one numbered line per check with the actual
// and the required value, then the change for each container runtime.
import type { Blocker, CheckId, LimitBlocker } from '../model/types.js';
import { KERNEL_DEFAULTS } from '../model/cost.js';
import { groupDigits as n } from '../model/units.js';
import { rlim } from '../render/format.js';

const UNITS: Record<LimitBlocker['limit'], string> = {
  'fs.mqueue.msg_max': 'fs.mqueue.msg_max (messages per queue)',
  'fs.mqueue.msgsize_max': 'fs.mqueue.msgsize_max (bytes per message)',
  'fs.mqueue.queues_max': 'fs.mqueue.queues_max (queues in this IPC namespace)',
  RLIMIT_MSGQUEUE: 'soft RLIMIT_MSGQUEUE (bytes of queue memory for this uid)',
  'RLIMIT_MSGQUEUE ceiling': "queue memory left under the user namespace's ceiling (set when it was created)",
  RLIMIT_NOFILE: 'soft RLIMIT_NOFILE (open descriptors)',
  'kernel.msgmax': 'kernel.msgmax (bytes per System V message)',
  'kernel.msgmnb': 'kernel.msgmnb (bytes per System V queue)',
  'kernel.msgmni': 'kernel.msgmni (System V queues in this IPC namespace)',
};

function runtimeLines(b: LimitBlocker): string[] {
  if (b.limit === 'RLIMIT_MSGQUEUE' || b.limit === 'RLIMIT_NOFILE') {
    const item = b.limit === 'RLIMIT_MSGQUEUE' ? 'msgqueue' : 'nofile';
    const hard = b.hard !== undefined && b.hard !== 'unlimited' && b.hard > b.needed ? b.hard : b.needed;
    return [
      `docker run --ulimit ${item}=${b.needed}:${hard} …   (podman run takes the same flag)`,
      `Compose: ulimits: { ${item}: { soft: ${b.needed}, hard: ${hard} } }`,
      `Kubernetes: pods have no rlimit setting; raise the runtime's default (CRI-O default_ulimits = ["${item}=${b.needed}:${hard}"], containerd's base runtime spec, or Limit${item === 'msgqueue' ? 'MSGQUEUE' : 'NOFILE'}= on the runtime's unit)`,
    ];
  }
  const pattern = b.limit.replace(/\.[^.]+$/, '.*');
  return [
    `docker run --sysctl ${b.limit}=${b.needed} …   (podman run takes the same flag; rootless podman cannot set it)`,
    `Compose: sysctls: { ${b.limit}: ${b.needed} }`,
    `Kubernetes: securityContext.sysctls: [{ name: ${b.limit}, value: "${b.needed}" }] with kubelet --allowed-unsafe-sysctls='${pattern}'`,
  ];
}

export function failedChecksReport(
  blockers: Blocker[],
  appliedNote: string[],
  unknown: Array<{ id: CheckId; reason: string }> = [],
  ignored: string[] = [],
): string {
  const total = blockers.length + unknown.length;
  const out = [`ERROR: [${total}] preflight check${total === 1 ? '' : 's'} ${blockers.length ? 'failed' : 'could not be told'}; the application was not started:`];
  blockers.forEach((b, i) => {
    const tag = `[${i + 1}]${b.id ? ` ${b.id}` : ''}`;
    switch (b.kind) {
      case 'limit': {
        const hardTooLow = b.hard !== undefined && b.hard !== 'unlimited' && b.hard < b.needed;
        const hard = hardTooLow ? `; the hard limit is [${rlim(b.hard!)}], so it must be raised from outside` : '';
        out.push(`${tag}: ${UNITS[b.limit]} [${rlim(b.actual)}] is too low, increase to at least [${n(b.needed)}]${hard} (mq_open fails with ${b.errno})`);
        out.push(...runtimeLines(b).map((l) => `     ${l}`));
        break;
      }
      case 'request':
        out.push(`${tag}: ${b.summary} No container setting fixes this: ${b.remedy}`);
        break;
      default: {
        const never: never = b;
        out.push(String(never));
      }
    }
  });
  unknown.forEach((u, i) => {
    out.push(`[${blockers.length + i + 1}] ${u.id}: could not be told: ${u.reason}`);
  });
  if (unknown.length) {
    out.push(`To start anyway, name what may stay unknown: --ignore ${[...new Set(unknown.map((u) => u.id))].join(',')} (or MQ_DOCTOR_IGNORE; "all" ignores every check).`);
  }
  if (ignored.length) out.push('Ignored (--ignore):', ...ignored.map((l) => `  ${l}`));
  const D = KERNEL_DEFAULTS;
  out.push(`A container with its own IPC namespace (the default) starts from the kernel defaults (msg_max ${D.msg_max}, msgsize_max ${D.msgsize_max}, queues_max ${D.queues_max}), whatever the host's sysctl.d says.`);
  if (appliedNote.length) out.push('Already raised from inside:', ...appliedNote.map((l) => `  ${l}`));
  return `${out.join('\n')}\n`;
}
