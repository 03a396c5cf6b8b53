// MQ-DEFAULT-ATTR: with attr NULL, mqueue_create_attr() gives a new queue
// min(msg_max, msg_default) × min(msgsize_max, msgsize_default) (since 3.5;
// before, the maxima themselves).
import { pass, unknown } from '../check-result.js';
import { groupDigits as fmt } from '../units.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const defaultAttrCheck: MqOpenCheck = {
  id: 'MQ-DEFAULT-ATTR',
  title: 'the default attr of a queue opened with attr NULL',
  kernel: 'mqueue_create_attr(): ipc_ns->mq_msg_default, mq_msgsize_default',
  doc: docAnchor('MQ-DEFAULT-ATTR'),
  run({ creationAttr, era }) {
    if (!creationAttr) return [];
    if (!creationAttr.ok) return [unknown(`the default attr: ${creationAttr.reason}`, { root: true })];
    if (creationAttr.source !== 'namespace defaults') return [];
    const { maxmsg, msgsize } = creationAttr.attr;
    const how = era.hasDefaultSysctls ? 'min of fs.mqueue.msg_max/msg_default and msgsize_max/msgsize_default' : 'fs.mqueue.msg_max × msgsize_max (no *_default sysctls before 3.5)';
    return [pass(`attr NULL gives ${fmt(maxmsg)} × ${fmt(msgsize)} (${how})`, `${maxmsg} × ${msgsize}`, null)];
  },
};
