// SYSV-WRITE: do_msgsnd() → ipcperms(S_IWUGO): the caller must be allowed to write to the
// queue (EACCES, unless CAP_IPC_OWNER), even to one it just created with a mode
// that leaves its own write bit out.
import { fail, pass, unknown } from '../check-result.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';
import { ipcGrant, queueText, WRITE } from './context.js';

export const writeCheck: SysvCheck = {
  id: 'SYSV-WRITE',
  title: 'write permission for msgsnd',
  kernel: 'ksys_msgsnd() → do_msgsnd() → ipcperms(S_IWUGO)',
  doc: sysvDocAnchor('SYSV-WRITE'),
  call: 'msgsnd',
  run({ req, snap, existing, target }) {
    if (!target) return [];
    const g = ipcGrant(target, WRITE, snap);
    if (typeof g === 'object') return [unknown(`write permission: ${g.unknown}`)];
    if (g === 'denied') {
      return [
        fail({
          kind: 'request', errno: 'EACCES', rule: 'permission',
          summary: existing
            ? `Queue ${existing.msqid} (owner uid ${existing.uid}, mode 0${existing.mode.toString(8)}) does not let this caller write to it.`
            : `The queue is created with mode 0${req.mode.toString(8)}, which does not let its own creator write to it.`,
          remedy: existing ? 'Run as the owner or group, or have the owner widen the mode.' : 'Create the queue with a mode that includes 0200 (e.g. 0600).',
        }),
      ];
    }
    const what = existing ? queueText(existing) : `the new queue (mode 0${req.mode.toString(8)})`;
    return [pass(`this caller may write to ${what}${g === 'CAP_IPC_OWNER' ? ' (CAP_IPC_OWNER)' : ''}`)];
  },
};
