// Predicts an application's System V queue start-up the way ipc/msg.c and
// ipc/util.c decide it (see shared/reference/kernel-facts.md): msgget, then
// msgctl(IPC_SET) of msg_qbytes if it asks for a size, then msgsnd(IPC_NOWAIT)
// of one message. No rlimit is involved; the limits are kernel.msg*, per IPC
// namespace.
import type { Snapshot, SysvQueue } from '../snapshot.js';
import { MSGMNI_CAP } from './cost.js';
import { fixContextOf, sysctlFixes, sysctlOrigin } from './fixes.js';
import { groupDigits as fmt, sysvKeyHex as hex } from './units.js';
import type { Blocker, Errno, Outcome, SysvCapacity, SysvPrediction, SysvQueueView, SysvRequest } from './types.js';

type Call = 'msgget' | 'msgctl' | 'msgsnd';
type Check =
  /** failsAt: the 1-based index of the first of --count queues this check refuses. */
  | { call: Call; kind: 'fail'; failsAt: number; blocker: Blocker }
  | { call: Call; kind: 'unknown'; reason: string };

const WRITE = 0o222;
const READ = 0o444;

/** ipcperms(): owner or creator, then group or creator's group, then others; CAP_IPC_OWNER passes all. */
function ipcPermits(q: SysvQueue, flag: number, snap: Snapshot): boolean | string {
  const { credentials, capabilities } = snap.target;
  if (!credentials.ok) return credentials.reason;
  if (!capabilities.ok) return capabilities.reason;
  const c = credentials.value;
  const requested = ((flag >> 6) | (flag >> 3) | flag) & 7;
  const inGroup = (g: number) => c.fsGid === g || c.groups.includes(g);
  const granted =
    c.effectiveUid === q.uid || c.effectiveUid === q.cuid ? q.mode >> 6 : inGroup(q.cgid) || inGroup(q.gid) ? q.mode >> 3 : q.mode;
  return (requested & ~granted & 7) === 0 || capabilities.value.ipcOwner;
}

const view = (q: SysvQueue): SysvQueueView => ({
  key: q.key,
  msqid: q.msqid,
  uid: q.uid,
  mode: q.mode,
  bytes: q.bytes,
  messages: q.messages,
  qbytes: q.qbytes.ok ? q.qbytes.value : null,
});

/** msg_fits_inqueue(): bytes *and* count are bounded by msg_qbytes. */
export function fits(qbytes: number, cbytes: number, qnum: number, msgsize: number): boolean {
  return cbytes + msgsize <= qbytes && qnum + 1 <= qbytes;
}

/** How many more messages of msgsize a queue of qbytes holding cbytes in qnum messages accepts. */
export function room(qbytes: number, cbytes: number, qnum: number, msgsize: number): number {
  const byCount = Math.max(0, qbytes - qnum);
  return msgsize === 0 ? byCount : Math.max(0, Math.min(Math.floor((qbytes - cbytes) / msgsize), byCount));
}

/**
 * What msgctl(IPC_SET) really sets: current kernels pass msg_qbytes on as an
 * int, so only its low 32 bits count (compared unsigned with kernel.msgmnb).
 */
export function qbytesAsSet(qbytes: number | string): number {
  return Number(BigInt(qbytes) % 2n ** 32n);
}


