// CAP_SYS_RESOURCE lifts queues_max and msg_max/msgsize_max: while the
// capabilities are unknown, a failure of those checks is not certain.
import { type CheckResult, unknown } from '../check-result.js';
import type { MqOpenContext } from './context.js';

export function liftable(c: MqOpenContext, r: CheckResult | undefined): CheckResult | undefined {
  const caps = c.snap.target.capabilities;
  if (!r || caps.ok || r.kind !== 'fail') return r;
  return unknown(`${r.blocker.kind === 'limit' ? r.blocker.limit : 'the limit'} would refuse, unless the target holds CAP_SYS_RESOURCE (${caps.reason})`);
}
