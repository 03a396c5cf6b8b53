// Every System V check, in the order the kernel makes them for an application's
// start-up (ipc/msg.c, ipc/util.c):
//   msgget: ksys_msgget → ipcget: ipcget_public (the key) → newque → ipc_addid (msgmni)
//   msgctl: msgctl_stat (IPC_STAT, read permission), then msgctl_down (IPC_SET):
//           ipcctl_obtain_check (owner), msg_qbytes vs msgmnb
//   msgsnd: do_msgsnd: the size (negative, msgmax), ipcperms (write), msg_fits_inqueue
// A new check is one file in this directory and one line in SYSV_CHECKS.
import type { CheckResult } from '../check-result.js';
import { checkRecord } from '../checks/registry.js';
import type { CheckRecord, SysvCheckId } from '../types.js';
import { capacityCheck } from './capacity.js';
import type { SysvCheck, SysvCheckSpec } from './check.js';
import type { SysvContext } from './context.js';
import { ipcStatCheck } from './ipc-stat.js';
import { keyCheck } from './key.js';
import { msgmaxCheck } from './msgmax.js';
import { msgmnbCheck } from './msgmnb.js';
import { msgmniCheck } from './msgmni.js';
import { msgsizeCheck } from './msgsize.js';
import { ownerCheck } from './owner.js';
import { writeCheck } from './write.js';

export const SYSV_CHECKS: readonly SysvCheck[] = [
  // msgget
  keyCheck,
  msgmniCheck,
  // msgctl(IPC_STAT), msgctl(IPC_SET)
  ipcStatCheck,
  ownerCheck,
  msgmnbCheck,
  // msgsnd(IPC_NOWAIT)
  msgsizeCheck,
  msgmaxCheck,
  writeCheck,
  capacityCheck,
];

const byId = new Map(SYSV_CHECKS.map((c) => [c.id, c]));

export const sysvCheckSpec = (id: SysvCheckId): SysvCheck => byId.get(id)!;

/** Runs every check the request meets, in the kernel's order; each failure's blocker carries its check's id. */
export function runSysvChecks(c: SysvContext): Array<{ check: SysvCheck; results: CheckResult[] }> {
  const out: Array<{ check: SysvCheck; results: CheckResult[] }> = [];
  for (const check of SYSV_CHECKS) {
    const results = check.run(c).map((r): CheckResult => (r.kind === 'fail' ? { ...r, blocker: { ...r.blocker, id: check.id } } : r));
    if (results.length) out.push({ check, results });
  }
  return out;
}

/** One line per check made, as mq_open's: the worst result decides the status, the first failure its numbers. */
export const sysvCheckRecord = (check: SysvCheckSpec, results: CheckResult[]): CheckRecord<SysvCheckId> => checkRecord(check, results);
