// SYSV-MSGMAX: do_msgsnd() refuses a message larger than kernel.msgmax (EINVAL,
// whatever the privileges; it never blocks for this). Not made for a negative
// size, which SYSV-MSGSIZE refuses.
import { fail, pass, unknown } from '../check-result.js';
import { sysctlFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';

export const msgmaxCheck: SysvCheck = {
  id: 'SYSV-MSGMAX',
  title: 'message size (kernel.msgmax)',
  kernel: 'ksys_msgsnd() → do_msgsnd(): msgsz vs ns->msg_ctlmax',
  doc: sysvDocAnchor('SYSV-MSGMAX'),
  call: 'msgsnd',
  run(c) {
    const { req } = c;
    if (req.msgsize < 0) return [];
    const msgmax = c.snap.sysv.msgmax;
    if (!msgmax.ok) return [unknown(`kernel.msgmax: ${msgmax.reason}`)];
    if (req.msgsize > msgmax.value) {
      return [
        fail({
          kind: 'limit', errno: 'EINVAL', limit: 'kernel.msgmax', origin: c.sysctlOrigin('kernel.msgmax'),
          actual: msgmax.value, needed: req.msgsize,
          summary: `A ${fmt(req.msgsize)}-byte message is larger than kernel.msgmax = ${fmt(msgmax.value)}: msgsnd fails with EINVAL (it never blocks for this).`,
          fixes: sysctlFixes('kernel.msgmax', req.msgsize, c.fix),
        }),
      ];
    }
    return [pass(`${fmt(req.msgsize)}-byte message within kernel.msgmax ${fmt(msgmax.value)}`, msgmax.value, req.msgsize)];
  },
};
