// SYSV-MSGMNI: a new queue (IPC_PRIVATE, or IPC_CREAT and no queue has the key):
// newque() → ipc_addid() refuses with ENOSPC once the IPC namespace holds
// kernel.msgmni queues (all users together; capped at IPCMNI = 32,768). No
// capability lifts it.
import { fail, pass, unknown } from '../check-result.js';
import { MSGMNI_CAP } from '../cost.js';
import { sysctlFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';

export const msgmniCheck: SysvCheck = {
  id: 'SYSV-MSGMNI',
  title: 'queues in this IPC namespace (kernel.msgmni)',
  kernel: 'ksys_msgget() → ipcget() → newque() → ipc_addid(): ids->in_use vs ns->msg_ctlmni',
  doc: sysvDocAnchor('SYSV-MSGMNI'),
  call: 'msgget',
  run(c) {
    const { req, existing, existingUnknown, inUse, count } = c;
    // Only a new queue takes a slot: not an existing key, not a missing one without IPC_CREAT.
    if (existingUnknown || existing || (req.key !== null && req.key !== 0 && !req.create)) return [];
    const msgmni = c.snap.sysv.msgmni;
    const queues = c.snap.sysvQueues;
    if (!msgmni.ok) return [unknown(`kernel.msgmni: ${msgmni.reason}`)];
    if (inUse === null) return [unknown(`queues in use: ${queues.ok ? '' : queues.reason}`)];
    const needed = inUse + count;
    if (needed > msgmni.value) {
      const failsAt = Math.max(1, msgmni.value - inUse + 1);
      return [
        fail(
          {
            kind: 'limit', errno: 'ENOSPC', limit: 'kernel.msgmni', origin: c.sysctlOrigin('kernel.msgmni'),
            actual: msgmni.value, needed,
            summary: `${fmt(inUse)} System V queue(s) are in use of kernel.msgmni = ${fmt(msgmni.value)}; ${count > 1 ? `${fmt(count)} more need` : 'one more needs'} ${fmt(needed)}.${needed > MSGMNI_CAP ? ` No setting gets there: the kernel caps kernel.msgmni at ${fmt(MSGMNI_CAP)} per IPC namespace, so the rest need another namespace or fewer queues.` : ''}`,
            fixes: sysctlFixes('kernel.msgmni', Math.min(needed, MSGMNI_CAP), c.fix),
          },
          failsAt,
        ),
      ];
    }
    const warn = needed >= 0.8 * msgmni.value ? `${fmt(needed)} of ${fmt(msgmni.value)} queues in use afterwards` : undefined;
    return [pass(`${fmt(inUse)} of ${fmt(msgmni.value)} queues in use${count > 1 ? `; ${fmt(count)} more fit` : ''}`, msgmni.value, needed, warn)];
  },
};
