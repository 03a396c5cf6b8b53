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

export class UsageError extends Error {}
