import { HARD_MSGMAX, HARD_MSGSIZEMAX, KERNEL_DEFAULTS } from '../model/cost.js';
import { analyseLimits } from '../model/limits-analysis.js';
import type { Avail, Snapshot } from '../snapshot.js';
import { bar, num, rlim, table } from './format.js';
import { whoLine } from './check-text.js';
import { sysvKeyHex as hex } from '../model/units.js';

const show = (v: Avail<number>): string => (v.ok ? num(v.value) : 'unavailable');

/** The `limits --json` document; schema/limits.schema.json describes it. */
export function limitsDocument(snap: Snapshot) {
  const a = analyseLimits(snap);
  return { schemaVersion: 1 as const, command: 'limits' as const, snapshot: snap, usage: a.usage, era: a.era, wordBits: a.wordBits };
}

function unavailableNotes(rows: Array<[string, Avail<unknown>]>): string[] {
  return rows.filter(([, v]) => !v.ok).map(([k, v]) => `  ${k}: ${(v as { reason: string }).reason}`);
}

export function renderLimitsText(snap: Snapshot): string {
  const { era, wordBits, usage, defaultQueueCost, charges } = analyseLimits(snap);
  const D = KERNEL_DEFAULTS;
  const m = snap.mqueue;
  const t = snap.target;
  const out: string[] = [`mq-doctor limits for ${whoLine(snap)}`];
  const caps = t.capabilities.ok
    ? `CAP_SYS_RESOURCE ${t.capabilities.value.sysResource ? 'yes' : t.capabilities.value.sysResourceInOwnNs ? 'only in its own user namespace (does not count)' : 'no'}`
    : `capabilities unavailable (${t.capabilities.reason})`;
  out.push(`${caps}; cost rules: ${era.basis} (${era.costFormula === 'tree' ? 'msg_msg + tree nodes' : 'pointer per message'}, ${wordBits}-bit)`);
  if (t.ipcNamespace.ok && !t.ipcNamespace.value.initial) {
    out.push(`Private IPC namespace: these fs.mqueue values started from the kernel defaults (${D.msg_max} / ${D.msgsize_max} / ${D.queues_max}), not from the host.`);
  }

  out.push('', `POSIX queues: fs.mqueue, read from ${snap.sysctlSource}`);
  out.push(
    ...table([
      ['  msg_max', show(m.msg_max), `largest mq_maxmsg without CAP_SYS_RESOURCE (hard cap ${num(HARD_MSGMAX)})`],
      ['  msgsize_max', show(m.msgsize_max), `largest mq_msgsize (hard cap ${num(HARD_MSGSIZEMAX)})`],
      ['  msg_default', show(m.msg_default), 'mq_maxmsg for attr NULL (capped by msg_max)'],
      ['  msgsize_default', show(m.msgsize_default), 'mq_msgsize for attr NULL (capped by msgsize_max)'],
      ['  queues_max', show(m.queues_max), 'queues in this IPC namespace, all users'],
    ]),
  );
  if (usage.queuesInUse !== undefined && m.queues_max.ok) {
    out.push(`  queues in use    ${num(usage.queuesInUse)}/${num(m.queues_max.value)}  ${bar(usage.queuesInUse, m.queues_max.value)}`);
  } else {
    out.push(`  queues in use    ${usage.unknownReason ?? 'unknown: queues_max unavailable'}`);
  }

  const ml = t.rlimitMsgqueue;
  out.push('', `RLIMIT_MSGQUEUE (bytes of queue memory charged per uid): ${ml.ok ? `soft ${rlim(ml.value.value.soft)}, hard ${rlim(ml.value.value.hard)} from ${ml.value.source}` : `unavailable (${ml.reason})`}`);
  const me = t.credentials.ok ? t.credentials.value.realUid : undefined;
  if (usage.queuesInUse === undefined) {
    out.push('  charged bytes per uid: unknown (no queue listing)');
  } else if (usage.byUid.length === 0) {
    out.push(`  no queues: nothing is charged${me !== undefined ? ` to uid ${me}` : ''}`);
  }
  for (const u of usage.byUid) {
    const lower = u.unknownQueues === 0 ? '' : u.unknownQueues === u.queues ? ' (unknown: none could be sized)' : ` (at least: ${u.unknownQueues} unsized)`;
    const mine = u.uid === me && ml.ok && ml.value.value.soft !== 'unlimited';
    const gauge = mine ? ` of ${num(ml.value.value.soft as number)}  ${bar(u.bytes, ml.value.value.soft as number)}` : '';
    out.push(`  uid ${u.uid}${u.uid === me ? ' (target)' : ''}: ${num(u.queues)} queue${u.queues === 1 ? '' : 's'}, charged ${num(u.bytes)} bytes${lower}${gauge}`);
  }
  out.push(`  a default queue (${D.msg_default} × ${D.msgsize_default}) costs ${num(defaultQueueCost)} bytes`);

  if (snap.queues.ok && snap.queues.value.queues.length > 0) {
    out.push('', `Queues in ${snap.queues.value.mountPath}`);
    const rows = [['  NAME', 'UID', 'MODE', 'MAXMSG', 'MSGSIZE', 'CURMSGS', 'QSIZE', 'CHARGED']];
    for (const q of snap.queues.value.queues) {
      const a = q.attr.ok ? q.attr.value : undefined;
      const charge = charges.get(q.name);
      rows.push([
        `  /${q.name}`,
        String(q.uid),
        q.mode.toString(8).padStart(4, '0'),
        a ? num(a.maxmsg) : '?',
        a ? num(a.msgsize) : '?',
        a ? `${num(a.curmsgs)}${a.curmsgs === a.maxmsg ? ' FULL' : ''}` : '?',
        q.qsize.ok ? num(q.qsize.value) : '?',
        charge === undefined ? '?' : num(charge),
      ]);
    }
    out.push(...table(rows));
    const unsized = snap.queues.value.queues.find((q) => !q.attr.ok);
    if (unsized && !unsized.attr.ok) out.push(`  ? = ${unsized.attr.reason}`);
  }

  const nf = t.rlimitNofile;
  out.push('', 'Descriptors (mq_open takes one; EMFILE when none is left)');
  out.push(`  RLIMIT_NOFILE soft ${nf.ok ? rlim(nf.value.value.soft) : 'unavailable'}, hard ${nf.ok ? rlim(nf.value.value.hard) : 'unavailable'}; open now: ${t.openFds.ok ? num(t.openFds.value) : 'unavailable'}${t.self ? ' (mq-doctor itself)' : ''}`);

  out.push(...sysvLines(snap));

  const missing = unavailableNotes([
    ['kernel release', snap.kernel.release],
    ['word size', snap.kernel.wordBits],
    ['fs.mqueue.msg_default', m.msg_default],
    ['fs.mqueue.msgsize_default', m.msgsize_default],
    ['libc', t.libc],
    ['queues', snap.queues],
    ['System V queues', snap.sysvQueues],
    ['native addon', snap.nativeAddon],
  ]);
  if (missing.length) out.push('', 'Unavailable:', ...missing);
  return `${out.join('\n')}\n`;
}


