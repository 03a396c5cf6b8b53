// Entry point. `check` and `limits` take the fast path (util.parseArgs); help,
// completion, --version and anything unusual go through yargs, loaded only then
// because importing it costs more than `check` itself.
import { writeErr } from './output.js';
import { log, logLevelProblem } from '../log.js';
import { applyArgs, checkArgs, fastParse, limitsArgs, preflightArgs, type RawValues, rollbackArgs, sysvCheckArgs, tuneArgs, verifyArgs, watchArgs } from './args.js';
import { runCheck } from './check.js';
import { EXIT, isUsageError, UsageError } from './exit-codes.js';
import { runLimits } from './limits.js';
import type { CommandName } from './options.js';

/** Every command, from raw flag values to an exit code; yargs-cli.ts runs the same table. */
export const RUNNERS: Record<CommandName, (raw: RawValues) => number | Promise<number>> = {
  // System V is the rarer question: its model stays out of the POSIX hot path.
  check: async (raw) => (raw.sysv === true ? (await import('./check-sysv.js')).runSysvCheck(sysvCheckArgs(raw)) : runCheck(checkArgs(raw))),
  limits: (raw) => runLimits(limitsArgs(raw)),
  // Commands beyond the hot path load their modules only when run.
  tune: async (raw) => (await import('./tune.js')).runTune(tuneArgs(raw)),
  apply: async (raw) => (await import('./apply.js')).runApply(applyArgs(raw)),
  verify: async (raw) => (await import('./apply.js')).runVerify(verifyArgs(raw)),
  rollback: async (raw) => (await import('./apply.js')).runRollback(rollbackArgs(raw)),
  // Its own bundle (dist/preflight.cjs): check and limits need none of it.
  watch: async (raw) => (await import('./watch.js')).runWatch(watchArgs(raw)),
  preflight: async (raw) => (await import('./preflight.js')).runPreflight(preflightArgs(raw, process.env)),
};
const NEEDS_YARGS = /^(-h|--help|--version|--get-yargs-completions|completion)$/;

export function usageLine(message: string): string {
  return `mq-doctor: ${message}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const levelProblem = logLevelProblem();
    if (levelProblem) throw new UsageError(levelProblem);
    const [command, ...rest] = argv;
    if (command && command in RUNNERS && !argv.some((a) => NEEDS_YARGS.test(a))) {
      const name = command as CommandName;
      const raw = fastParse(name, rest);
      const extra = raw['--'];
      if (name !== 'preflight' && Array.isArray(extra) && extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (see mq-doctor ${name} --help)`);
      return await RUNNERS[name](raw);
    }
    const { runYargs } = await import('./yargs-cli.js');
    return await runYargs(argv);
  } catch (err) {
    if (isUsageError(err)) {
      writeErr(usageLine(err.message));
      return EXIT.usage;
    }
    // The message only: pino would print the whole stack, and an error is one line.
    log.error({ error: (err as Error).message ?? String(err) }, 'internal error');
    writeErr(usageLine(`internal error: ${(err as Error).message ?? String(err)} (set MQ_DOCTOR_DEBUG=1 for the stack)`));
    if (process.env.MQ_DOCTOR_DEBUG === '1') writeErr(`${(err as Error).stack}\n`);
    return EXIT.internal;
  }
}
