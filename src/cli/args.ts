// Turns raw flag values (from util.parseArgs or yargs) into typed arguments.
// Every rejection is a UsageError with one line a person can act on.
import { posix } from 'node:path';
import { parseArgs } from 'node:util';
import { type Access, CHECK_IDS, type CheckId, type MqAttr, type MqOpenRequest, type SysvRequest } from '../model/types.js';
import { isUsageError, UsageError } from './exit-codes.js';
import type { ExplainRequest } from '../explain/run-checks.js';
import { COMMANDS, type CommandName, type OptionSpec } from './options.js';
import { DEFAULT_QUEUE_COLUMNS, parseQueueColumns, QUEUE_COLUMN_NAMES, type QueueColumn } from '../render/queue-columns.js';

/** Flag values; '--' holds the words after a bare `--` (preflight's command). */
export type RawValues = Record<string, string | boolean | string[] | undefined>;

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

const ULONG_MAX = 2n ** 64n - 1n;

/**
 * A C unsigned long (msg_qbytes): 0 to 2^64-1. Above 2^53-1 a double would
 * round, so such a value stays an exact decimal string.
 */
export function parseUlong(flag: string, text: string): number | string {
  const t = text.trim();
  if (!/^\+?\d+$/.test(t)) throw new UsageError(`--${flag} must be a whole number from 0 to ${ULONG_MAX} (a C unsigned long), got "${text}"`);
  const n = BigInt(t);
  if (n > ULONG_MAX) throw new UsageError(`--${flag} ${text} is above the largest C unsigned long (${ULONG_MAX})`);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

/** `what` is a flag name ("count" → "--count") or an environment variable (MQ_DOCTOR_COUNT). */
function parsePositive(what: string, text: string, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`${/^[A-Z_]+$/.test(what) ? what : `--${what}`} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

export interface CheckArgs {
  request: MqOpenRequest;
  pid: number | undefined;
  live: boolean;
  /** Measure the uid's remaining queue memory with scratch queues (--measure). */
  measure: boolean;
  json: boolean;
  /** The full report: every blocker's own fixes, the cost breakdown, the assumptions. */
  verbose: boolean;
  /** The command line, for "for a definite answer, run …" (flags as given, --json dropped). */
  argv: string[];
}

export interface SysvCheckArgs {
  request: SysvRequest;
  pid: number | undefined;
  json: boolean;
}

export interface LimitsArgs {
  pid: number | undefined;
  measure: boolean;
  json: boolean;
  /** Only the queue list, lsipc-style (-o, --noheadings or --raw given); null: the whole report. */
  list: { columns: QueueColumn[]; headings: boolean; raw: boolean } | null;
  /** Every queue in the report, not only the largest. */
  all: boolean;
}

const str = (raw: RawValues, key: string): string | undefined => {
  const v = raw[key];
  return v === undefined || typeof v === 'boolean' || Array.isArray(v) ? undefined : String(v);
};

function pidOf(raw: RawValues): number | undefined {
  const p = str(raw, 'pid');
  return p === undefined ? undefined : parsePositive('pid', p, 2 ** 22);
}

const SYSV_ONLY = ['key', 'qbytes'] as const;
const POSIX_ONLY = ['maxmsg', 'name', 'access', 'live', 'measure'] as const;

export function checkArgs(raw: RawValues): CheckArgs {
  const sysvFlag = SYSV_ONLY.find((k) => raw[k] !== undefined);
  if (sysvFlag) throw new UsageError(`--${sysvFlag} is a System V option: add --sysv`);
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
  // --live creates fresh scratch queues (O_CREAT|O_EXCL, read-write): it can only stand in for that call.
  const scratchOnly = [['name', name !== undefined], ['no-create', !create], ['exclusive', raw.exclusive === true], ['access', (str(raw, 'access') ?? 'rdwr') !== 'rdwr']] as const;
  const clash = scratchOnly.find(([, given]) => given && live);
  if (clash) throw new UsageError(`--live creates new scratch queues read-write, so it cannot test --${clash[0]}; drop one of them`);
  return {
    request: { name: name ?? null, create, exclusive: raw.exclusive === true, access, mode: parseInt(modeText, 8), attr, count },
    pid,
    live,
    measure: raw.measure === true,
    json: raw.json === true,
    verbose: raw.verbose === true,
    argv: commandLineOf(raw),
  };
}

/** The flags as a user would type them again (for the one command that makes an answer definite). */
export function commandLineOf(raw: RawValues): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (k === '--' || k === 'json' || v === undefined || v === false) continue;
    out.push(`--${k}`, ...(v === true ? [] : [String(v)]));
  }
  return out;
}

/** A System V key as C code writes it: decimal or 0x hex, an int or its 32-bit pattern (ftok keys are often above 2^31). */
export function parseSysvKey(text: string): number {
  const m = /^(-?)(0x[0-9a-f]+|\d+)$/i.exec(text);
  const v = m ? Number(m[2]!.toLowerCase().startsWith('0x') ? BigInt(m[2]!) : m[2]) * (m[1] ? -1 : 1) : NaN;
  if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v > 2 ** 32 - 1) {
    throw new UsageError(`--key must be a System V key, decimal or 0x hex within 32 bits (e.g. 0x1234), got "${text}"`);
  }
  if (v === 0) throw new UsageError('--key 0 is IPC_PRIVATE: omit --key for a private queue');
  return v | 0; // the kernel's key_t is an int: 0xdeadbeef and -559038737 are the same key
}

export function sysvCheckArgs(raw: RawValues): SysvCheckArgs {
  const posixFlag = POSIX_ONLY.find((k) => raw[k] !== undefined);
  if (posixFlag) throw new UsageError(`--${posixFlag} is for POSIX queues (mq_open); System V takes --msgsize, --qbytes, --key, --count`);
  const msgsizeText = str(raw, 'msgsize');
  if (msgsizeText === undefined) throw new UsageError('--sysv needs --msgsize: the bytes of message text the application sends');
  const msgsize = parseLong('msgsize', msgsizeText);
  const qbytesText = str(raw, 'qbytes');
  const qbytes = qbytesText === undefined ? null : parseUlong('qbytes', qbytesText);
  const keyText = str(raw, 'key');
  const key = keyText === undefined ? null : parseSysvKey(keyText);
  const count = parsePositive('count', str(raw, 'count') ?? '1', 32768);
  if (key !== null && count > 1) throw new UsageError('--key and --count > 1 cannot be combined: one key names one queue');
  const create = raw['no-create'] !== true;
  if (!create && key === null) throw new UsageError('--no-create needs --key: IPC_PRIVATE always creates a queue');
  if (!create && raw.exclusive === true) throw new UsageError('--exclusive (IPC_EXCL) only has a meaning with IPC_CREAT; drop --no-create or --exclusive');
  const modeText = str(raw, 'mode') ?? '0600';
  if (!/^0?[0-7]{1,4}$/.test(modeText)) throw new UsageError(`--mode must be octal permission bits such as 0600, got "${modeText}"`);
  return {
    request: { key, create, exclusive: raw.exclusive === true, mode: parseInt(modeText, 8) & 0o777, msgsize, qbytes, count },
    pid: pidOf(raw),
    json: raw.json === true,
  };
}

export function limitsArgs(raw: RawValues): LimitsArgs {
  const output = str(raw, 'output');
  const listing = output !== undefined || raw.noheadings === true || raw.raw === true;
  if (listing && raw.measure === true) throw new UsageError('--measure shows in the whole report, not in the queue list (-o, --noheadings, --raw): give one or the other');
  if (listing && raw.json === true) {
    throw new UsageError(`${output !== undefined ? '--output' : raw.raw === true ? '--raw' : '--noheadings'} shapes the queue list, and --json prints the whole document: give one or the other`);
  }
  if (raw.all === true && (listing || raw.json === true)) {
    throw new UsageError(`--all widens the report's queue section; ${listing ? 'the queue list (-o, --noheadings, --raw)' : '--json'} has every queue already`);
  }
  let columns: QueueColumn[] = [...DEFAULT_QUEUE_COLUMNS];
  if (output !== undefined) {
    const parsed = parseQueueColumns(output);
    if (!parsed.ok) {
      throw new UsageError(
        parsed.bad === '' ? `--output needs column names, comma-separated, e.g. -o NAME,UID,HOLDERS (got "${output}")` : `--output: unknown column "${parsed.bad}" (columns: ${QUEUE_COLUMN_NAMES.join(', ')})`,
      );
    }
    columns = parsed.columns;
  }
  return {
    pid: pidOf(raw),
    measure: raw.measure === true,
    json: raw.json === true,
    list: listing ? { columns, headings: raw.noheadings !== true, raw: raw.raw === true } : null,
    all: raw.all === true,
  };
}

