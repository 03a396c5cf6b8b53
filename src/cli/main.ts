// Entry point. Every command takes the fast path (util.parseArgs, the command's
// own flags, the shared ones also before it); help, completion and --version go
// through yargs, loaded only then because importing it costs more than `check` itself.
import { statSync } from 'node:fs';
import { writeErr, writeOut } from './output.js';
import { helpWidth, storedHelp } from './help-store.js';
import { log, logLevelProblem } from '../log.js';
import { applyArgs, checkArgs, explainArgs, fastParse, limitsArgs, preflightArgs, type RawValues, rollbackArgs, sysvCheckArgs, tuneArgs, verifyArgs, watchArgs } from './args.js';
import { EXIT, isOutputError, isUsageError, UsageError } from './exit-codes.js';
import { COMMANDS, COMMON_OPTIONS, type CommandName } from './options.js';

/** Every command, from raw flag values to an exit code; yargs-cli.ts runs the same table. */
export const RUNNERS: Record<CommandName, (raw: RawValues) => number | Promise<number>> = {
  // Every command is a bundle of its own (scripts/build.mjs), this file the small
  // one in front: System V's model stays out of the POSIX check, and check's out of tune.
  check: async (raw) => {
    if (raw.sysv === true) {
      const args = sysvCheckArgs(raw);
      return (await import('./check-sysv.js')).runSysvCheck(args);
    }
    const args = checkArgs(raw);
    return (await import('./check.js')).runCheck(args);
  },
  limits: async (raw) => {
    const args = limitsArgs(raw);
    return (await import('./limits.js')).runLimits(args);
  },
  // Commands beyond the hot path load their modules only when run, and only after
  // their flags passed: a usage error does not pay for loading them.
  tune: async (raw) => {
    const args = tuneArgs(raw);
    return (await import('./tune.js')).runTune(args);
  },
  apply: async (raw) => {
    const args = applyArgs(raw);
    return (await import('./apply.js')).runApply(args);
  },
  verify: async (raw) => {
    const args = verifyArgs(raw);
    return (await import('./apply.js')).runVerify(args);
  },
  rollback: async (raw) => {
    const args = rollbackArgs(raw);
    return (await import('./apply.js')).runRollback(args);
  },
  watch: async (raw) => {
    const args = watchArgs(raw);
    return (await import('./watch.js')).runWatch(args);
  },
  // Its own bundle (dist/preflight.cjs): check and limits need none of it.
  preflight: async (raw) => {
    const args = preflightArgs(raw, process.env);
    return (await import('./preflight.js')).runPreflight(args);
  },
  // dist/explain.cjs, with its message tables; fastest-levenshtein only for an unknown text.
  explain: async (raw) => {
    const args = explainArgs(raw);
    return (await import('./explain.js')).runExplain(args);
  },
};
/** Help, version and shell completion are yargs' (only before a bare `--`: what follows is preflight's command). */
const NEEDS_YARGS = /^(-h|--help|--version|--get-yargs-completions)$/;

/** Control characters and line breaks, escaped: a usage error is one line whatever the user typed. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function usageLine(message: string): string {
  return `mq-doctor: ${oneLine(message)}\n`;
}

/** The other variables mq-doctor reads: a typo must not silently mean "off" (or another addon). */
export function environmentProblem(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const name of ['MQ_DOCTOR_DEBUG', 'MQ_DOCTOR_NO_ADDON']) {
    const v = env[name];
    if (v !== undefined && v !== '' && v !== '0' && v !== '1') return `${name} must be 0 or 1, got "${v}"`;
  }
  const addon = env.MQ_DOCTOR_ADDON;
  if (addon !== undefined) {
    if (!addon.startsWith('/')) return `MQ_DOCTOR_ADDON must be the absolute path of the built addon (getrlimit.node), got "${addon}"`;
    let why: string | null = null;
    try {
      if (!statSync(addon).isFile()) why = 'it is not a regular file';
    } catch (err) {
      why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    if (why) return `MQ_DOCTOR_ADDON must be the absolute path of the built addon (getrlimit.node), got "${addon}": ${why}`;
  }
  return null;
}

