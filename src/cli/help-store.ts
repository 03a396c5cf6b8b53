// What yargs prints for each help request (and --version), recorded by the build
// (scripts/record-help.ts → dist/help.json) and printed from there: building
// yargs' parser of every command and laying out its help was 25-30 ms of
// `--help`, twice `node -e 0`. The text is yargs' own, for the widths yargs
// would lay it out at; a request or a width not recorded goes to yargs.
import { fstatSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './options.js';

export const HELP_STORE = 'help.json';

/** Where the build writes it: beside the bundle (the entry, dist/mq-doctor.cjs). */
export const helpStorePath = (): string => fileURLToPath(new URL(`./${HELP_STORE}`, import.meta.url));

/** dist/help.json: for each width, each request's argv (joined by NUL) and what yargs printed for it. */
export interface HelpStore {
  format: 1;
  widths: Record<string, Record<string, string>>;
}

/** The width yargs lays help out at for a terminal of `columns` (undefined: not a terminal); yargs-cli.ts wraps at it. */
export const helpLayoutWidth = (columns: number | undefined): number => Math.min(110, columns || 100);

/** The widths recorded: a pipe or file, and a terminal of the widest layout's columns or more. */
export const HELP_WIDTHS = [helpLayoutWidth(undefined), helpLayoutWidth(Number.MAX_SAFE_INTEGER)] as const;

const HELP_FLAGS = ['--help', '-h'];
const LAST_WORDS = [...HELP_FLAGS, '--version'];

/** Every help request recorded, as main() hands it to yargs (`help X` is `X --help` there). */
export function helpRequests(): string[][] {
  const topics = ['completion', ...Object.keys(COMMANDS)];
  return [...LAST_WORDS.map((w) => [w]), ...topics.flatMap((t) => HELP_FLAGS.map((f) => [t, f]))];
}

/** Whether argv has the shape of a recorded request at all: anything else goes to yargs without reading the store. */
const mayBeStored = (argv: readonly string[]): boolean => argv.length <= 2 && LAST_WORDS.includes(argv[argv.length - 1]!);

export const requestKey = (argv: readonly string[]): string => argv.join('\0');

/**
 * The width yargs-cli.ts lays this run's help out at. A pipe or a file has no columns:
 * told by fstat, since node:tty (and the net module it loads) cost every
 * command's start 3-4 ms when the entry imported it; only a character device
 * may be a terminal, and only then is node:tty, and process.stdout, asked.
 */
export function helpWidth(): number {
  let chardev = false;
  try {
    chardev = fstatSync(1).isCharacterDevice();
  } catch {
    // fd 1 closed: no terminal
  }
  const tty = chardev ? (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')) : undefined;
  return helpLayoutWidth(tty?.isatty(1) ? process.stdout.columns : undefined);
}

/** What yargs would print for argv, if the build recorded it; undefined: ask yargs. */
export function storedHelp(
  argv: readonly string[],
  width: () => number,
  read: () => string = () => readFileSync(helpStorePath(), 'utf8'),
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  // yargs lays help out unwrapped when YARGS_DISABLE_WRAP is set: the store holds it wrapped.
  if (!mayBeStored(argv) || env.YARGS_DISABLE_WRAP) return undefined;
  let store: HelpStore;
  try {
    store = JSON.parse(read()) as HelpStore;
  } catch {
    return undefined; // not built, or unreadable: yargs answers
  }
  if (store?.format !== 1) return undefined;
  const text = store.widths?.[String(width())]?.[requestKey(argv)];
  return typeof text === 'string' ? text : undefined;
}