/**
 * The hot-path parser: node's own util.parseArgs, strict. A negative number
 * after a flag ("--maxmsg -5") is joined to it, as yargs would read it.
 */
export function fastParse(command: CommandName, argv: string[]): RawValues {
  const specs = COMMANDS[command].options;
  const options = Object.fromEntries(
    Object.entries(specs).map(([k, s]: [string, OptionSpec]) => [
      k,
      { type: s.kind === 'boolean' ? ('boolean' as const) : ('string' as const), ...(s.short !== undefined ? { short: s.short } : {}) },
    ]),
  );
  const dashes = argv.indexOf('--');
  const after = dashes >= 0 ? argv.slice(dashes + 1) : undefined;
  if (dashes >= 0) argv = argv.slice(0, dashes);
  const joined: string[] = [];
  // explain takes words (the message): a negative errno such as -24 is one of them, not a flag.
  const words = 'positional' in COMMANDS[command];
  const negativeWords: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    const key = a.startsWith('--') ? a.slice(2) : undefined;
    if (key && specs[key] && specs[key]!.kind !== 'boolean' && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${a}=${next}`);
      i++;
    } else if (words && /^-\d+$/.test(a)) negativeWords.push(a);
    else joined.push(a);
  }
  try {
    const { values, positionals, tokens } = parseArgs({ args: joined, options, strict: true, allowPositionals: true, tokens: true });
    if (positionals.length > 0 && !words) throw new UsageError(`unexpected argument "${positionals[0]}" (see mq-doctor ${command} --help)`);
    // util.parseArgs keeps the last of a repeated flag; a typo of one for the other must not pass unseen.
    const seen = new Map<string, string>();
    for (const t of tokens ?? []) {
      if (t.kind !== 'option') continue;
      const shown = t.value === undefined ? '' : ` ${t.value}`;
      if (seen.has(t.name)) throw new UsageError(`--${t.name} is given twice (--${t.name}${seen.get(t.name)} and --${t.name}${shown}): give it once`);
      seen.set(t.name, shown);
    }
    // The words, and those after a bare `--` (a message that starts with "-").
    if (words) return { ...(values as RawValues), _: [...positionals, ...negativeWords, ...(after ?? [])] };
    return after === undefined ? (values as RawValues) : { ...(values as RawValues), '--': after };
  } catch (err) {
    if (isUsageError(err)) throw err;
    // parseArgs' messages name the flag; keep their first sentence (the others follow on new lines).
    const first = (err as Error).message.split(/\.(?:\s|$)/)[0]!.replace(/^[A-Z]/, (c) => c.toLowerCase());
    const ambiguous = /^option '(--[^' ]+)' argument is ambiguous$/.exec(first);
    const msg = ambiguous ? `option '${ambiguous[1]}' needs a value, and the next word starts with "-" (write ${ambiguous[1]}=VALUE)` : first;
    throw new UsageError(`${msg} (see mq-doctor ${command} --help)`);
  }
}

export type OwnerFlag = { user: string } | { service: string } | undefined;

function ownerOf(raw: RawValues): OwnerFlag {
  const user = str(raw, 'user');
  const service = str(raw, 'service');
  if (user !== undefined && service !== undefined) throw new UsageError('give --user or --service, not both: RLIMIT settings go to one owner');
  if (user !== undefined) {
    if (!/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(user)) throw new UsageError(`--user "${user}" is not a valid user name`);
    return { user };
  }
  if (service !== undefined) {
    // systemctl takes "app" for "app.service": so does mq-doctor.
    const unit = /\.service$/.test(service) ? service : `${service}.service`;
    if (!/^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$/.test(unit)) throw new UsageError(`--service "${service}" is not a service unit name (letters, digits, ":_.-\\", one "@"; e.g. app or app.service)`);
    // As in the profile's schema: <unit>.d must still be a file name Linux allows (255 bytes).
    if (unit.length > 253) throw new UsageError(`--service must be at most 253 characters with ".service" (its drop-in directory is <unit>.d), got ${unit.length}: "${service.slice(0, 40)}…"`);
    return { service: unit };
  }
  return undefined;
}

export type ProfileSource = { kind: 'file'; path: string } | { kind: 'flags'; maxmsg: number; msgsize: number; count: number };

export interface TuneArgs {
  source: ProfileSource;
  owner: OwnerFlag;
  format: string;
}

export function tuneArgs(raw: RawValues): TuneArgs {
  const path = str(raw, 'profile');
  const maxmsg = str(raw, 'maxmsg');
  const msgsize = str(raw, 'msgsize');
  const format = str(raw, 'format') ?? 'all';
  const formats = COMMANDS.tune.options.format!.choices!;
  if (!formats.includes(format)) throw new UsageError(`--format must be one of ${formats.join(', ')}, got "${format}"`);
  let source: ProfileSource;
  if (path !== undefined) {
    if (maxmsg !== undefined || msgsize !== undefined) throw new UsageError('give --profile or --maxmsg/--msgsize, not both');
    if (raw.count !== undefined) throw new UsageError('--count goes with --maxmsg/--msgsize; a profile gives each queue\'s count');
    if (path === '') throw new UsageError('--profile must not be empty (e.g. --profile profiles/high-throughput.json)');
    source = { kind: 'file', path };
  } else if (maxmsg !== undefined && msgsize !== undefined) {
    // A profile's range (schema/profile.schema.json): 0 and negatives describe no queue, and above 2^53-1 no number is exact.
    const m = parsePositive('maxmsg', maxmsg, Number.MAX_SAFE_INTEGER);
    const s = parsePositive('msgsize', msgsize, Number.MAX_SAFE_INTEGER);
    source = { kind: 'flags', maxmsg: m, msgsize: s, count: parsePositive('count', str(raw, 'count') ?? '1', 1_000_000) };
  } else if (maxmsg !== undefined || msgsize !== undefined) {
    throw new UsageError(`give both --maxmsg and --msgsize (--${maxmsg !== undefined ? 'maxmsg' : 'msgsize'} alone describes no queue)`);
  } else {
    throw new UsageError('say what to tune for: --profile FILE, or --maxmsg N --msgsize N [--count K]');
  }
  return { source, owner: ownerOf(raw), format };
}

export interface ApplyArgs {
  path: string;
  owner: OwnerFlag;
  root: string;
  dryRun: boolean;
  allowLower: boolean;
  live: boolean;
}

function profilePath(raw: RawValues, command: string): string {
  const path = str(raw, 'profile');
  if (path === undefined || path === '') throw new UsageError(`${command} needs --profile FILE`);
  return path;
}

function rootOf(raw: RawValues): string {
  const root = str(raw, 'root') ?? '/';
  if (!root.startsWith('/')) throw new UsageError(`--root must be an absolute path, got "${root}"`);
  // "/." and "//" are the real root: normalised, they get live values and live writes as "/" does.
  return posix.resolve(root);
}

export function applyArgs(raw: RawValues): ApplyArgs {
  const root = rootOf(raw);
  return {
    path: profilePath(raw, 'apply'),
    owner: ownerOf(raw),
    root,
    dryRun: raw['dry-run'] === true,
    allowLower: raw['allow-lower'] === true,
    // An alternate root is an image or a test tree: its /proc/sys is not ours to change.
    live: raw['no-live'] !== true && root === '/',
  };
}

export interface VerifyArgs {
  path: string;
  owner: OwnerFlag;
  root: string;
  json: boolean;
}

export function verifyArgs(raw: RawValues): VerifyArgs {
  return { path: profilePath(raw, 'verify'), owner: ownerOf(raw), root: rootOf(raw), json: raw.json === true };
}

export function rollbackArgs(raw: RawValues): { root: string } {
  return { root: rootOf(raw) };
}

export type Workload =
  | { kind: 'queues'; maxmsg: number; msgsize: number; count: number; from: string }
  | { kind: 'profile'; path: string; from: string }
  | { kind: 'default'; from: string };

export interface PreflightArgs {
  workload: Workload;
  mode: 'enforce' | 'warn';
  /** Measure the queue-memory budget before the application starts (default; --no-measure or MQ_DOCTOR_MEASURE=0 turn it off). */
  measure: boolean;
  /** Checks that may fail or stay unknown without stopping the start (kubeadm's --ignore-preflight-errors). */
  ignore: CheckId[] | 'all';
  command: string[];
}

/** "MQ-X,MQ-Y" or "all"; an unknown name is a usage error that lists the names. */
export function parseIgnore(what: string, text: string): CheckId[] | 'all' {
  if (text.trim().toLowerCase() === 'all') return 'all';
  const ids = text.split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
  const bad = ids.find((id) => !(CHECK_IDS as readonly string[]).includes(id));
  if (bad !== undefined || ids.length === 0) throw new UsageError(`${what} names checks, comma-separated: ${CHECK_IDS.join(', ')} or all; got "${text}"`);
  return [...new Set(ids)] as CheckId[];
}

/** Flags win over the environment, which images with a fixed ENTRYPOINT use. */
export function preflightArgs(raw: RawValues, env: NodeJS.ProcessEnv): PreflightArgs {
  const fromEnv = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const flag = (key: string, envName: string) => {
    const v = str(raw, key);
    return v !== undefined ? { value: v, name: `--${key}` } : fromEnv(envName) !== undefined ? { value: fromEnv(envName)!, name: envName } : undefined;
  };
  const onlyFlag = (key: string) => {
    const v = str(raw, key);
    return v !== undefined ? { value: v, name: `--${key}` } : undefined;
  };
  const flagQueues = onlyFlag('maxmsg') !== undefined || onlyFlag('msgsize') !== undefined;
  const flagProfile = onlyFlag('profile') !== undefined;
  // As for tune: two workloads on one command line are a mistake.
  if (flagQueues && flagProfile) throw new UsageError('give --profile or --maxmsg/--msgsize, not both');
  // A workload on the command line replaces the environment's (MQ_DOCTOR_COUNT still counts --maxmsg/--msgsize queues).
  const fromFlags = flagQueues || flagProfile;
  const maxmsg = fromFlags ? onlyFlag('maxmsg') : flag('maxmsg', 'MQ_DOCTOR_MAXMSG');
  const msgsize = fromFlags ? onlyFlag('msgsize') : flag('msgsize', 'MQ_DOCTOR_MSGSIZE');
  const profile = fromFlags ? onlyFlag('profile') : flag('profile', 'MQ_DOCTOR_PROFILE');
  const count = flagProfile ? onlyFlag('count') : flag('count', 'MQ_DOCTOR_COUNT');
  const positive = (v: { value: string; name: string }, max: number) => parsePositive(v.name.replace(/^--/, ''), v.value, max);
  let workload: Workload;
  if (maxmsg && msgsize) {
    workload = {
      kind: 'queues',
      maxmsg: positive(maxmsg, 2 ** 31 - 1),
      msgsize: positive(msgsize, 2 ** 31 - 1),
      count: count ? positive(count, 1_000_000) : 1,
      from: maxmsg.name.startsWith('--') ? 'flags' : 'environment',
    };
  } else if (maxmsg || msgsize) {
    throw new UsageError(`give both maxmsg and msgsize (${maxmsg ? maxmsg.name : msgsize!.name} alone describes no queue)`);
  } else if (count) {
    // A count of nothing: of no queue, or of a profile's queues (each gives its own).
    const pair = count.name.startsWith('--') ? '--maxmsg/--msgsize' : 'MQ_DOCTOR_MAXMSG/MQ_DOCTOR_MSGSIZE';
    throw new UsageError(`${count.name} counts the queues of ${pair}: ${profile ? "a profile gives each queue's count" : 'alone it describes no queue'}`);
  } else if (profile) {
    if (profile.value === '') throw new UsageError(`${profile.name} must not be empty (e.g. /etc/mq-doctor/profile.json)`);
    workload = { kind: 'profile', path: profile.value, from: profile.name };
  } else {
    workload = { kind: 'default', from: 'no workload given: one queue with the namespace\'s default attr' };
  }
  const modeEnv = fromEnv('MQ_DOCTOR_MODE');
  if (modeEnv !== undefined && modeEnv !== 'enforce' && modeEnv !== 'warn') throw new UsageError(`MQ_DOCTOR_MODE must be enforce or warn, got "${modeEnv}"`);
  const mode = raw.warn === true ? 'warn' : (modeEnv as 'enforce' | 'warn' | undefined) ?? 'enforce';
  const command = Array.isArray(raw['--']) ? raw['--'] : [];
  const measureEnv = fromEnv('MQ_DOCTOR_MEASURE');
  if (measureEnv !== undefined && measureEnv !== '0' && measureEnv !== '1') throw new UsageError(`MQ_DOCTOR_MEASURE must be 0 or 1, got "${measureEnv}"`);
  const measure = raw['no-measure'] === true ? false : measureEnv !== '0';
  const ignoreFlag = flag('ignore', 'MQ_DOCTOR_IGNORE');
  const ignore = ignoreFlag ? parseIgnore(ignoreFlag.name, ignoreFlag.value) : [];
  return { workload, mode, measure, ignore, command };
}

export interface WatchArgs {
  intervalMs: number;
  host: string;
  port: number;
  profile: string | undefined;
  enforce: boolean;
  allNamespaces: boolean;
  maxQueueSeries: number;
  /** exporter-toolkit web configuration: TLS, basic auth, rate limit. */
  webConfig: string | undefined;
}

/** "15s", "500ms", "2m", or plain seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new UsageError(`--${flag} must be a duration such as 15s, 500ms or 2m, got "${text}"`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (ms < 100 || ms > 86_400_000) throw new UsageError(`--${flag} must be between 100ms and 24h, got "${text}"`);
  return ms;
}

/**
 * "127.0.0.1:9469", "[::1]:9469", "localhost:9469" or ":9469" (all addresses).
 * An address, not a host name: a name would wait on DNS at every start and
 * could listen somewhere else tomorrow.
 */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--listen must be HOST:PORT such as 127.0.0.1:9469 or [::1]:9469, got "${text}"`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new UsageError(`--listen: the port must be from 1 to 65535, got "${text}"`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  if (host !== 'localhost' && !(m[1] !== undefined ? isIPv6(host) : IPV4.test(host))) {
    throw new UsageError(`--listen: the host must be an IPv4 address, [an IPv6 address] or localhost, got "${text}"`);
  }
  return { host, port };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** The URL parser knows IPv6 exactly, and is there already (node:net would cost the hot path a module). */
const isIPv6 = (h: string) => {
  try {
    return new URL(`http://[${h}]/`).hostname !== '';
  } catch {
    return false;
  }
};

/** A flag that names a file: given empty, it is a mistake, not "none". */
function fileFlag(raw: RawValues, flag: string, example: string): string | undefined {
  const v = str(raw, flag);
  if (v === '') throw new UsageError(`--${flag} must not be empty (e.g. --${flag} ${example})`);
  return v;
}

export function watchArgs(raw: RawValues): WatchArgs {
  const profile = fileFlag(raw, 'profile', '/etc/mq-doctor/profile.json');
  if (raw.enforce === true && profile === undefined) throw new UsageError('--enforce needs --profile: it re-applies that profile when it drifts');
  const max = str(raw, 'max-queue-series') ?? '500';
  if (!/^\d+$/.test(max) || Number(max) > 1_000_000) throw new UsageError(`--max-queue-series must be a whole number from 0 to 1000000, got "${max}"`);
  return {
    intervalMs: parseDuration('interval', str(raw, 'interval') ?? '15s'),
    ...parseListen(str(raw, 'listen') ?? '127.0.0.1:9469'),
    profile,
    enforce: raw.enforce === true,
    allNamespaces: raw['all-namespaces'] === true,
    maxQueueSeries: Number(max),
    webConfig: fileFlag(raw, 'web-config', '/etc/mq-doctor/web-config.yml'),
  };
}

export interface ExplainArgs {
  /** The message as given (the words joined by spaces). */
  text: string;
  request: ExplainRequest;
  /** --sysv: only the System V calls' reading of the message. */
  sysvOnly: boolean;
  json: boolean;
}

/** `explain TEXT [flags]`: the request flags are check's, each optional (attr NULL, IPC_PRIVATE, kernel.msgmax bytes). */
export function explainArgs(raw: RawValues): ExplainArgs {
  const given = Array.isArray(raw._) ? raw._.map(String) : [];
  // Through yargs (help aside, never on the fast path) the command name comes first.
  const words = given[0] === 'explain' && given.length > 1 ? given.slice(1) : given;
  const text = words.join(' ').trim();
  if (text === '') throw new UsageError('explain needs the error message: e.g. mq-doctor explain EMFILE, or mq-doctor explain "Too many open files"');
  const maxmsg = str(raw, 'maxmsg');
  const msgsize = str(raw, 'msgsize');
  if (maxmsg !== undefined && msgsize === undefined) throw new UsageError('--maxmsg needs --msgsize too (an mq_attr has both)');
  const sysvOnly = raw.sysv === true;
  const posixFlag = (['maxmsg', 'name'] as const).find((k) => raw[k] !== undefined);
  if (sysvOnly && posixFlag) throw new UsageError(`--${posixFlag} is for POSIX queues (mq_open); with --sysv give --msgsize, --key, --qbytes`);
  const name = str(raw, 'name');
  if (name !== undefined && name.length === 0) throw new UsageError('--name must not be empty (use e.g. --name /orders)');
  if (name !== undefined && name.includes('\0')) throw new UsageError('--name must not contain a NUL byte');
  const count = parsePositive('count', str(raw, 'count') ?? '1', 1_000_000);
  if (name !== undefined && count > 1) throw new UsageError('--name and --count > 1 cannot be combined: each queue needs its own name');
  const keyText = str(raw, 'key');
  const key = keyText === undefined ? null : parseSysvKey(keyText);
  if (key !== null && count > 1) throw new UsageError('--key and --count > 1 cannot be combined: one key names one queue');
  const qbytesText = str(raw, 'qbytes');
  const size = msgsize === undefined ? null : parseLong('msgsize', msgsize);
  return {
    text,
    request: {
      attr: maxmsg !== undefined && size !== null ? { maxmsg: parseLong('maxmsg', maxmsg), msgsize: size } : null,
      name: name ?? null,
      count,
      msgsize: size,
      key,
      qbytes: qbytesText === undefined ? null : parseUlong('qbytes', qbytesText),
      pid: pidOf(raw),
      measure: raw.measure === true,
    },
    sysvOnly,
    json: raw.json === true,
  };
}
