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
  /** The output could not be written (EX_IOERR): a full disk, an I/O error; one line on stderr where it can be written. */
  output: 74,
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

const OUTPUT = Symbol.for('mq-doctor.output-error');

/** A write to stdout or stderr failed with something other than a gone reader (EPIPE) or a full pipe (EAGAIN). */
export class OutputError extends Error {
  readonly [OUTPUT] = true;
  constructor(
    readonly stream: 'stdout' | 'stderr',
    readonly code: string,
  ) {
    super(`cannot write to ${stream}: ${code}${code === 'ENOSPC' ? ' (no space left on device)' : code === 'EIO' ? ' (input/output error)' : ''}`);
  }
}

export function isOutputError(err: unknown): err is OutputError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[OUTPUT] === true;
}
