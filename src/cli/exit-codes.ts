/** Documented in README.md ("Exit codes"). */
export const EXIT = {
  /** check: the call would succeed. limits: printed. */
  ok: 0,
  /** check: the call would fail (or --live failed). */
  predictedFailure: 1,
  /** Bad flags or values, unknown command, nonexistent --pid. */
  usage: 2,
  /** check: a value the prediction needs is unavailable. */
  indeterminate: 3,
  /** A bug in mq-doctor: one line on stderr, never a stack trace (MQ_DOCTOR_DEBUG=1 shows it). */
  internal: 70,
} as const;

// Each bundle in dist/ carries a copy of this class, so instanceof cannot tell
// a usage error thrown in one from another's; a registered symbol can.
const USAGE = Symbol.for('mq-doctor.usage-error');

export class UsageError extends Error {
  readonly [USAGE] = true;
}

export function isUsageError(err: unknown): err is UsageError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[USAGE] === true;
}