const commandList = () => Object.keys(COMMANDS).join(', ');

/**
 * What comes before the command: only the shared flags (`--json limits`), which
 * the command's own parser then reads as if they followed it. Returns the
 * command's index.
 */
function leadingFlags(argv: string[], lead: string[]): number {
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--'; i++) {
    const a = argv[i]!;
    const name = a.replace(/^--?/, '').split('=')[0]!;
    const spec = (COMMON_OPTIONS as Record<string, { kind: string }>)[name];
    if (!a.startsWith('--') || !spec) throw new UsageError(`unknown option '${a.split('=')[0]}' (see mq-doctor --help)`);
    lead.push(a);
    if (spec.kind !== 'boolean' && !a.includes('=') && i + 1 < argv.length) lead.push(argv[++i]!);
  }
  return i;
}

/** yargs' answer: the help the build recorded for this request and width, or yargs itself. */
async function viaYargs(argv: string[]): Promise<number> {
  const stored = storedHelp(argv, helpWidth);
  if (stored !== undefined) {
    writeOut(stored);
    return EXIT.ok;
  }
  const { runYargs } = await import('./yargs-cli.js');
  return await runYargs(argv);
}

export async function main(argv: string[]): Promise<number> {
  try {
    const envProblem = logLevelProblem() ?? environmentProblem();
    if (envProblem) throw new UsageError(envProblem);
    const dashes = argv.indexOf('--');
    const own = dashes >= 0 ? argv.slice(0, dashes) : argv;
    if (!own.some((a) => NEEDS_YARGS.test(a))) {
      const lead: string[] = [];
      const at = leadingFlags(own, lead);
      const command = argv[at];
      if (command === undefined || command === '--') throw new UsageError(`name a command: ${commandList()}`);
      if (Object.hasOwn(RUNNERS, command)) {
        const name = command as CommandName;
        const raw = fastParse(name, [...lead, ...argv.slice(at + 1)]);
        const extra = raw['--'];
        if (name !== 'preflight' && Array.isArray(extra) && extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (see mq-doctor ${name} --help)`);
        return await RUNNERS[name](raw);
      }
      if (command === 'help') {
        // `help COMMAND` is `COMMAND --help`.
        const rest = argv.slice(at + 1);
        if (lead.length > 0) throw new UsageError(`help takes no options, got "${lead[0]}"`);
        if (rest.length > 1) throw new UsageError(`help takes one command (${commandList()}), got "${rest.join(' ')}"`);
        const topic = rest[0];
        if (topic !== undefined && !(Object.hasOwn(COMMANDS, topic) || topic === 'completion')) {
          throw new UsageError(`help: unknown command "${topic}" (${commandList()}, completion)`);
        }
        return await viaYargs(topic === undefined ? ['--help'] : [topic, '--help']);
      }
      if (command !== 'completion') throw new UsageError(`unknown command "${command}" (${commandList()}, completion, help; see mq-doctor --help)`);
      if (lead.length > 0) throw new UsageError(`completion takes no options, got "${lead[0]}"`);
      const { runYargs } = await import('./yargs-cli.js');
      return await runYargs(argv.slice(at));
    }
    return await viaYargs(argv);
  } catch (err) {
    if (isUsageError(err)) {
      writeErr(usageLine(err.message));
      return EXIT.usage;
    }
    if (isOutputError(err)) {
      // As cat and ls say a write error: one line on stderr, unless stderr is what failed.
      if (err.stream === 'stdout') {
        try {
          writeErr(usageLine(err.message));
        } catch {
          // stderr cannot be written either
        }
      }
      return EXIT.output;
    }
    const message = (err as Error)?.message ?? String(err);
    // One line on stderr (README, "Exit codes"): the pino record only where logs were asked for.
    if (process.env.MQ_DOCTOR_LOG_LEVEL) log.error({ error: message }, 'internal error');
    writeErr(usageLine(`internal error: ${message} (set MQ_DOCTOR_DEBUG=1 for the stack)`));
    if (process.env.MQ_DOCTOR_DEBUG === '1') writeErr(`${(err as Error)?.stack}\n`);
    return EXIT.internal;
  }
}
