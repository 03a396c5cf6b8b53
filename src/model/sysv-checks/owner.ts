// SYSV-OWNER: msgctl_down() → ipcctl_obtain_check(): only the queue's owner,
// its creator or CAP_SYS_ADMIN (in the IPC namespace's user namespace) may
// IPC_SET (EPERM). The caller owns a queue it creates. Made only with --qbytes.
import { fail, pass, unknown } from '../check-result.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';

export const ownerCheck: SysvCheck = {
  id: 'SYSV-OWNER',
  title: 'msgctl(IPC_SET) by the owner, the creator or CAP_SYS_ADMIN',
  kernel: 'ksys_msgctl() → msgctl_down() → ipcctl_obtain_check()',
  doc: sysvDocAnchor('SYSV-OWNER'),
  call: 'msgctl',
  run({ req, snap, existing }) {
    if (req.qbytes === null) return [];
    const { credentials: creds, capabilities: caps } = snap.target;
    if (!existing) return [pass('a queue msgget creates is the caller\'s own (its owner and creator)')];
    if (!creds.ok || !caps.ok) return [unknown(`ownership of queue ${existing.msqid}: ${creds.ok ? (caps.ok ? '' : caps.reason) : creds.reason}`)];
    const euid = creds.value.effectiveUid;
    if (euid !== existing.uid && euid !== existing.cuid && !caps.value.sysAdmin) {
      return [
        fail({
          kind: 'request', errno: 'EPERM', rule: 'not-owner',
          summary: `Only the owner (uid ${existing.uid}), the creator (uid ${existing.cuid}) or CAP_SYS_ADMIN may change queue ${existing.msqid}'s msg_qbytes; this caller is uid ${euid}.`,
          remedy: `Have the owner set it (msgctl IPC_SET), or let the creator size the queue.`,
        }),
      ];
    }
    const as = euid === existing.uid ? `its owner (uid ${euid})` : euid === existing.cuid ? `its creator (uid ${euid})` : `uid ${euid} with CAP_SYS_ADMIN`;
    return [pass(`this caller is ${as}: it may IPC_SET queue ${existing.msqid}`)];
  },
};
