// What one kernel check answers for a whole batch of --count queues.
import type { RlimValue } from '../snapshot.js';
import type { Blocker, Certainty, CheckId } from './types.js';

/** What a check read, for the report's line: the value in force, the value the call needs. */
export interface Reading {
  actual: number | string | null;
  needed: number | string | null;
  detail: string;
  /** It passes, but by a narrow margin or with a catch the user should know of. */
  warn?: string;
}

export type CheckResult =
  | { kind: 'pass'; id?: CheckId; reading?: Reading }
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

/** A pass that says what it found. */
export const pass = (detail: string, actual: Reading['actual'] = null, needed: Reading['needed'] = null, warn?: string): CheckResult => ({
  kind: 'pass',
  reading: warn === undefined ? { actual, needed, detail } : { actual, needed, detail, warn },
});

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
