// MQ-ATTR: mqueue_attr_ok() in do_mq_open: mq_maxmsg and mq_msgsize must be
// positive, at most the hard caps (HARD_MSGMAX, HARD_MSGSIZEMAX) whatever the
// privileges, and at most fs.mqueue.msg_max / msgsize_max without CAP_SYS_RESOURCE.
import { type CheckResult, fail, pass, unknown } from '../check-result.js';
import { HARD_MSGMAX, HARD_MSGSIZEMAX } from '../cost.js';
import { sysctlFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';
import { docAnchor, type MqOpenCheck } from './check.js';
import { liftable } from './liftable.js';

export const attrCheck: MqOpenCheck = {
  id: 'MQ-ATTR',
  title: 'queue size: mq_maxmsg and mq_msgsize (fs.mqueue.msg_max, msgsize_max)',
  kernel: 'mqueue_attr_ok() via do_mq_open()',
  doc: docAnchor('MQ-ATTR'),
  run(c) {
    if (!c.creationAttr?.ok) return [];
    const attr = c.creationAttr.attr;
    const requested = c.creationAttr.source === 'requested';
    const out: CheckResult[] = [];
    for (const [field, value] of [['maxmsg', attr.maxmsg], ['msgsize', attr.msgsize]] as const) {
      if (value <= 0) out.push(fail({ kind: 'request', errno: 'EINVAL', rule: 'attr-not-positive', summary: `mq_${field} is ${value}: it must be at least 1.`, remedy: `Pass a positive mq_${field}.` }));
    }
    if (out.length > 0) return out;
    // Defaults are clamped to the maxima, so only an explicit attr can exceed them.
    if (!requested) return [pass('the defaults are within the maxima')];
    const m = c.snap.mqueue;
    const rows = [
      { field: 'maxmsg', value: attr.maxmsg, hard: HARD_MSGMAX, key: 'fs.mqueue.msg_max', limit: m.msg_max },
      { field: 'msgsize', value: attr.msgsize, hard: HARD_MSGSIZEMAX, key: 'fs.mqueue.msgsize_max', limit: m.msgsize_max },
    ] as const;
    for (const r of rows) {
      if (r.value > r.hard) {
        out.push(
          fail({
            kind: 'request',
            errno: 'EINVAL',
            rule: 'attr-over-hard-cap',
            summary: `mq_${r.field} ${fmt(r.value)} is over the kernel's hard cap of ${fmt(r.hard)}: no sysctl or capability allows it.`,
            remedy: `Use mq_${r.field} ≤ ${fmt(r.hard)}${r.field === 'maxmsg' ? ', or spread the messages over several queues' : ', or send larger payloads another way (shared memory, a file)'}.`,
          }),
        );
      } else if (c.sysResource) {
        continue; // with CAP_SYS_RESOURCE only the hard caps apply
      } else if (!r.limit.ok) {
        out.push(unknown(`${r.key}: ${r.limit.reason}`, { root: true }));
      } else if (r.value > r.limit.value) {
        out.push(
          liftable(
            c,
            fail({
              kind: 'limit',
              errno: 'EINVAL',
              limit: r.key,
              origin: c.sysctlOrigin(r.key),
              actual: r.limit.value,
              needed: r.value,
              summary: `EINVAL: mq_${r.field} ${fmt(r.value)} is over ${r.key} = ${fmt(r.limit.value)}.`,
              fixes: sysctlFixes(r.key, r.value, c.fix),
            }),
          )!,
        );
      }
    }
    if (out.length) return out;
    if (c.sysResource) return [pass(`CAP_SYS_RESOURCE: only the hard caps ${fmt(HARD_MSGMAX)} × ${fmt(HARD_MSGSIZEMAX)} apply`, `${HARD_MSGMAX} × ${HARD_MSGSIZEMAX}`, `${attr.maxmsg} × ${attr.msgsize}`)];
    const [msgMax, msgsizeMax] = rows.map((r) => (r.limit.ok ? r.limit.value : 0)) as [number, number];
    return [pass(`${fmt(attr.maxmsg)} × ${fmt(attr.msgsize)} within fs.mqueue.msg_max × msgsize_max = ${fmt(msgMax)} × ${fmt(msgsizeMax)}`, `${msgMax} × ${msgsizeMax}`, `${attr.maxmsg} × ${attr.msgsize}`)];
  },
};