/** What `ipcs -l` and `ipcs -u` show for message queues, plus each queue's fill. */
function sysvLines(snap: Snapshot): string[] {
  const s = snap.sysv;
  const q = snap.sysvQueues;
  const out = ['', 'System V queues: kernel.msg* (no rlimit applies)'];
  const inUse = q.ok ? q.value.length : null;
  out.push(...table([
    ['  msgmax', show(s.msgmax), 'largest message (msgsnd: EINVAL above it)'],
    ['  msgmnb', show(s.msgmnb), 'msg_qbytes of a new queue: its bytes and its messages'],
    ['  msgmni', show(s.msgmni), `queues per IPC namespace (msgget: ENOSPC at it)${inUse !== null && s.msgmni.ok ? `; in use ${num(inUse)} ${bar(inUse, s.msgmni.value)}` : ''}`],
  ]));
  if (!q.ok || q.value.length === 0) return out;
  const bytes = q.value.reduce((n, x) => n + x.bytes, 0);
  const messages = q.value.reduce((n, x) => n + x.messages, 0);
  out.push(`  in use: ${num(q.value.length)} queue(s), ${num(messages)} message(s), ${num(bytes)} bytes`);
  const rows: string[][] = [['  key', 'msqid', 'owner', 'perms', 'messages', 'bytes / msg_qbytes']];
  for (const x of q.value) {
    const fill = x.qbytes.ok ? `${num(x.bytes)} / ${num(x.qbytes.value)} ${bar(Math.max(x.bytes, x.messages), x.qbytes.value)}` : `${num(x.bytes)} / unknown`;
    rows.push([`  ${hex(x.key)}`, String(x.msqid), String(x.uid), `0${x.mode.toString(8)}`, num(x.messages), fill]);
  }
  out.push(...table(rows));
  return out;
}
