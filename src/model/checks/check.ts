// The shape of one mq_open check: what the registry lists, in the kernel's order.
import type { CheckResult } from '../check-result.js';
import type { CheckId } from '../types.js';
import type { MqOpenContext } from './context.js';

export interface CheckSpec {
  id: CheckId;
  /** One line: what the check is about. */
  title: string;
  /** Where the kernel (or libc) makes it. */
  kernel: string;
  /** README anchor. */
  doc: string;
}

export interface MqOpenCheck extends CheckSpec {
  /**
   * The check's results for the call, in order; none when the kernel does not
   * make it for this call (no name given, an existing queue, an unknown attr).
   * `done` holds the results of the checks made before it.
   */
  run(c: MqOpenContext, done: ReadonlyMap<CheckId, CheckResult[]>): CheckResult[];
}

export const docAnchor = (id: CheckId) => `README.md#${id.toLowerCase()}`;
