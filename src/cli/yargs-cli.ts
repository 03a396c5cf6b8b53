// The full yargs CLI: help with examples, shell completion, --version, and
// friendly handling of anything the fast path does not take.
import yargs, { type Argv } from 'yargs';
import pkg from '../../package.json' with { type: 'json' };
import type { RawValues } from './args.js';
import { EXIT, isUsageError, UsageError } from './exit-codes.js';
import { RUNNERS } from './main.js';
import { COMMANDS, COMMON_OPTIONS, type OptionSpec } from './options.js';

function withOptions(y: Argv, options: Record<string, OptionSpec>, global = false): Argv {
  for (const [name, spec] of Object.entries(options)) {
    if (!global && name in COMMON_OPTIONS) continue;
    y.option(name, {
      global,
      describe: spec.describe,
      // Strings throughout: args.ts validates (yargs would turn "1e3" or "0x10" into numbers).
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.choices ? { choices: [...spec.choices] } : {}),
    });
  }
  return y;
}

export function buildParser(argv: string[], onRun: (code: number | Promise<number>) => void): Argv {
  const y = yargs(argv)
    .scriptName('mq-doctor')
    .usage('$0 <command> [options]\n\nDiagnose and tune Linux message-queue limits.')
    .strict()
    // preflight's command comes after a bare --
    .parserConfiguration({ 'populate--': true })
    .demandCommand(1, `name a command: ${Object.keys(COMMANDS).join(', ')}`)
    .recommendCommands()
    .completion('completion', 'Print a completion script for bash, zsh or fish (mq-doctor completion [bash|zsh|fish])')
    .version(pkg.version)
    .help()
    .alias('h', 'help')
    .epilogue(
      'Exit codes: 0 success (predicted, applied, no drift), 1 failure (predicted, not all applied, drift), 2 usage error, ' +
        '3 indeterminate, 70 internal error; preflight: 78 the container cannot run the workload, 126/127 CMD not executable/not found.',
    )
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      throw isUsageError(err) || !err ? new UsageError(msg ?? String(err)) : err;
    });
  // Shared flags are global so they may stand before the command (`--json limits`).
  withOptions(y, COMMON_OPTIONS, true);
  for (const [name, cmd] of Object.entries(COMMANDS)) {
    y.command(
      name,
      cmd.describe,
      (sub) => {
        withOptions(sub, cmd.options);
        for (const [example, what] of cmd.examples) sub.example(example, what);
        return sub;
      },
      (parsed) => {
        onRun(RUNNERS[name as keyof typeof RUNNERS](parsed as unknown as RawValues));
      },
    );
  }
  return y;
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** fish has no yargs script of its own: it asks the same --get-yargs-completions that bash and zsh do. */
const FISH = `###-begin-mq-doctor-completions-###
# mq-doctor completion for fish: save as ~/.config/fish/completions/mq-doctor.fish
function __mq_doctor_complete
    set -l words (commandline -opc) (commandline -ct)
    mq-doctor --get-yargs-completions $words
end
complete -c mq-doctor -f -a '(__mq_doctor_complete)'
###-end-mq-doctor-completions-###
`;

/** completion [bash|zsh|fish]: the script for that shell, or for $SHELL; anything else is a usage error. */
function completion(args: string[]): number {
  if (args.length > 1) throw new UsageError(`completion takes one shell (${SHELLS.join(', ')}), got "${args.join(' ')}"`);
  const shell = args[0] ?? (/zsh$/.test(process.env.SHELL ?? '') ? 'zsh' : /fish$/.test(process.env.SHELL ?? '') ? 'fish' : 'bash');
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: unknown shell "${shell}" (bash, zsh or fish)`);
  if (shell === 'fish') {
    process.stdout.write(FISH);
    return EXIT.ok;
  }
  // yargs picks the zsh or bash flavour from $SHELL.
  const saved = process.env.SHELL;
  process.env.SHELL = shell === 'zsh' ? '/bin/zsh' : '/bin/bash';
  try {
    buildParser([], () => {}).showCompletionScript();
  } finally {
    if (saved === undefined) delete process.env.SHELL;
    else process.env.SHELL = saved;
  }
  return EXIT.ok;
}

export async function runYargs(argv: string[]): Promise<number> {
  if (argv[0] === 'completion' && !argv.includes('--help') && !argv.includes('-h')) return completion(argv.slice(1));
  // yargs prints the version whatever follows; a stray argument is more likely a mistake than a request.
  if (argv[0] === '--version' && argv.length > 1) throw new UsageError(`--version takes nothing after it, got "${argv.slice(1).join(' ')}"`);
  let code: number | Promise<number> = EXIT.ok;
  const parser = buildParser(argv, (c) => (code = c));
  await parser.parseAsync();
  return await code;
}
