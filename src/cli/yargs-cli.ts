// The full yargs CLI: help with examples, shell completion, --version, and
// friendly handling of anything the fast path does not take.
import type { Argv } from 'yargs';
// yargs/yargs, not yargs: the package's main builds a singleton parser of process.argv as it loads (7 ms), which mq-doctor never uses.
import yargs from 'yargs/yargs';
import pkg from '../../package.json' with { type: 'json' };
import type { RawValues } from './args.js';
import { EXIT, isUsageError, UsageError } from './exit-codes.js';
import { RUNNERS } from './main.js';
import { forShell, ownCompletions, SCRIPTS, SHELLS } from './completion.js';
import { helpLayoutWidth } from './help-store.js';
import { COMMANDS, COMMON_OPTIONS, type OptionSpec } from './options.js';

/** A command's own flags, none global: its help and its completions show exactly what its parser takes. */
function withOptions(y: Argv, options: Record<string, OptionSpec>, describe = (spec: OptionSpec, _name: string) => spec.describe): Argv {
  for (const [name, spec] of Object.entries(options)) {
    y.option(name, {
      // yargs makes an option global unless told: a command would then show its parent's.
      global: false,
      describe: describe(spec, name),
      // Strings throughout: args.ts validates (yargs would turn "1e3" or "0x10" into numbers).
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.short !== undefined ? { alias: spec.short } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.choices ? { choices: [...spec.choices] } : {}),
    });
  }
  return y;
}

/** The commands that list a shared flag (it may stand before them). */
const takers = (name: string) => Object.entries(COMMANDS).filter(([, c]) => Object.hasOwn(c.options, name)).map(([n]) => n);

/** The name yargs' completion engine is registered under; `completion` itself is an ordinary command with help. */
const COMPLETION_ENGINE = 'completion-engine';

export function buildParser(argv: string[], onRun: (code: number | Promise<number>) => void): Argv {
  const y = yargs(argv)
    .scriptName('mq-doctor')
    // Every other word mq-doctor prints is English; and the bundled yargs has no locale files (scripts/build.mjs).
    .locale('en')
    .usage('$0 <command> [options]\n\nDiagnose and tune Linux message-queue limits.')
    .strict()
    // preflight's command comes after a bare --
    .parserConfiguration({ 'populate--': true })
    .demandCommand(1, `name a command: ${Object.keys(COMMANDS).join(', ')}`)
    .recommendCommands()
    // Hidden: yargs answers --get-yargs-completions (main.ts routes it here) with the commands and
    // each command's own flags; ownCompletions adds flag values. Run with the shell's words.
    .completion(COMPLETION_ENGINE, false, (_current: string, _argv: unknown, defaults: (then: (err: Error | null, list?: string[]) => void) => void, done: (completions: string[]) => void) => {
      const own = ownCompletions(argv.slice(argv.indexOf('--get-yargs-completions') + 1));
      // yargs also offers a one-letter alias with two dashes after "--" ("--o"): no parser takes that.
      if (own === undefined) defaults((_err, list) => done((list ?? []).filter((c) => !/^--[^-:](?::|$)/.test(c))));
      else done(forShell(own, /zsh/.test(process.env.SHELL ?? '')));
    })
    .version(pkg.version)
    .help()
    .alias('h', 'help')
    .epilogue(
      'Exit codes: 0 success (predicted, applied, no drift), 1 failure (predicted, not all applied, drift), 2 usage error, ' +
        '3 indeterminate, 70 internal error, 74 the output could not be written; preflight: 78 the container cannot run the workload, 126/127 CMD not executable/not found.',
    )
    .wrap(helpLayoutWidth(process.stdout.columns))
    .exitProcess(false)
    .fail((msg, err) => {
      throw isUsageError(err) || !err ? new UsageError(msg ?? String(err)) : err;
    });
  // Not global: they may stand before a command that lists them (`--json limits`), and only there.
  withOptions(y, COMMON_OPTIONS, (spec, name) => `${spec.describe} (here: before ${takers(name).join(', ')})`);
  y.command(
    'completion [shell]',
    'Print a completion script for bash, zsh or fish (default: the one of $SHELL)',
    (sub) =>
      sub
        .version(false)
        .positional('shell', { describe: 'The shell that reads the script', type: 'string', choices: [...SHELLS] })
        .example('source <(mq-doctor completion bash)', 'Complete mq-doctor in this bash (README: "Help and shell completion")')
        .example('mq-doctor completion fish > ~/.config/fish/completions/mq-doctor.fish', 'Install it for fish'),
  );
  for (const [name, cmd] of Object.entries(COMMANDS)) {
    // A command that takes words (explain's message) says so in its usage line.
    const words = 'positional' in cmd ? ` <${cmd.positional}..>` : '';
    y.command(
      `${name}${words}`,
      cmd.describe,
      (sub) => {
        // --version is mq-doctor's, not a command's: a command's help lists only what its parser takes.
        withOptions(sub.version(false), cmd.options);
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

/** completion [bash|zsh|fish]: the script for that shell, or for $SHELL; anything else is a usage error. */
function completion(args: string[]): number {
  if (args.length > 1) throw new UsageError(`completion takes one shell (${SHELLS.join(', ')}), got "${args.join(' ')}"`);
  const shell = args[0] ?? (/zsh$/.test(process.env.SHELL ?? '') ? 'zsh' : /fish$/.test(process.env.SHELL ?? '') ? 'fish' : 'bash');
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`completion: unknown shell "${shell}" (bash, zsh or fish)`);
  // Each script asks `mq-doctor --get-yargs-completions` (yargs' protocol) and leaves paths to the shell.
  process.stdout.write(SCRIPTS[shell as keyof typeof SCRIPTS]);
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
