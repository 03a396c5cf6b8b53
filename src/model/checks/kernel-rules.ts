// MQ-KERNEL-RULES: the order of the creation checks, the defaults and the cost
// all changed with kernel versions: without the release, none of them is certain.
import { pass, unknown } from '../check-result.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const kernelRulesCheck: MqOpenCheck = {
  id: 'MQ-KERNEL-RULES',
  title: "which kernel's rules apply",
  kernel: 'the running release (uname -r)',
  doc: docAnchor('MQ-KERNEL-RULES'),
  run({ creates, era }) {
    if (!creates) return [];
    return [era.basis.startsWith('assumed') ? unknown(`which kernel's rules apply: ${era.basis}`) : pass(era.basis)];
  },
};
