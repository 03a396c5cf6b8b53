// MQ-QUEUES-MAX: mqueue_get_inode() counts the queues of the IPC namespace (all
// users) against fs.mqueue.queues_max and refuses with ENOSPC; CAP_SYS_RESOURCE
// lifts it.
import { type CheckResult, fail, firstOver, pass, unknown } from '../check-result.js';
import { sysctlFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';
import { docAnchor, type MqOpenCheck } from './check.js';
import type { MqOpenContext } from './context.js';
import { liftable } from './liftable.js';

function enospcFail(c: MqOpenContext, inUse: number, max: number, bound?: string): CheckResult | undefined {
  const failsAt = firstOver(inUse, 1, max);
  if (failsAt > c.count) return undefined;
  const needed = inUse + c.count;
  const inUseText = bound ? `at least ${fmt(inUse)} of ${fmt(max)} queues are in use (the rest is unknown)` : `${fmt(inUse)} of ${fmt(max)} queues are in use`;
  return fail(
    {
      kind: 'limit',
      errno: 'ENOSPC',
      limit: 'fs.mqueue.queues_max',
      origin: c.sysctlOrigin('fs.mqueue.queues_max'),
      actual: max,
      needed,
      summary: `ENOSPC: ${inUseText} in this IPC namespace; ${c.count} more need queues_max ≥ ${fmt(needed)}.`,
      fixes: sysctlFixes('fs.mqueue.queues_max', needed, c.fix),
    },
    failsAt,
    bound,
    bound ? { root: true } : undefined,
  );
}

export const queuesMaxCheck: MqOpenCheck = {
  id: 'MQ-QUEUES-MAX',
  title: 'queues in this IPC namespace (fs.mqueue.queues_max)',
  kernel: 'mqueue_get_inode(): ipc_ns->mq_queues_count vs mq_queues_max',
  doc: docAnchor('MQ-QUEUES-MAX'),
  run(c) {
    if (!c.creates) return [];
    if (c.sysResource) return [pass('CAP_SYS_RESOURCE: queues_max does not apply')];
    const max = c.snap.mqueue.queues_max;
    if (!max.ok) return [unknown(`fs.mqueue.queues_max: ${max.reason}`, { root: true })];
    if (c.usage.queuesInUse === undefined) {
      // Even the queues known to exist (the application's own) may already be too many.
      const why = `queues in use: ${c.usage.unknownReason}`;
      return [enospcFail(c, c.held.queues, max.value, why) ?? unknown(why, { root: true })];
    }
    const inUse = c.usage.queuesInUse + c.held.queues;
    const failed = liftable(c, enospcFail(c, inUse, max.value));
    if (failed) return [failed];
    const after = inUse + c.count;
    const warn = after >= 0.8 * max.value ? `${fmt(after)} of ${fmt(max.value)} queues in use afterwards` : undefined;
    return [pass(`${fmt(inUse)} of ${fmt(max.value)} queues in use; ${c.count} more fit`, max.value, after, warn)];
  },
};