export function predictSysv(snap: Snapshot, asked: SysvRequest): SysvPrediction {
  // From here on, the value the kernel really sets.
  const req: SysvRequest & { qbytes: number | null } = { ...asked, qbytes: asked.qbytes === null ? null : qbytesAsSet(asked.qbytes) };
  const ctx = fixContextOf(snap);
  const origin = (key: string) => sysctlOrigin(key, ctx.privateIpc);
  const { msgmax, msgmnb, msgmni } = snap.sysv;
  const caps = snap.target.capabilities;
  const creds = snap.target.credentials;
  const assumptions: string[] = [];
  const warnings: string[] = [];
  if (!caps.ok) assumptions.push(`Assumed no CAP_SYS_RESOURCE, CAP_SYS_ADMIN or CAP_IPC_OWNER (${caps.reason}).`);
  const sysResource = caps.ok && caps.value.sysResource;
  if (caps.ok && caps.value.sysResourceInOwnNs && !caps.value.initialUserNs) {
    warnings.push('The process holds CAP_SYS_RESOURCE only inside its own user namespace; msgctl(IPC_SET) checks it in the initial one, so msg_qbytes stays capped by kernel.msgmnb.');
  }
  const queues = snap.sysvQueues;
  const inUse = queues.ok ? queues.value.length : null;
  const keyName = req.key === null ? 'IPC_PRIVATE' : hex(req.key);

  // msgget finds the key among the namespace's queues; IPC_PRIVATE never finds one.
  let existing: SysvQueue | null = null;
  let existingUnknown: string | null = null;
  if (req.key !== null && req.key !== 0) {
    if (queues.ok) existing = queues.value.find((q) => q.key === req.key) ?? null;
    else existingUnknown = `whether key ${keyName} exists: ${queues.reason}`;
  }
  const checks: Check[] = [];
  const unknown = (call: Call, reason: string) => checks.push({ call, kind: 'unknown', reason });
  const failAt = (call: Call, blocker: Blocker, failsAt = 1) => checks.push({ call, kind: 'fail', failsAt, blocker });

  // --- msgget --------------------------------------------------------------
  if (existingUnknown) unknown('msgget', existingUnknown);
  else if (existing) {
    if (req.create && req.exclusive) {
      failAt('msgget', {
        kind: 'request', errno: 'EEXIST', rule: 'queue-exists',
        summary: `A queue with key ${keyName} already exists (msqid ${existing.msqid}, owner uid ${existing.uid}) and IPC_CREAT|IPC_EXCL refuses it.`,
        remedy: `Drop IPC_EXCL to use the existing queue, remove it (ipcrm -q ${existing.msqid}) or choose another key.`,
      });
    } else {
      const ok = ipcPermits(existing, req.mode, snap);
      if (typeof ok === 'string') unknown('msgget', `permission on queue ${existing.msqid}: ${ok}`);
      else if (!ok) {
        failAt('msgget', {
          kind: 'request', errno: 'EACCES', rule: 'permission',
          summary: `msgget asks for mode 0${req.mode.toString(8)} on queue ${existing.msqid} (key ${keyName}, owner uid ${existing.uid}, mode 0${existing.mode.toString(8)}), which does not grant it to this caller.`,
          remedy: `Run as the queue's owner or group, or have the owner widen its mode (msgctl IPC_SET); ipcs -q -i ${existing.msqid} shows it.`,
        });
      }
    }
  } else if (req.key !== null && req.key !== 0 && !req.create) {
    failAt('msgget', {
      kind: 'request', errno: 'ENOENT', rule: 'queue-missing',
      summary: `No queue has key ${keyName} and msgget is called without IPC_CREAT.`,
      remedy: 'Start the application that creates the queue first, or pass IPC_CREAT.',
    });
  } else if (!msgmni.ok) unknown('msgget', `kernel.msgmni: ${msgmni.reason}`);
  else if (inUse === null) unknown('msgget', `queues in use: ${queues.ok ? '' : queues.reason}`);
  else if (inUse + req.count > msgmni.value) {
    const failsAt = Math.max(1, msgmni.value - inUse + 1);
    failAt('msgget', {
      kind: 'limit', errno: 'ENOSPC', limit: 'kernel.msgmni', origin: origin('kernel.msgmni'),
      actual: msgmni.value, needed: inUse + req.count,
      summary: `${fmt(inUse)} System V queue(s) are in use of kernel.msgmni = ${fmt(msgmni.value)}; ${req.count > 1 ? `${fmt(req.count)} more need` : 'one more needs'} ${fmt(inUse + req.count)}.${inUse + req.count > MSGMNI_CAP ? ` No setting gets there: the kernel caps kernel.msgmni at ${fmt(MSGMNI_CAP)} per IPC namespace, so the rest need another namespace or fewer queues.` : ''}`,
      fixes: sysctlFixes('kernel.msgmni', Math.min(inUse + req.count, MSGMNI_CAP), ctx),
    }, failsAt);
  }

  // The queue msgctl and msgsnd act on: the existing one, or a new one made by the caller with req.mode.
  const target: SysvQueue | null = existing ?? (creds.ok ? { key: req.key ?? 0, msqid: -1, mode: req.mode, bytes: 0, messages: 0, uid: creds.value.effectiveUid, gid: creds.value.effectiveGid, cuid: creds.value.effectiveUid, cgid: creds.value.effectiveGid, qbytes: msgmnb } : null);

  // --- msgctl(IPC_STAT), then msgctl(IPC_SET) ------------------------------------------
  // IPC_SET also takes uid, gid and mode from its buffer, so callers read them
  // with IPC_STAT first, and IPC_STAT needs read permission.
  if (req.qbytes !== null) {
    const r = target ? ipcPermits(target, READ, snap) : creds.ok ? true : creds.reason;
    if (typeof r === 'string') unknown('msgctl', `read permission: ${r}`);
    else if (!r) {
      failAt('msgctl', {
        kind: 'request', errno: 'EACCES', rule: 'permission',
        summary: existing
          ? `msgctl(IPC_STAT), which must read queue ${existing.msqid}'s uid, gid and mode before IPC_SET, needs read permission: its mode 0${existing.mode.toString(8)} (owner uid ${existing.uid}) does not grant it to this caller.`
          : `The queue is created with mode 0${req.mode.toString(8)}, which does not let its creator read it: msgctl(IPC_STAT), needed before IPC_SET, fails.`,
        remedy: existing ? 'Have the owner (or CAP_IPC_OWNER) set msg_qbytes, or widen the mode.' : 'Create the queue with a mode that includes 0400 (e.g. 0600).',
      });
    }
    if (existing && creds.ok && caps.ok) {
      const euid = creds.value.effectiveUid;
      if (euid !== existing.uid && euid !== existing.cuid && !caps.value.sysAdmin) {
        failAt('msgctl', {
          kind: 'request', errno: 'EPERM', rule: 'not-owner',
          summary: `Only the owner (uid ${existing.uid}), the creator (uid ${existing.cuid}) or CAP_SYS_ADMIN may change queue ${existing.msqid}'s msg_qbytes; this caller is uid ${euid}.`,
          remedy: `Have the owner set it (msgctl IPC_SET), or let the creator size the queue.`,
        });
      }
    } else if (existing) unknown('msgctl', `ownership of queue ${existing.msqid}: ${creds.ok ? (caps.ok ? '' : caps.reason) : creds.reason}`);
    if (!msgmnb.ok) unknown('msgctl', `kernel.msgmnb: ${msgmnb.reason}`);
    else if (req.qbytes > msgmnb.value && !sysResource) {
      failAt('msgctl', {
        kind: 'limit', errno: 'EPERM', limit: 'kernel.msgmnb', origin: origin('kernel.msgmnb'),
        actual: msgmnb.value, needed: req.qbytes,
        summary: `msgctl(IPC_SET) asks for msg_qbytes ${fmt(req.qbytes)}, above kernel.msgmnb = ${fmt(msgmnb.value)}, without CAP_SYS_RESOURCE (in the initial user namespace). Raising kernel.msgmnb also gives new queues that size without IPC_SET.`,
        fixes: sysctlFixes('kernel.msgmnb', req.qbytes, ctx),
      });
    }
  }

  // --- msgsnd(IPC_NOWAIT) of one message -----------------------------------------
  if (req.msgsize < 0) {
    failAt('msgsnd', {
      kind: 'request', errno: 'EINVAL', rule: 'size-negative',
      summary: `A message size of ${req.msgsize} is negative: msgsnd refuses it.`,
      remedy: 'Pass the size of the message text (without the mtype field).',
    });
  } else if (!msgmax.ok) unknown('msgsnd', `kernel.msgmax: ${msgmax.reason}`);
  else if (req.msgsize > msgmax.value) {
    failAt('msgsnd', {
      kind: 'limit', errno: 'EINVAL', limit: 'kernel.msgmax', origin: origin('kernel.msgmax'),
      actual: msgmax.value, needed: req.msgsize,
      summary: `A ${fmt(req.msgsize)}-byte message is larger than kernel.msgmax = ${fmt(msgmax.value)}: msgsnd fails with EINVAL (it never blocks for this).`,
      fixes: sysctlFixes('kernel.msgmax', req.msgsize, ctx),
    });
  }
  if (target) {
    const w = ipcPermits(target, WRITE, snap);
    if (typeof w === 'string') unknown('msgsnd', `write permission: ${w}`);
    else if (!w) {
      failAt('msgsnd', {
        kind: 'request', errno: 'EACCES', rule: 'permission',
        summary: existing
          ? `Queue ${existing.msqid} (owner uid ${existing.uid}, mode 0${existing.mode.toString(8)}) does not let this caller write to it.`
          : `The queue is created with mode 0${req.mode.toString(8)}, which does not let its own creator write to it.`,
        remedy: existing ? 'Run as the owner or group, or have the owner widen the mode.' : 'Create the queue with a mode that includes 0200 (e.g. 0600).',
      });
    }
  }
  const capacity = capacityOf(req, existing, msgmnb.ok ? msgmnb.value : null);
  if (req.msgsize >= 0 && existingUnknown === null) {
    const q = capacity.qbytes;
    const cbytes = existing?.bytes ?? 0;
    const qnum = existing?.messages ?? 0;
    if (q === null) unknown('msgsnd', existing ? `msg_qbytes of queue ${existing.msqid}: ${existing.qbytes.ok ? '' : existing.qbytes.reason}` : `kernel.msgmnb: ${msgmnb.ok ? '' : msgmnb.reason}`);
    else if (!fits(q, cbytes, qnum, req.msgsize)) failAt('msgsnd', fullBlocker(req, existing, q, msgmnb.ok ? msgmnb.value : null, ctx, origin('kernel.msgmnb')));
  }

  if (asked.qbytes !== null && asked.qbytes !== req.qbytes) {
    warnings.push(`msgctl(IPC_SET) keeps only the low 32 bits of msg_qbytes: ${typeof asked.qbytes === 'string' ? asked.qbytes.replace(/\B(?=(\d{3})+$)/g, ',') : fmt(asked.qbytes)} becomes ${fmt(req.qbytes as number)}.`);
  }
  if (req.key === null) assumptions.push('Without --key: IPC_PRIVATE, a new queue for every msgget.');
  if (existing && req.qbytes === null && existing.qbytes.ok && msgmnb.ok && existing.qbytes.value !== msgmnb.value) {
    warnings.push(`Queue ${existing.msqid} keeps its own msg_qbytes (${fmt(existing.qbytes.value)}); kernel.msgmnb (${fmt(msgmnb.value)}) only sizes new queues.`);
  }
  if (existing && req.create && !req.exclusive) {
    warnings.push(`Key ${keyName} already names queue ${existing.msqid}: msgget returns it as it is (msg_qbytes, mode and messages included).`);
  }
  const outcome = decide(checks, req.count);
  return {
    request: asked,
    existing: existing ? view(existing) : null,
    usage: { queuesInUse: inUse, msgmni: msgmni.ok ? msgmni.value : null },
    capacity,
    outcome,
    blockers: checks.flatMap((c) => (c.kind === 'fail' ? [c.blocker] : [])),
    warnings,
    assumptions,
  };
}

