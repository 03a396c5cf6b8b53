// SYSV-CAPACITY: do_msgsnd() → msg_fits_inqueue(): the message must fit the
// queue's msg_qbytes, in bytes (cbytes + msgsz) and in count (qnum + 1): with
// IPC_NOWAIT, EAGAIN; without it the sender blocks. The queue is the existing
// one, a new one (msg_qbytes = kernel.msgmnb), or either as IPC_SET sizes it.
import { type CheckResult, fail, pass, unknown } from '../check-result.js';
import { type FixContext, sysctlFixes } from '../fixes.js';
import type { SysvQueue } from '../../snapshot.js';
import type { Blocker, SysvRequest } from '../types.js';
import { groupDigits as fmt } from '../units.js';
import { sysvDocAnchor, type SysvCheck } from './check.js';
import { fits, type SysvContext } from './context.js';

function fullBlocker(req: SysvRequest, existing: SysvQueue | null, qbytes: number, msgmnb: number | null, ctx: FixContext, origin: string): Blocker {
  const need = Math.max(req.msgsize, 1);
  const emptyFits = fits(qbytes, 0, 0, req.msgsize);
  if (existing && emptyFits) {
    return {
      kind: 'request', errno: 'EAGAIN', rule: 'queue-full',
      summary: `Queue ${existing.msqid} is full: ${fmt(existing.messages)} message(s), ${fmt(existing.bytes)} of ${fmt(qbytes)} bytes; another ${fmt(req.msgsize)}-byte message does not fit (bytes and message count are both bounded by msg_qbytes). With IPC_NOWAIT msgsnd fails with EAGAIN; without it the sender blocks.`,
      remedy: `A receiver must drain it (msgrcv), or its owner raises msg_qbytes (msgctl IPC_SET, up to kernel.msgmnb${msgmnb !== null ? ` = ${fmt(msgmnb)}` : ''}).`,
    };
  }
  if (req.qbytes !== null || existing) {
    return {
      kind: 'request', errno: 'EAGAIN', rule: 'queue-full',
      summary: `A queue of msg_qbytes ${fmt(qbytes)} cannot hold even one ${fmt(req.msgsize)}-byte message: msgsnd blocks forever, or fails with EAGAIN under IPC_NOWAIT.`,
      remedy: `Set msg_qbytes to at least ${fmt(need)} (msgctl IPC_SET; above kernel.msgmnb that needs kernel.msgmnb raised first).`,
    };
  }
  return {
    kind: 'limit', errno: 'EAGAIN', limit: 'kernel.msgmnb', origin,
    actual: qbytes, needed: need,
    summary: `A new queue gets msg_qbytes = kernel.msgmnb = ${fmt(qbytes)}, too small for one ${fmt(req.msgsize)}-byte message: msgsnd blocks forever, or fails with EAGAIN under IPC_NOWAIT.`,
    fixes: sysctlFixes('kernel.msgmnb', need, ctx),
  };
}

function passed(c: SysvContext, q: number): CheckResult {
  const { req, existing, capacity } = c;
  const cbytes = existing?.bytes ?? 0;
  const qnum = existing?.messages ?? 0;
  // The smallest msg_qbytes that takes one more message: bytes and count.
  const needed = Math.max(cbytes + req.msgsize, qnum + 1);
  const holds = `${fmt(capacity.messages ?? 0)} message(s) of ${fmt(req.msgsize)} bytes`;
  const free = capacity.free ?? 0;
  if (existing) {
    return pass(
      `queue ${existing.msqid} holds ${fmt(existing.messages)} message(s), ${fmt(existing.bytes)} of ${fmt(q)} bytes${req.qbytes !== null ? ' (msg_qbytes as IPC_SET sets it)' : ''}: ${fmt(free)} more ${free === 1 ? 'fits' : 'fit'}`,
      q,
      needed,
    );
  }
  return pass(`a new queue of msg_qbytes ${fmt(q)} (${req.qbytes !== null ? 'IPC_SET' : 'kernel.msgmnb'}) holds ${holds}`, q, needed);
}

export const capacityCheck: SysvCheck = {
  id: 'SYSV-CAPACITY',
  title: 'room in the queue for the message (msg_qbytes: bytes and count)',
  kernel: 'ksys_msgsnd() → do_msgsnd() → msg_fits_inqueue(); IPC_NOWAIT: EAGAIN',
  doc: sysvDocAnchor('SYSV-CAPACITY'),
  call: 'msgsnd',
  run(c) {
    const { req, existing, existingUnknown, capacity } = c;
    if (req.msgsize < 0 || existingUnknown !== null) return [];
    const msgmnb = c.snap.sysv.msgmnb;
    const q = capacity.qbytes;
    if (q === null) {
      return [unknown(existing ? `msg_qbytes of queue ${existing.msqid}: ${existing.qbytes.ok ? '' : existing.qbytes.reason}` : `kernel.msgmnb: ${msgmnb.ok ? '' : msgmnb.reason}`)];
    }
    if (!fits(q, existing?.bytes ?? 0, existing?.messages ?? 0, req.msgsize)) {
      return [fail(fullBlocker(req, existing, q, msgmnb.ok ? msgmnb.value : null, c.fix, c.sysctlOrigin('kernel.msgmnb')))];
    }
    return [passed(c, q)];
  },
};
