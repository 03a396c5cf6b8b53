// Entry point. `check` and `limits` take the fast path (util.parseArgs); help,
// completion, --version and anything unusual go through yargs, loaded only then
// because importing it costs more than `check` itself.
import { checkArgs, fastParse, limitsArgs } from './args.js';
import { runCheck } from './check.js';
import { EXIT, UsageError } from './exit-codes.js';
import { runLimits } from './limits.js';
import { log } from '../log.js';

const FAST = new Set(['check', 'limits']);
const NEEDS_YARGS = /^(-h|--help|--version|--get-yargs-completions|completion)$/;

export function usageLine(message: string): string {
  return `mq-doctor: ${message}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command && FAST.has(command) && !argv.some((a) => NEEDS_YARGS.test(a))) {
      return command === 'check' ? runCheck(checkArgs(fastParse('check', rest))) : runLimits(limitsArgs(fastParse('limits', rest)));
    }
    const { runYargs } = await import('./yargs-cli.js');
    return await runYargs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageLine(err.message));
      return EXIT.usage;
    }
    log.error({ err }, 'internal error');
    process.stderr.write(usageLine(`internal error: ${(err as Error).message ?? String(err)} (set MQ_DOCTOR_DEBUG=1 for the stack)`));
    if (process.env.MQ_DOCTOR_DEBUG === '1') process.stderr.write(`${(err as Error).stack}\n`);
    return EXIT.internal;
  }
}