function capacityOf(req: SysvRequest & { qbytes: number | null }, existing: SysvQueue | null, msgmnb: number | null): SysvCapacity {
  let qbytes: number | null;
  let source: SysvCapacity['source'];
  // As if IPC_SET succeeded: if it cannot, its own blocker says why, and fixing
  // that must not reveal a msgsnd blocker that was hidden behind it.
  if (req.qbytes !== null) {
    qbytes = req.qbytes;
    source = 'IPC_SET (requested)';
  } else if (existing) {
    qbytes = existing.qbytes.ok ? existing.qbytes.value : null;
    source = 'existing queue';
  } else {
    qbytes = msgmnb;
    source = 'kernel.msgmnb (new queue)';
  }
  if (qbytes === null || req.msgsize < 0) return { qbytes, source, byBytes: null, byCount: null, messages: null, free: null };
  const byBytes = req.msgsize === 0 ? null : Math.floor(qbytes / req.msgsize);
  return {
    qbytes,
    source,
    byBytes,
    byCount: qbytes,
    messages: room(qbytes, 0, 0, req.msgsize),
    free: room(qbytes, existing?.bytes ?? 0, existing?.messages ?? 0, req.msgsize),
  };
}

function fullBlocker(req: SysvRequest, existing: SysvQueue | null, qbytes: number, msgmnb: number | null, ctx: ReturnType<typeof fixContextOf>, origin: string): Blocker {
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

const ORDER: Record<Call, number> = { msgget: 0, msgctl: 1, msgsnd: 2 };

function decide(checks: Check[], count: number): Outcome {
  // Queue by queue, each in call order: the first refusal is what the application sees.
  const fails = checks.filter((c): c is Extract<Check, { kind: 'fail' }> => c.kind === 'fail');
  const chosen = fails.sort((a, b) => a.failsAt - b.failsAt || ORDER[a.call] - ORDER[b.call])[0];
  const unknowns = checks.flatMap((c) => (c.kind === 'unknown' ? [c.reason] : []));
  const earlierUnknown = chosen !== undefined && checks.some((c) => c.kind === 'unknown' && ORDER[c.call] <= ORDER[chosen.call]);
  const base = { count, unknowns, ifUnknownsFavourable: (chosen?.blocker.errno ?? null) as Errno | null };
  if (chosen) {
    return { ...base, call: chosen.call, verdict: 'failure', errno: chosen.blocker.errno, errnoCertain: !earlierUnknown, opened: chosen.failsAt - 1 };
  }
  const firstUnknown = checks.find((c) => c.kind === 'unknown');
  if (firstUnknown) return { ...base, call: firstUnknown.call, verdict: 'indeterminate', errno: null, errnoCertain: false, opened: 0 };
  return { ...base, call: 'msgsnd', verdict: 'success', errno: null, errnoCertain: true, opened: count };
}
