// SYSV-IPC-STAT: IPC_SET takes uid, gid and mode from its buffer too, so an
// application reads them with msgctl(IPC_STAT) first, and msgctl_stat() needs
// read permission (ipcperms(S_IRUGO): EACCES, unless CAP_IPC_OWNER). Made only
// with --qbytes.
import { fail, pass, unknown } from '../check-result.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';
import { ipcGrant, queueText, READ } from './context.js';

export const ipcStatCheck: SysvCheck = {
  id: 'SYSV-IPC-STAT',
  title: 'read permission for msgctl(IPC_STAT), before IPC_SET',
  kernel: 'ksys_msgctl() → msgctl_stat() → ipcperms(S_IRUGO)',
  doc: sysvDocAnchor('SYSV-IPC-STAT'),
  call: 'msgctl',
  run({ req, snap, existing, target }) {
    if (req.qbytes === null) return [];
    const creds = snap.target.credentials;
    const g = target ? ipcGrant(target, READ, snap) : creds.ok ? 'mode' : { unknown: creds.reason };
    if (typeof g === 'object') return [unknown(`read permission: ${g.unknown}`)];
    if (g === 'denied') {
      return [
        fail({
          kind: 'request', errno: 'EACCES', rule: 'permission',
          summary: existing
            ? `msgctl(IPC_STAT), which must read queue ${existing.msqid}'s uid, gid and mode before IPC_SET, needs read permission: its mode 0${existing.mode.toString(8)} (owner uid ${existing.uid}) does not grant it to this caller.`
            : `The queue is created with mode 0${req.mode.toString(8)}, which does not let its creator read it: msgctl(IPC_STAT), needed before IPC_SET, fails.`,
          remedy: existing ? 'Have the owner (or CAP_IPC_OWNER) set msg_qbytes, or widen the mode.' : 'Create the queue with a mode that includes 0400 (e.g. 0600).',
        }),
      ];
    }
    const what = existing ? queueText(existing) : `the new queue (mode 0${req.mode.toString(8)})`;
    return [pass(`this caller may read ${what}${g === 'CAP_IPC_OWNER' ? ' (CAP_IPC_OWNER)' : ''}`)];
  },
};
