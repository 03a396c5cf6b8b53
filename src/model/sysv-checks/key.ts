// SYSV-KEY: ipcget_public() in ksys_msgget() looks the key up (ipc_findkey). A
// queue found with IPC_CREAT|IPC_EXCL is EEXIST; otherwise ipc_check_perms()
// → ipcperms() checks msgflg's mode bits against the queue's (EACCES, unless
// CAP_IPC_OWNER). No queue and no IPC_CREAT is ENOENT. IPC_PRIVATE looks nothing
// up (ipcget_new): the check is not made.
import { fail, pass, unknown } from '../check-result.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';
import { ipcGrant, queueText } from './context.js';

export const keyCheck: SysvCheck = {
  id: 'SYSV-KEY',
  title: 'the key: an existing queue (IPC_EXCL, permission) or none (IPC_CREAT)',
  kernel: 'ksys_msgget() → ipcget() → ipcget_public(): ipc_findkey(), ipc_check_perms() → ipcperms()',
  doc: sysvDocAnchor('SYSV-KEY'),
  call: 'msgget',
  run({ req, snap, keyName, existing, existingUnknown }) {
    if (req.key === null || req.key === 0) return [];
    if (existingUnknown) return [unknown(existingUnknown)];
    if (existing) {
      if (req.create && req.exclusive) {
        return [
          fail({
            kind: 'request', errno: 'EEXIST', rule: 'queue-exists',
            summary: `A queue with key ${keyName} already exists (msqid ${existing.msqid}, owner uid ${existing.uid}) and IPC_CREAT|IPC_EXCL refuses it.`,
            remedy: `Drop IPC_EXCL to use the existing queue, remove it (ipcrm -q ${existing.msqid}) or choose another key.`,
          }),
        ];
      }
      const g = ipcGrant(existing, req.mode, snap);
      if (typeof g === 'object') return [unknown(`permission on queue ${existing.msqid}: ${g.unknown}`)];
      if (g === 'denied') {
        return [
          fail({
            kind: 'request', errno: 'EACCES', rule: 'permission',
            summary: `msgget asks for mode 0${req.mode.toString(8)} on queue ${existing.msqid} (key ${keyName}, owner uid ${existing.uid}, mode 0${existing.mode.toString(8)}), which does not grant it to this caller.`,
            remedy: `Run as the queue's owner or group, or have the owner widen its mode (msgctl IPC_SET); ipcs -q -i ${existing.msqid} shows it.`,
          }),
        ];
      }
      return [pass(`key ${keyName} names ${queueText(existing)}: msgget returns it; mode 0${req.mode.toString(8)} ${g === 'mode' ? 'is granted' : 'is granted by CAP_IPC_OWNER'}`)];
    }
    if (!req.create) {
      return [
        fail({
          kind: 'request', errno: 'ENOENT', rule: 'queue-missing',
          summary: `No queue has key ${keyName} and msgget is called without IPC_CREAT.`,
          remedy: 'Start the application that creates the queue first, or pass IPC_CREAT.',
        }),
      ];
    }
    return [pass(`no queue has key ${keyName}: msgget creates it (IPC_CREAT)`)];
  },
};
