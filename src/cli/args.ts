// Turns raw flag values (from util.parseArgs or yargs) into typed arguments.
// Every rejection is a UsageError with one line a person can act on.
import { parseArgs } from 'node:util';
import type { Access, MqAttr, MqOpenRequest } from '../model/types.js';
import { UsageError } from './exit-codes.js';
import { COMMANDS, type CommandName, type OptionSpec } from './options.js';

export type RawValues = Record<string, string | boolean | undefined>;

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** A C long, as mq_attr holds it: 0 and negatives are valid input (the kernel answers EINVAL). */
export function parseLong(flag: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new UsageError(`--${flag} must be an integer, got "${text}"`);
  const n = BigInt(text.trim());
  if (n < LONG_MIN || n > LONG_MAX) throw new UsageError(`--${flag} ${text} is outside the range of a C long (${LONG_MIN} … ${LONG_MAX})`);
  // Beyond 2^53 a double is inexact, but every such value is far over every kernel cap.
  return Number(n);
}

function parsePositive(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

export interface CheckArgs {
  request: MqOpenRequest;
  pid: number | undefined;
  live: boolean;
  json: boolean;
}

export interface LimitsArgs {
  pid: number | undefined;
  json: boolean;
}

const str = (raw: RawValues, key: string): string | undefined => {
  const v = raw[key];
  return v === undefined || typeof v === 'boolean' ? undefined : String(v);
};

function pidOf(raw: RawValues): number | undefined {
  const p = str(raw, 'pid');
  return p === undefined ? undefined : parsePositive('pid', p, 2 ** 22);
}

export function checkArgs(raw: RawValues): CheckArgs {
  const maxmsg = str(raw, 'maxmsg');
  const msgsize = str(raw, 'msgsize');
  if ((maxmsg === undefined) !== (msgsize === undefined)) {
    throw new UsageError('give both --maxmsg and --msgsize (an mq_attr has both), or neither for attr NULL');
  }
  const attr: MqAttr | null =
    maxmsg !== undefined && msgsize !== undefined ? { maxmsg: parseLong('maxmsg', maxmsg), msgsize: parseLong('msgsize', msgsize) } : null;
  const name = str(raw, 'name');
  if (name !== undefined && name.length === 0) throw new UsageError('--name must not be empty (use e.g. --name /orders)');
  if (name !== undefined && name.includes('\0')) throw new UsageError('--name must not contain a NUL byte');
  const count = parsePositive('count', str(raw, 'count') ?? '1', 1_000_000);
  if (name !== undefined && count > 1) throw new UsageError('--name and --count > 1 cannot be combined: each queue needs its own name');
  const create = raw['no-create'] !== true;
  if (!create && raw.exclusive === true) throw new UsageError('--exclusive (O_EXCL) only has a meaning with O_CREAT; drop --no-create or --exclusive');
  const modeText = str(raw, 'mode') ?? '0600';
  if (!/^0?[0-7]{1,4}$/.test(modeText)) throw new UsageError(`--mode must be octal permission bits such as 0600, got "${modeText}"`);
  const access = (str(raw, 'access') ?? 'rdwr') as Access;
  if (!['rdonly', 'wronly', 'rdwr'].includes(access)) throw new UsageError(`--access must be rdonly, wronly or rdwr, got "${access}"`);
  const pid = pidOf(raw);
  const live = raw.live === true;
  if (live && pid !== undefined) throw new UsageError('--live runs mq_open in mq-doctor itself; it cannot be combined with --pid');
  return {
    request: { name: name ?? null, create, exclusive: raw.exclusive === true, access, mode: parseInt(modeText, 8), attr, count },
    pid,
    live,
    json: raw.json === true,
  };
}

export function limitsArgs(raw: RawValues): LimitsArgs {
  return { pid: pidOf(raw), json: raw.json === true };
}

/**
 * The hot-path parser: node's own util.parseArgs, strict. A negative number
 * after a flag ("--maxmsg -5") is joined to it, as yargs would read it.
 */
export function fastParse(command: CommandName, argv: string[]): RawValues {
  const specs = COMMANDS[command].options;
  const options = Object.fromEntries(
    Object.entries(specs).map(([k, s]: [string, OptionSpec]) => [k, { type: s.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
  );
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const key = a.startsWith('--') ? a.slice(2) : undefined;
    if (key && specs[key] && specs[key]!.kind !== 'boolean' && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else joined.push(a);
  }
  try {
    const { values, positionals } = parseArgs({ args: joined, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see mq-doctor ${command} --help)`);
    return values as RawValues;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // parseArgs' messages name the flag; keep their first sentence.
    const msg = (err as Error).message.split('. ')[0]!.replace(/^Unknown option/, 'unknown option');
    throw new UsageError(`${msg} (see mq-doctor ${command} --help)`);
  }
}
