// SYSV-MSGSIZE: do_msgsnd() refuses a negative size ((long) msgsz < 0: EINVAL),
// in the same test as kernel.msgmax (SYSV-MSGMAX).
import { fail, pass } from '../check-result.js';
import { groupDigits as fmt } from '../units.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';

export const msgsizeCheck: SysvCheck = {
  id: 'SYSV-MSGSIZE',
  title: 'message size (msgsz) not negative',
  kernel: 'ksys_msgsnd() → do_msgsnd(): (long) msgsz < 0',
  doc: sysvDocAnchor('SYSV-MSGSIZE'),
  call: 'msgsnd',
  run({ req }) {
    if (req.msgsize < 0) {
      return [
        fail({
          kind: 'request', errno: 'EINVAL', rule: 'size-negative',
          summary: `A message size of ${req.msgsize} is negative: msgsnd refuses it.`,
          remedy: 'Pass the size of the message text (without the mtype field).',
        }),
      ];
    }
    return [pass(`a message of ${fmt(req.msgsize)} bytes`, null, req.msgsize)];
  },
};
