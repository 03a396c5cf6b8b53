// What one kernel check answers for a whole batch of --count queues.
import type { RlimValue } from '../snapshot.js';
import type { Blocker, Certainty, CheckId } from './types.js';

export type CheckResult =
  | { kind: 'pass'; id?: CheckId }
  /**
   * failsAt: the 1-based index of the first queue this check refuses. With
   * `bound`, some input was partly unknown: the failure is certain, but it may
   * come earlier (failsAt is an upper bound) and an earlier check may decide the errno.
   */
  | { kind: 'fail'; failsAt: number; blocker: Blocker; bound?: string; certainWith?: Certainty; id?: CheckId }
  /** certainWith: what would make this check definite. */
  | { kind: 'unknown'; reason: string; certainWith?: Certainty; id?: CheckId };

/** Names a result by the check that made it (its blocker, too). */
export function tagged(id: CheckId, r: CheckResult): CheckResult {
  if (r.kind === 'fail') return { ...r, id, blocker: { ...r.blocker, id } };
  return { ...r, id };
}

export const PASS: CheckResult = { kind: 'pass' };

export const fail = (blocker: Blocker, failsAt = 1, bound?: string, certainWith?: Certainty): CheckResult => {
  const r: CheckResult = { kind: 'fail', failsAt, blocker };
  if (bound !== undefined) r.bound = bound;
  if (certainWith !== undefined) r.certainWith = certainWith;
  return r;
};

export const unknown = (reason: string, certainWith?: Certainty): CheckResult =>
  certainWith === undefined ? { kind: 'unknown', reason } : { kind: 'unknown', reason, certainWith };

/** The first queue index (1-based) at which used + i*each exceeds limit, or Infinity. */
export function firstOver(used: number, each: number, limit: RlimValue): number {
  if (limit === 'unlimited') return Infinity;
  if (each <= 0) return used > limit ? 1 : Infinity;
  return Math.max(1, Math.floor((limit - used) / each) + 1);
}
