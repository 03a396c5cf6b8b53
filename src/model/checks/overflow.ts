// MQ-OVERFLOW: since 3.5 mqueue_get_inode() computes the queue's size in an
// unsigned long and refuses with EOVERFLOW when maxmsg × msgsize (and the
// priority-tree overhead) wraps. Checked only for an attr the caller chose
// and that the attr checks accepted.
import { fail, pass, unknown } from '../check-result.js';
import { queueCost } from '../cost.js';
import { groupDigits as fmt } from '../units.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const overflowCheck: MqOpenCheck = {
  id: 'MQ-OVERFLOW',
  title: 'the size computation fits an unsigned long',
  kernel: 'mqueue_get_inode(): mq_treesize and mq_bytes overflow check',
  doc: docAnchor('MQ-OVERFLOW'),
  run(c, done) {
    if (!c.creationAttr?.ok || c.creationAttr.source !== 'requested') return [];
    if ((done.get('MQ-ATTR') ?? []).some((r) => r.kind !== 'pass')) return [];
    const attr = c.creationAttr.attr;
    if (c.era.costFormula !== 'tree') return [pass('not checked before 3.5')];
    if (!c.snap.kernel.wordBits.ok && attr.maxmsg * attr.msgsize >= 2 ** 32) return [unknown(`whether ${attr.maxmsg} × ${attr.msgsize} overflows: the kernel's word size is unknown`)];
    const ulongMax = 2 ** c.wordBits - 1;
    const cost = queueCost(attr.maxmsg, attr.msgsize, c.era, c.wordBits);
    if (attr.msgsize <= Math.floor(ulongMax / attr.maxmsg) && cost.bytes <= ulongMax) return [pass(`${fmt(cost.bytes)} bytes fit a ${c.wordBits}-bit unsigned long`, cost.bytes, null)];
    return [
      fail({
        kind: 'request',
        errno: 'EOVERFLOW',
        rule: 'size-overflow',
        summary: `${attr.maxmsg} × ${attr.msgsize} bytes overflows the ${c.wordBits}-bit kernel's size computation.`,
        remedy: 'Use a smaller maxmsg or msgsize.',
      }),
    ];
  },
};
