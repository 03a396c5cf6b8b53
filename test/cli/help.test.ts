// Honest help: `mq-doctor CMD --help` (yargs) lists exactly the flags the fast
// parser (util.parseArgs) takes for CMD, each with the kind the parser gives it,
// and nothing the parser rejects. Both read options.ts; this reads what they print
// and accept, so a flag added to one side only (a global yargs option, a flag
// spread into another command) fails here.
import { describe, expect, it } from 'vitest';
import { fastParse } from '../../src/cli/args.js';
import { SHELLS } from '../../src/cli/completion.js';
import { COMMANDS, COMMON_OPTIONS, type CommandName } from '../../src/cli/options.js';
import { runCli } from '../support/run-cli.js';

interface Shown {
  long: string;
  short: string | undefined;
  type: 'boolean' | 'string';
}

/** The entries of a yargs help section ("Options:", "Positionals:"): an entry's first line starts at column 2 or 6. */
function section(help: string, title: string): Array<{ head: RegExpExecArray; text: string }> {
  const lines = help.split('\n');
  const at = lines.indexOf(`${title}:`);
  if (at < 0) return [];
  const out: Array<{ head: RegExpExecArray; text: string }> = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break;
    const head = /^(?: {2}-(\w), | {6})--([\w-]+)(?= )|^ {2}(\w+)(?= )/.exec(line);
    if (head) out.push({ head, text: line });
    else if (out.length > 0) out[out.length - 1]!.text += ` ${line.trim()}`;
    else throw new Error(`unexpected line under ${title}: ${line}`);
  }
  return out;
}

function optionsOf(help: string): Shown[] {
  return section(help, 'Options').map(({ head, text }) => {
    const type = /\[(boolean|string)\]/.exec(text)?.[1];
    if (!head[2] || !type) throw new Error(`cannot read the option line: ${text}`);
    return { long: head[2], short: head[1], type: type as Shown['type'] };
  });
}

function help(args: string[]): string {
  const r = runCli(args);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** Every flag any command takes: each command must reject the ones it does not list. */
const EVERY_FLAG = [...new Set([...Object.values(COMMANDS).flatMap((c) => Object.keys(c.options)), ...Object.keys(COMMON_OPTIONS), 'version'])];
const parse = (cmd: CommandName, argv: string[]) => () => fastParse(cmd, argv);

const helps = new Map<string, string>();
/** Help is read once per command line. */
const helpOf = (args: string[]) => helps.get(args.join(' ')) ?? helps.set(args.join(' '), help(args)).get(args.join(' '))!;

describe.each(Object.keys(COMMANDS) as CommandName[])('mq-doctor %s --help', (cmd) => {
  const shownOf = () => optionsOf(helpOf([cmd, '--help']));

  it('lists exactly the flags its parser takes (and --help)', () => {
    const shown = shownOf();
    expect(shown.map((o) => o.long).sort()).toEqual([...Object.keys(COMMANDS[cmd].options), 'help'].sort());
    expect(shown.find((o) => o.long === 'help')).toEqual({ long: 'help', short: 'h', type: 'boolean' });
  });

  it('every flag it lists passes the fast parser, with the kind help gives it', () => {
    for (const o of shownOf().filter((x) => x.long !== 'help')) {
      const spellings = [`--${o.long}`, ...(o.short ? [`-${o.short}`] : [])];
      for (const flag of spellings) {
        if (o.type === 'boolean') {
          expect(fastParse(cmd, [flag])[o.long], flag).toBe(true);
          if (flag.startsWith('--')) expect(parse(cmd, [`${flag}=1`]), `${flag} takes no value`).toThrow(/does not take an argument/);
        } else {
          expect(fastParse(cmd, [flag, 'v'])[o.long], flag).toBe('v');
          expect(parse(cmd, [flag]), `${flag} needs a value`).toThrow(/argument missing/);
        }
      }
    }
  });

  it('the fast parser rejects every flag it does not list', () => {
    const own = shownOf().filter((x) => x.long !== 'help');
    const listed = new Set(own.map((o) => o.long));
    const others = EVERY_FLAG.filter((f) => !listed.has(f));
    for (const f of others) expect(parse(cmd, [`--${f}`, 'v']), `--${f}`).toThrow(/unknown option/);
    const shorts = new Set(own.flatMap((o) => (o.short ? [o.short] : [])));
    for (const s of 'abcdefghijklmnopqrstuvwxyz') if (!shorts.has(s)) expect(parse(cmd, [`-${s}`]), `-${s}`).toThrow(/unknown option/);
  });

  it('--version is not a flag of the command', () => {
    const r = runCli([cmd, '--version']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('mq-doctor --help', () => {
  it('lists the flags that may stand before a command, with the commands that take them, and --version', () => {
    const shown = optionsOf(helpOf(['--help']));
    expect(shown.map((o) => o.long).sort()).toEqual([...Object.keys(COMMON_OPTIONS), 'help', 'version'].sort());
    for (const name of Object.keys(COMMON_OPTIONS)) {
      const takers = (Object.keys(COMMANDS) as CommandName[]).filter((c) => Object.hasOwn(COMMANDS[c].options, name));
      const entry = section(helpOf(['--help']), 'Options').find((e) => e.head[2] === name)!;
      expect(entry.text.replace(/\s+/g, ' ')).toContain(`(here: before ${takers.join(', ')})`);
    }
  });
  it('lists every command and completion', () => {
    const text = helpOf(['--help']);
    for (const cmd of [...Object.keys(COMMANDS), 'completion']) expect(text).toMatch(new RegExp(`^ {2}mq-doctor ${cmd} `, 'm'));
  });
});

describe('mq-doctor completion --help', () => {
  it('is help (not a script): its one argument, the shell, and no flag but --help', () => {
    for (const args of [['completion', '--help'], ['help', 'completion']]) {
      const text = help(args);
      expect(text).not.toMatch(/completions-###/);
      expect(optionsOf(text).map((o) => o.long)).toEqual(['help']);
      const positionals = section(text, 'Positionals');
      expect(positionals.map((p) => p.head[3])).toEqual(['shell']);
      expect(positionals[0]!.text).toContain(`[choices: ${SHELLS.map((s) => `"${s}"`).join(', ')}]`);
    }
  });
});
