// The shape of one System V check: what the registry lists, in the kernel's order.
import type { CheckResult } from '../check-result.js';
import type { SysvCheckId } from '../types.js';
import type { SysvContext } from './context.js';

/** The call a check belongs to: what outcome.call names when it decides. */
export type SysvCall = 'msgget' | 'msgctl' | 'msgsnd';

export interface SysvCheckSpec {
  id: SysvCheckId;
  /** One line: what the check is about. */
  title: string;
  /** Where the kernel makes it (ipc/msg.c, ipc/util.c). */
  kernel: string;
  /** README anchor. */
  doc: string;
  call: SysvCall;
}

export interface SysvCheck extends SysvCheckSpec {
  /**
   * The check's results for the request, in order; none when the kernel does
   * not make it for this request (IPC_PRIVATE has no key to look up, no
   * --qbytes means no msgctl). Pure: it reads only the context.
   */
  run(c: SysvContext): CheckResult[];
}

export const sysvDocAnchor = (id: SysvCheckId) => `README.md#${id.toLowerCase()}`;
