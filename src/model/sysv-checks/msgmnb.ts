// SYSV-MSGMNB: msgctl_down(IPC_SET) refuses msg_qbytes above kernel.msgmnb
// without CAP_SYS_RESOURCE in the initial user namespace (EPERM). Current kernels
// keep only the low 32 bits of the value (context.ts qbytesAsSet). Made only
// with --qbytes.
import { fail, pass, unknown } from '../check-result.js';
import { sysctlFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';

export const msgmnbCheck: SysvCheck = {
  id: 'SYSV-MSGMNB',
  title: 'msg_qbytes for IPC_SET (kernel.msgmnb)',
  kernel: 'ksys_msgctl() → msgctl_down(IPC_SET): msg_qbytes vs ns->msg_ctlmnb, capable(CAP_SYS_RESOURCE)',
  doc: sysvDocAnchor('SYSV-MSGMNB'),
  call: 'msgctl',
  run(c) {
    const { req, sysResource } = c;
    if (req.qbytes === null) return [];
    const msgmnb = c.snap.sysv.msgmnb;
    if (!msgmnb.ok) return [unknown(`kernel.msgmnb: ${msgmnb.reason}`)];
    if (req.qbytes > msgmnb.value && !sysResource) {
      return [
        fail({
          kind: 'limit', errno: 'EPERM', limit: 'kernel.msgmnb', origin: c.sysctlOrigin('kernel.msgmnb'),
          actual: msgmnb.value, needed: req.qbytes,
          summary: `msgctl(IPC_SET) asks for msg_qbytes ${fmt(req.qbytes)}, above kernel.msgmnb = ${fmt(msgmnb.value)}, without CAP_SYS_RESOURCE (in the initial user namespace). Raising kernel.msgmnb also gives new queues that size without IPC_SET.`,
          fixes: sysctlFixes('kernel.msgmnb', req.qbytes, c.fix),
        }),
      ];
    }
    const detail =
      req.qbytes > msgmnb.value
        ? `CAP_SYS_RESOURCE: msg_qbytes ${fmt(req.qbytes)} may exceed kernel.msgmnb ${fmt(msgmnb.value)}`
        : `msg_qbytes ${fmt(req.qbytes)} within kernel.msgmnb ${fmt(msgmnb.value)}`;
    return [pass(detail, msgmnb.value, req.qbytes)];
  },
};
