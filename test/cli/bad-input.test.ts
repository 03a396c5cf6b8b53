// Every bad input, through the built CLI: each command, each of its flags, each profile
// field and each environment variable mq-doctor reads, given wrong (wrong type, out of
// range, empty, repeated, unknown, control characters, unreadable files, ...).
//
// THE TABLES GROW WITH THE CLI. A new flag (src/cli/options.ts), profile field
// (schema/profile.schema.json) or environment variable (src/, bin/) needs rows here:
// the coverage tests at the bottom read those files live and fail until it has them.
//
// A row is { args, env?, files?, code, stderr }. For each one the test asserts:
//   - the exit code is `code` (README "Exit codes": a usage error is 2);
//   - stderr is exactly one line, "mq-doctor: …", matching `stderr` (which names the flag,
//     field or variable, the value and, for ranges, the range);
//   - stdout is empty, no stack trace ("    at ") anywhere, the application never started;
//   - nothing was written: the fresh --root, the working directory and the files directory
//     are exactly as before.
// Placeholders in args and env values: @NAME is the file NAME of the row's `files` (or a
// path that does not exist when `files` has no NAME); {busyport} is a port already in use.
// Added to every row so that no row can touch this machine or hang on a valid input:
//   apply/verify/rollback without --root get `--root <fresh mkdtemp dir>`;
//   preflight without `--` gets `-- /bin/sh -c 'echo STARTED'` (STARTED must not appear);
//   watch without --listen gets `--listen 127.0.0.1:<random high port>`.
// Every run has a 10 s timeout, a hang fails its row. The child's environment has no
// MQ_DOCTOR_* variable but the row's.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/options.js';
import { BIN, ROOT } from '../support/run-cli.js';
import { listenPort } from '../support/ports.js';

type FileSpec = string | Buffer | { fifo: true } | { dir: true };

interface Row {
  args: string[];
  env?: Record<string, string>;
  files?: Record<string, FileSpec>;
  code: number;
  stderr: RegExp;
  /** A known bug in code this suite may not fix: the row runs as it.fails until it is fixed. */
  bug?: string;
}

/** Inputs mq-doctor must ignore (set by its own launcher, or test hooks): a normal run, stderr empty. */
interface Tolerated {
  args: string[];
  env: Record<string, string>;
  code: number;
  stdout: RegExp;
}

const USAGE = 2;
const LONG_RANGE = /\(-9223372036854775808 … 9223372036854775807\)/;
const BIG = 'x'.repeat(1024 * 1024 + 1);
const NOPID = '4194303'; // pid_max's ceiling minus one: never a running process here
const OK = ['--maxmsg', '10', '--msgsize', '1024'];
const dup = (flag: string, a: string, b: string) => new RegExp(`^mq-doctor: ${flag} is given twice \\(${flag} ${a} and ${flag} ${b}\\): give it once$`);
const dupBool = (flag: string) => new RegExp(`^mq-doctor: ${flag} is given twice \\(${flag} and ${flag}\\)`);
const unknown = (flag: string, cmd: string) => new RegExp(`^mq-doctor: unknown option '${flag}' \\(see mq-doctor ${cmd} --help\\)$`);
const noArg = (flag: string) => new RegExp(`option '${flag}' does not take an argument`);
const missing = (flag: string) => new RegExp(`option '${flag} <value>' argument missing`);
const stray = (cmd: string) => new RegExp(`^mq-doctor: unexpected argument "stray" \\(see mq-doctor ${cmd} --help\\)$`);
const whole = (what: string, max: number | string, got: string) => new RegExp(`${what} must be a whole number from 1 to ${max}, got "${got.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`);

// ---------------------------------------------------------------------------------------
// Flags and commands
// ---------------------------------------------------------------------------------------

const CHECK: Row[] = [
  // --maxmsg / --msgsize: any C long, nothing else
  { args: ['check', '--maxmsg', 'ten', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "ten"/ },
  { args: ['check', '--maxmsg', '1e300', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "1e300"/ },
  { args: ['check', '--maxmsg', '1.5', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "1\.5"/ },
  { args: ['check', '--maxmsg', '0x10', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "0x10"/ },
  { args: ['check', '--maxmsg', '', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got ""/ },
  { args: ['check', '--maxmsg', '1\n0', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "1\\n0"/ },
  { args: ['check', '--maxmsg', '18446744073709551616', '--msgsize', '1'], code: USAGE, stderr: new RegExp(`--maxmsg 18446744073709551616 is outside the range of a C long ${LONG_RANGE.source}`) },
  { args: ['check', '--maxmsg', '9223372036854775808', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg 9223372036854775808 is outside the range of a C long \(-9223372036854775808 … 9223372036854775807\)/ },
  { args: ['check', '--maxmsg', '10'], code: USAGE, stderr: /give both --maxmsg and --msgsize/ },
  { args: ['check', '--maxmsg', '10', '--maxmsg', '20', '--msgsize', '1'], code: USAGE, stderr: dup('--maxmsg', '10', '20') },
  { args: ['check', '--msgsize', '1', '--maxmsg'], code: USAGE, stderr: missing('--maxmsg') },
  { args: ['check', '--maxmsg', '--msgsize', '1'], code: USAGE, stderr: /option '--maxmsg' needs a value, and the next word starts with "-" \(write --maxmsg=VALUE\)/ },
  { args: ['check', '--maxmsg', '1', '--msgsize', 'x'], code: USAGE, stderr: /--msgsize must be an integer, got "x"/ },
  { args: ['check', '--maxmsg', '1', '--msgsize', '-9223372036854775809'], code: USAGE, stderr: /--msgsize -9223372036854775809 is outside the range of a C long \(-9223372036854775808 … 9223372036854775807\)/ },
  { args: ['check', '--maxmsg', '1', '--msgsize', '1e300'], code: USAGE, stderr: /--msgsize must be an integer, got "1e300"/ },
  { args: ['check', '--msgsize', '1024'], code: USAGE, stderr: /give both --maxmsg and --msgsize/ },
  { args: ['check', '--maxmsg', '1', '--msgsize', '1', '--msgsize', '2'], code: USAGE, stderr: dup('--msgsize', '1', '2') },
  // --name
  { args: ['check', '--name', ''], code: USAGE, stderr: /--name must not be empty/ },
  { args: ['check', '--name', '/a', '--count', '2'], code: USAGE, stderr: /--name and --count > 1 cannot be combined/ },
  { args: ['check', '--name', '/a', '--name', '/b'], code: USAGE, stderr: dup('--name', '/a', '/b') },
  { args: ['check', ...OK, '--name'], code: USAGE, stderr: missing('--name') },
  // --exclusive / --no-create
  { args: ['check', '--exclusive', '--no-create'], code: USAGE, stderr: /--exclusive \(O_EXCL\) only has a meaning with O_CREAT/ },
  { args: ['check', '--exclusive=yes'], code: USAGE, stderr: noArg('--exclusive') },
  { args: ['check', '--exclusive', '--exclusive'], code: USAGE, stderr: dupBool('--exclusive') },
  { args: ['check', '--no-create=1'], code: USAGE, stderr: noArg('--no-create') },
  { args: ['check', '--no-create', '--no-create'], code: USAGE, stderr: dupBool('--no-create') },
  // --count: 1 to 1,000,000
  { args: ['check', ...OK, '--count', '0'], code: USAGE, stderr: whole('--count', 1000000, '0') },
  { args: ['check', ...OK, '--count', '-1'], code: USAGE, stderr: whole('--count', 1000000, '-1') },
  { args: ['check', ...OK, '--count', '1000001'], code: USAGE, stderr: whole('--count', 1000000, '1000001') },
  { args: ['check', ...OK, '--count', '18446744073709551616'], code: USAGE, stderr: whole('--count', 1000000, '18446744073709551616') },
  { args: ['check', ...OK, '--count', '1e300'], code: USAGE, stderr: whole('--count', 1000000, '1e300') },
  { args: ['check', ...OK, '--count', '1.5'], code: USAGE, stderr: whole('--count', 1000000, '1.5') },
  { args: ['check', ...OK, '--count', ''], code: USAGE, stderr: whole('--count', 1000000, '') },
  { args: ['check', ...OK, '--count', 'two'], code: USAGE, stderr: whole('--count', 1000000, 'two') },
  { args: ['check', ...OK, '--count', '2', '--count', '3'], code: USAGE, stderr: dup('--count', '2', '3') },
  // --access
  { args: ['check', '--access', 'all'], code: USAGE, stderr: /--access must be rdonly, wronly or rdwr, got "all"/ },
  { args: ['check', '--access', 'RDWR'], code: USAGE, stderr: /--access must be rdonly, wronly or rdwr, got "RDWR"/ },
  { args: ['check', '--access', ''], code: USAGE, stderr: /--access must be rdonly, wronly or rdwr, got ""/ },
  { args: ['check', '--access', 'rdonly', '--access', 'rdwr'], code: USAGE, stderr: dup('--access', 'rdonly', 'rdwr') },
  // --mode: octal permission bits
  { args: ['check', '--mode', '999'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "999"/ },
  { args: ['check', '--mode', '0x1ff'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "0x1ff"/ },
  { args: ['check', '--mode', '-1'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "-1"/ },
  { args: ['check', '--mode', '007777'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "007777"/ },
  { args: ['check', '--mode', ''], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got ""/ },
  { args: ['check', '--mode', '06\n00'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "06\\n00"/ },
  { args: ['check', '--mode', '0600', '--mode', '0644'], code: USAGE, stderr: dup('--mode', '0600', '0644') },
  // --live: scratch queues of mq-doctor's own
  { args: ['check', ...OK, '--live', '--pid', '1'], code: USAGE, stderr: /--live runs mq_open in mq-doctor itself; it cannot be combined with --pid/ },
  { args: ['check', ...OK, '--live', '--name', '/q'], code: USAGE, stderr: /--live creates new scratch queues read-write, so it cannot test --name/ },
  { args: ['check', ...OK, '--live', '--no-create'], code: USAGE, stderr: /cannot test --no-create/ },
  { args: ['check', ...OK, '--live', '--exclusive'], code: USAGE, stderr: /cannot test --exclusive/ },
  { args: ['check', ...OK, '--live', '--access', 'wronly'], code: USAGE, stderr: /cannot test --access/ },
  { args: ['check', ...OK, '--live=1'], code: USAGE, stderr: noArg('--live') },
  { args: ['check', ...OK, '--live', '--live'], code: USAGE, stderr: dupBool('--live') },
  // --measure
  { args: ['check', ...OK, '--measure=yes'], code: USAGE, stderr: noArg('--measure') },
  { args: ['check', ...OK, '--measure', '--measure'], code: USAGE, stderr: dupBool('--measure') },
  // --verbose
  { args: ['check', ...OK, '--verbose=1'], code: USAGE, stderr: noArg('--verbose') },
  { args: ['check', ...OK, '--verbose', '--verbose'], code: USAGE, stderr: dupBool('--verbose') },
  // --sysv, --key and --qbytes without it
  { args: ['check', '--sysv=1', '--msgsize', '1'], code: USAGE, stderr: noArg('--sysv') },
  { args: ['check', '--key', '0x1234'], code: USAGE, stderr: /--key is a System V option: add --sysv/ },
  { args: ['check', '--qbytes', '16384'], code: USAGE, stderr: /--qbytes is a System V option: add --sysv/ },
  // --pid: 1 to 4194304, and a running process
  { args: ['check', '--pid', '0'], code: USAGE, stderr: whole('--pid', 4194304, '0') },
  { args: ['check', '--pid', '-3'], code: USAGE, stderr: whole('--pid', 4194304, '-3') },
  { args: ['check', '--pid', 'abc'], code: USAGE, stderr: whole('--pid', 4194304, 'abc') },
  { args: ['check', '--pid', '4194305'], code: USAGE, stderr: whole('--pid', 4194304, '4194305') },
  { args: ['check', '--pid', '1e300'], code: USAGE, stderr: whole('--pid', 4194304, '1e300') },
  { args: ['check', '--pid', ''], code: USAGE, stderr: whole('--pid', 4194304, '') },
  { args: ['check', '--pid', NOPID], code: USAGE, stderr: new RegExp(`--pid: no process with pid ${NOPID}`) },
  { args: ['check', '--pid', '1', '--pid', '1'], code: USAGE, stderr: dup('--pid', '1', '1') },
  // --json
  { args: ['check', ...OK, '--json=true'], code: USAGE, stderr: noArg('--json') },
  { args: ['check', ...OK, '--json', '--json'], code: USAGE, stderr: dupBool('--json') },
  // unknown flags and words
  { args: ['check', '--frobnicate'], code: USAGE, stderr: unknown('--frobnicate', 'check') },
  { args: ['check', '--MAXMSG', '10'], code: USAGE, stderr: unknown('--MAXMSG', 'check') },
  { args: ['check', '-m', '10'], code: USAGE, stderr: unknown('-m', 'check') },
  { args: ['check', '--profile', 'p.json'], code: USAGE, stderr: unknown('--profile', 'check') },
  { args: ['check', 'stray'], code: USAGE, stderr: stray('check') },
  { args: ['check', ...OK, '--', 'stray'], code: USAGE, stderr: stray('check') },
];

const CHECK_SYSV: Row[] = [
  { args: ['check', '--sysv'], code: USAGE, stderr: /--sysv needs --msgsize/ },
  { args: ['check', '--sysv', '--msgsize', 'abc'], code: USAGE, stderr: /--msgsize must be an integer, got "abc"/ },
  { args: ['check', '--sysv', '--msgsize', '1e300'], code: USAGE, stderr: /--msgsize must be an integer, got "1e300"/ },
  { args: ['check', '--sysv', '--msgsize', '18446744073709551616'], code: USAGE, stderr: /--msgsize 18446744073709551616 is outside the range of a C long \(-9223372036854775808 … 9223372036854775807\)/ },
  { args: ['check', '--sysv', '--msgsize', ''], code: USAGE, stderr: /--msgsize must be an integer, got ""/ },
  // --qbytes: a C unsigned long, 0 to 2^64-1
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', '-1'], code: USAGE, stderr: /--qbytes must be a whole number from 0 to 18446744073709551615 \(a C unsigned long\), got "-1"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', '18446744073709551616'], code: USAGE, stderr: /--qbytes 18446744073709551616 is above the largest C unsigned long \(18446744073709551615\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', '1e300'], code: USAGE, stderr: /--qbytes must be a whole number from 0 to 18446744073709551615 \(a C unsigned long\), got "1e300"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', '1.5'], code: USAGE, stderr: /--qbytes must be a whole number from 0 to 18446744073709551615 .*got "1\.5"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', ''], code: USAGE, stderr: /--qbytes must be a whole number from 0 to 18446744073709551615 .*got ""/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--qbytes', '1', '--qbytes', '2'], code: USAGE, stderr: dup('--qbytes', '1', '2') },
  // --key: decimal or 0x hex within 32 bits, not 0 (IPC_PRIVATE)
  { args: ['check', '--sysv', '--msgsize', '1', '--key', 'zz'], code: USAGE, stderr: /--key must be a System V key, decimal or 0x hex within 32 bits \(e\.g\. 0x1234\), got "zz"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '4294967296'], code: USAGE, stderr: /--key must be a System V key, .*within 32 bits.*got "4294967296"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '-2147483649'], code: USAGE, stderr: /--key must be a System V key, .*got "-2147483649"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '0x'], code: USAGE, stderr: /--key must be a System V key, .*got "0x"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', ''], code: USAGE, stderr: /--key must be a System V key, .*got ""/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '0'], code: USAGE, stderr: /--key 0 is IPC_PRIVATE: omit --key/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '1', '--key', '2'], code: USAGE, stderr: dup('--key', '1', '2') },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '0x1234', '--count', '2'], code: USAGE, stderr: /--key and --count > 1 cannot be combined/ },
  // --no-create / --exclusive / --count / --mode / --pid / --json
  { args: ['check', '--sysv', '--msgsize', '1', '--no-create'], code: USAGE, stderr: /--no-create needs --key: IPC_PRIVATE always creates a queue/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--key', '7', '--no-create', '--exclusive'], code: USAGE, stderr: /--exclusive \(IPC_EXCL\) only has a meaning with IPC_CREAT/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--exclusive=1'], code: USAGE, stderr: noArg('--exclusive') },
  { args: ['check', '--sysv', '--msgsize', '1', '--count', '0'], code: USAGE, stderr: whole('--count', 32768, '0') },
  { args: ['check', '--sysv', '--msgsize', '1', '--count', '32769'], code: USAGE, stderr: whole('--count', 32768, '32769') },
  { args: ['check', '--sysv', '--msgsize', '1', '--mode', '9'], code: USAGE, stderr: /--mode must be octal permission bits such as 0600, got "9"/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--pid', 'x'], code: USAGE, stderr: whole('--pid', 4194304, 'x') },
  { args: ['check', '--sysv', '--msgsize', '1', '--json=1'], code: USAGE, stderr: noArg('--json') },
  { args: ['check', '--sysv', '--sysv', '--msgsize', '1'], code: USAGE, stderr: dupBool('--sysv') },
  // POSIX-only flags
  { args: ['check', '--sysv', '--msgsize', '1', '--maxmsg', '10'], code: USAGE, stderr: /--maxmsg is for POSIX queues \(mq_open\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--name', '/q'], code: USAGE, stderr: /--name is for POSIX queues \(mq_open\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--access', 'rdonly'], code: USAGE, stderr: /--access is for POSIX queues \(mq_open\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--live'], code: USAGE, stderr: /--live is for POSIX queues \(mq_open\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--measure'], code: USAGE, stderr: /--measure is for POSIX queues \(mq_open\)/ },
  { args: ['check', '--sysv', '--msgsize', '1', '--frobnicate'], code: USAGE, stderr: unknown('--frobnicate', 'check') },
];

const LIMITS: Row[] = [
  { args: ['limits', '--pid', ''], code: USAGE, stderr: whole('--pid', 4194304, '') },
  { args: ['limits', '--pid', '0'], code: USAGE, stderr: whole('--pid', 4194304, '0') },
  { args: ['limits', '--pid', '-1'], code: USAGE, stderr: whole('--pid', 4194304, '-1') },
  { args: ['limits', '--pid', 'self'], code: USAGE, stderr: whole('--pid', 4194304, 'self') },
  { args: ['limits', '--pid', '18446744073709551616'], code: USAGE, stderr: whole('--pid', 4194304, '18446744073709551616') },
  { args: ['limits', '--pid', NOPID], code: USAGE, stderr: new RegExp(`--pid: no process with pid ${NOPID}`) },
  { args: ['limits', '--pid', '1', '--pid', '2'], code: USAGE, stderr: dup('--pid', '1', '2') },
  { args: ['limits', '--pid'], code: USAGE, stderr: missing('--pid') },
  { args: ['limits', '--measure=1'], code: USAGE, stderr: noArg('--measure') },
  { args: ['limits', '--measure', '--measure'], code: USAGE, stderr: dupBool('--measure') },
  { args: ['limits', '--json=1'], code: USAGE, stderr: noArg('--json') },
  { args: ['limits', '--json', '--json'], code: USAGE, stderr: dupBool('--json') },
  { args: ['limits', '--maxmsg', '5'], code: USAGE, stderr: unknown('--maxmsg', 'limits') },
  { args: ['limits', 'stray'], code: USAGE, stderr: stray('limits') },
  // The queue list alone (-o, --noheadings, --raw): columns are validated, and it is not the whole document.
  { args: ['limits', '--output', 'NAME,BOGUS'], code: USAGE, stderr: /^mq-doctor: --output: unknown column "BOGUS" \(columns: NAME, UID, .*HOLDERS\)$/ },
  { args: ['limits', '--output', 'pid'], code: USAGE, stderr: /^mq-doctor: --output: unknown column "pid" \(columns: / },
  { args: ['limits', '--output', ''], code: USAGE, stderr: /^mq-doctor: --output needs column names, comma-separated, e\.g\. -o NAME,UID,HOLDERS \(got ""\)$/ },
  { args: ['limits', '--output', '+'], code: USAGE, stderr: /--output needs column names, comma-separated.*\(got "\+"\)$/ },
  { args: ['limits', '--output', 'NAME,'], code: USAGE, stderr: /--output needs column names, comma-separated.*\(got "NAME,"\)$/ },
  { args: ['limits', '--output', 'NAME', '--output', 'UID'], code: USAGE, stderr: dup('--output', 'NAME', 'UID') },
  { args: ['limits', '--output'], code: USAGE, stderr: /option '-o, --output <value>' argument missing/ },
  { args: ['limits', '--output', 'NAME', '--json'], code: USAGE, stderr: /^mq-doctor: --output shapes the queue list, and --json prints the whole document: give one or the other$/ },
  { args: ['limits', '--output', 'NAME', '--measure'], code: USAGE, stderr: /^mq-doctor: --measure shows in the whole report, not in the queue list/ },
  { args: ['limits', '--all', '--json'], code: USAGE, stderr: /^mq-doctor: --all widens the report's queue section; --json has every queue already$/ },
  { args: ['limits', '--all', '-o', 'NAME'], code: USAGE, stderr: /^mq-doctor: --all widens the report's queue section; the queue list \(-o, --noheadings, --raw\) has every queue already$/ },
  { args: ['limits', '--all=1'], code: USAGE, stderr: noArg('--all') },
  { args: ['limits', '--all', '--all'], code: USAGE, stderr: dupBool('--all') },
  { args: ['limits', '--noheadings=1'], code: USAGE, stderr: noArg('--noheadings') },
  { args: ['limits', '--noheadings', '--noheadings'], code: USAGE, stderr: dupBool('--noheadings') },
  { args: ['limits', '--noheadings', '--json'], code: USAGE, stderr: /^mq-doctor: --noheadings shapes the queue list, and --json prints the whole document/ },
  { args: ['limits', '--raw=1'], code: USAGE, stderr: /option '-r, --raw' does not take an argument/ },
  { args: ['limits', '--raw', '--raw'], code: USAGE, stderr: dupBool('--raw') },
  { args: ['limits', '--raw', '--measure'], code: USAGE, stderr: /^mq-doctor: --measure shows in the whole report, not in the queue list/ },
];

/** Files each command that reads a profile is given (the profile rows below use their own). */
const PROFILE_FILES: Record<string, FileSpec> = {
  'dir.json': { dir: true },
  'fifo.json': { fifo: true },
  'big.json': `{"name":"big","description":"${BIG}","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}`,
  'latin1.json': Buffer.from('{"name":"caf\xe9","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}', 'latin1'),
};

const TUNE: Row[] = [
  { args: ['tune'], code: USAGE, stderr: /say what to tune for: --profile FILE, or --maxmsg N --msgsize N/ },
  // --maxmsg / --msgsize: a workload's, 1 to 2^53-1, and within the kernel's hard caps
  { args: ['tune', '--maxmsg', '0', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '0') },
  { args: ['tune', '--maxmsg', '-5', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '-5') },
  { args: ['tune', '--maxmsg', '1e300', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '1e300') },
  { args: ['tune', '--maxmsg', '18446744073709551616', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '18446744073709551616') },
  { args: ['tune', '--maxmsg', '9007199254740992', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '9007199254740992') },
  { args: ['tune', '--maxmsg', '1.5', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '1.5') },
  { args: ['tune', '--maxmsg', '', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 9007199254740991, '') },
  { args: ['tune', '--maxmsg', '70000', '--msgsize', '1'], code: USAGE, stderr: /the workload cannot be met: \/workload\/queues\/0\/maxmsg 70,000 is over the kernel's hard cap HARD_MSGMAX = 65,536/ },
  { args: ['tune', '--maxmsg', '10'], code: USAGE, stderr: /give both --maxmsg and --msgsize \(--maxmsg alone describes no queue\)/ },
  { args: ['tune', '--maxmsg', '1', '--maxmsg', '2', '--msgsize', '1'], code: USAGE, stderr: dup('--maxmsg', '1', '2') },
  { args: ['tune', '--maxmsg', '1', '--msgsize', '0'], code: USAGE, stderr: whole('--msgsize', 9007199254740991, '0') },
  { args: ['tune', '--maxmsg', '1', '--msgsize', 'big'], code: USAGE, stderr: whole('--msgsize', 9007199254740991, 'big') },
  { args: ['tune', '--maxmsg', '10', '--msgsize', '16777217'], code: USAGE, stderr: /\/workload\/queues\/0\/msgsize 16,777,217 is over the kernel's hard cap HARD_MSGSIZEMAX = 16,777,216/ },
  { args: ['tune', '--msgsize', '10'], code: USAGE, stderr: /give both --maxmsg and --msgsize \(--msgsize alone describes no queue\)/ },
  // --count
  { args: ['tune', ...OK, '--count', '0'], code: USAGE, stderr: whole('--count', 1000000, '0') },
  { args: ['tune', ...OK, '--count', '1000001'], code: USAGE, stderr: whole('--count', 1000000, '1000001') },
  { args: ['tune', ...OK, '--count', '-1'], code: USAGE, stderr: whole('--count', 1000000, '-1') },
  { args: ['tune', '--maxmsg', '65536', '--msgsize', '16777216', '--count', '1000000'], code: USAGE, stderr: /RLIMIT_MSGQUEUE = \d+ is outside what can be written exactly \(0 … 9,007,199,254,740,991\)/ },
  { args: ['tune', '--profile', '@p.json', '--count', '2'], files: { 'p.json': '{"name":"a","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}' }, code: USAGE, stderr: /--count goes with --maxmsg\/--msgsize; a profile gives each queue's count/ },
  // --profile (the file; its contents have rows of their own below)
  { args: ['tune', '--profile', ''], code: USAGE, stderr: /--profile must not be empty/ },
  { args: ['tune', '--profile', '@missing.json'], code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: ['tune', '--profile', '@dir.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+dir\.json: it is a directory/ },
  { args: ['tune', '--profile', '@fifo.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+fifo\.json: it is not a regular file/ },
  { args: ['tune', '--profile', '@big.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+big\.json: it is 10486\d\d bytes; at most 1048576 are read/ },
  { args: ['tune', '--profile', '@latin1.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+latin1\.json: it is not valid UTF-8/ },
  { args: ['tune', '--profile', '/dev/null'], code: USAGE, stderr: /cannot read profile \/dev\/null: it is not a regular file/ },
  { args: ['tune', '--profile', '/proc/self/mem'], code: USAGE, stderr: /cannot read profile \/proc\/self\/mem: EIO/ },
  { args: ['tune', '--profile', '/proc/self/pagemap'], code: USAGE, stderr: /cannot read profile \/proc\/self\/pagemap: (EINVAL|it is more than 1048576 bytes; at most 1048576 are read)/ },
  { args: ['tune', '--profile', '/proc/kmsg'], code: USAGE, stderr: /cannot read profile \/proc\/kmsg: (EAGAIN|EPERM|EACCES|ENOENT)/ },
  { args: ['tune', '--profile', '@new\nline.json'], code: USAGE, stderr: /cannot read profile \S+new\\nline\.json: ENOENT/ },
  { args: ['tune', '--profile', '@a.json', '--profile', '@b.json'], code: USAGE, stderr: /--profile is given twice/ },
  { args: ['tune', '--profile', '@p.json', ...OK], files: { 'p.json': '{}' }, code: USAGE, stderr: /give --profile or --maxmsg\/--msgsize, not both/ },
  // --user / --service
  { args: ['tune', ...OK, '--user', 'Root'], code: USAGE, stderr: /--user "Root" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', ''], code: USAGE, stderr: /--user "" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', 'a b'], code: USAGE, stderr: /--user "a b" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', 'a\nb'], code: USAGE, stderr: /--user "a\\nb" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', 'a\u0007'], code: USAGE, stderr: /--user "a\\u0007" is not a valid user name/ },
  { args: ['tune', ...OK, '--user=-app'], code: USAGE, stderr: /--user "-app" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', 'a'.repeat(33)], code: USAGE, stderr: /--user "a{33}" is not a valid user name/ },
  { args: ['tune', ...OK, '--user', 'a', '--user', 'b'], code: USAGE, stderr: dup('--user', 'a', 'b') },
  { args: ['tune', ...OK, '--user', 'app', '--service', 'app'], code: USAGE, stderr: /give --user or --service, not both/ },
  { args: ['tune', ...OK, '--service', ''], code: USAGE, stderr: /--service "" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'a b'], code: USAGE, stderr: /--service "a b" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'a\nb'], code: USAGE, stderr: /--service "a\\nb" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', '.service'], code: USAGE, stderr: /--service "\.service" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'a@b@c'], code: USAGE, stderr: /--service "a@b@c" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'a/b'], code: USAGE, stderr: /--service "a\/b" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'app*'], code: USAGE, stderr: /--service "app\*" is not a service unit name/ },
  { args: ['tune', ...OK, '--service', 'a'.repeat(300)], code: USAGE, stderr: /--service must be at most 253 characters with "\.service" .*got 308/ },
  { args: ['tune', ...OK, '--service', 'a', '--service', 'b'], code: USAGE, stderr: dup('--service', 'a', 'b') },
  // --format
  { args: ['tune', ...OK, '--format', 'xml'], code: USAGE, stderr: /--format must be one of sysctl, limits, systemd, docker, compose, kubernetes, quadlet, all, got "xml"/ },
  { args: ['tune', ...OK, '--format', 'SYSCTL'], code: USAGE, stderr: /--format must be one of .*, got "SYSCTL"/ },
  { args: ['tune', ...OK, '--format', ''], code: USAGE, stderr: /--format must be one of .*, got ""/ },
  { args: ['tune', ...OK, '--format', 'sysctl', '--format', 'all'], code: USAGE, stderr: dup('--format', 'sysctl', 'all') },
  // unknown
  { args: ['tune', ...OK, '--root', '/tmp'], code: USAGE, stderr: unknown('--root', 'tune') },
  { args: ['tune', ...OK, '--json'], code: USAGE, stderr: unknown('--json', 'tune') },
  { args: ['tune', ...OK, 'stray'], code: USAGE, stderr: stray('tune') },
];

const PROFILE = { 'p.json': '{"name":"ok","workload":{"queues":[{"maxmsg":10,"msgsize":1024}]}}' };

/** apply and verify share their flags but --dry-run, --allow-lower and --no-live. */
const applyOrVerify = (cmd: 'apply' | 'verify'): Row[] => [
  { args: [cmd], code: USAGE, stderr: new RegExp(`${cmd} needs --profile FILE`) },
  { args: [cmd, '--profile', ''], code: USAGE, stderr: new RegExp(`${cmd} needs --profile FILE`) },
  { args: [cmd, '--profile', '@missing.json'], code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: [cmd, '--profile', '@dir.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+dir\.json: it is a directory/ },
  { args: [cmd, '--profile', '@fifo.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+fifo\.json: it is not a regular file/ },
  { args: [cmd, '--profile', '@big.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+big\.json: it is 10486\d\d bytes; at most 1048576 are read/ },
  { args: [cmd, '--profile', '@latin1.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+latin1\.json: it is not valid UTF-8/ },
  { args: [cmd, '--profile', '/proc/self/mem'], code: USAGE, stderr: /cannot read profile \/proc\/self\/mem: EIO/ },
  { args: [cmd, '--profile', '@p.json', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: /--profile is given twice/ },
  // --root: an existing directory, given as an absolute path
  { args: [cmd, '--profile', '@p.json', '--root', 'relative'], files: PROFILE, code: USAGE, stderr: /--root must be an absolute path, got "relative"/ },
  { args: [cmd, '--profile', '@p.json', '--root', ''], files: PROFILE, code: USAGE, stderr: /--root must be an absolute path, got ""/ },
  { args: [cmd, '--profile', '@p.json', '--root', '@nothere'], files: PROFILE, code: USAGE, stderr: /--root \S+nothere is not an existing directory/ },
  { args: [cmd, '--profile', '@p.json', '--root', '@p.json'], files: PROFILE, code: USAGE, stderr: /--root \S+p\.json is not an existing directory/ },
  { args: [cmd, '--profile', '@p.json', '--root', '@new\nline'], files: PROFILE, code: USAGE, stderr: /--root \S+new\\nline is not an existing directory/ },
  { args: [cmd, '--profile', '@p.json', '--root', '-x'], files: PROFILE, code: USAGE, stderr: /option '--root' needs a value, and the next word starts with "-"/ },
  { args: [cmd, '--profile', '@p.json', '--root', '{root}', '--root', '{root}'], files: PROFILE, code: USAGE, stderr: /--root is given twice/ },
  // --user / --service
  { args: [cmd, '--profile', '@p.json', '--user', 'Bad User'], files: PROFILE, code: USAGE, stderr: /--user "Bad User" is not a valid user name/ },
  { args: [cmd, '--profile', '@p.json', '--user', 'app\n'], files: PROFILE, code: USAGE, stderr: /--user "app\\n" is not a valid user name/ },
  { args: [cmd, '--profile', '@p.json', '--service', 'a b.service'], files: PROFILE, code: USAGE, stderr: /--service "a b\.service" is not a service unit name/ },
  { args: [cmd, '--profile', '@p.json', '--service', 'x'.repeat(250)], files: PROFILE, code: USAGE, stderr: /--service must be at most 253 characters/ },
  { args: [cmd, '--profile', '@p.json', '--user', 'app', '--service', 'app'], files: PROFILE, code: USAGE, stderr: /give --user or --service, not both/ },
  { args: [cmd, '--profile', '@p.json', '--user', 'a', '--user', 'a'], files: PROFILE, code: USAGE, stderr: dup('--user', 'a', 'a') },
  // unknown
  { args: [cmd, '--profile', '@p.json', '--format', 'sysctl'], files: PROFILE, code: USAGE, stderr: unknown('--format', cmd) },
  { args: [cmd, '--profile', '@p.json', 'stray'], files: PROFILE, code: USAGE, stderr: stray(cmd) },
];

const APPLY: Row[] = [
  ...applyOrVerify('apply'),
  { args: ['apply', '--profile', '@p.json', '--dry-run=yes'], files: PROFILE, code: USAGE, stderr: noArg('--dry-run') },
  { args: ['apply', '--profile', '@p.json', '--dry-run', '--dry-run'], files: PROFILE, code: USAGE, stderr: dupBool('--dry-run') },
  { args: ['apply', '--profile', '@p.json', '--allow-lower=1'], files: PROFILE, code: USAGE, stderr: noArg('--allow-lower') },
  { args: ['apply', '--profile', '@p.json', '--allow-lower', '--allow-lower'], files: PROFILE, code: USAGE, stderr: dupBool('--allow-lower') },
  { args: ['apply', '--profile', '@p.json', '--no-live=no'], files: PROFILE, code: USAGE, stderr: noArg('--no-live') },
  { args: ['apply', '--profile', '@p.json', '--no-live', '--no-live'], files: PROFILE, code: USAGE, stderr: dupBool('--no-live') },
  { args: ['apply', '--profile', '@p.json', '--json'], files: PROFILE, code: USAGE, stderr: unknown('--json', 'apply') },
];

const VERIFY: Row[] = [
  ...applyOrVerify('verify'),
  { args: ['verify', '--profile', '@p.json', '--json=1'], files: PROFILE, code: USAGE, stderr: noArg('--json') },
  { args: ['verify', '--profile', '@p.json', '--json', '--json'], files: PROFILE, code: USAGE, stderr: dupBool('--json') },
  { args: ['verify', '--profile', '@p.json', '--dry-run'], files: PROFILE, code: USAGE, stderr: unknown('--dry-run', 'verify') },
];

const ROLLBACK: Row[] = [
  { args: ['rollback', '--root', 'relative'], code: USAGE, stderr: /--root must be an absolute path, got "relative"/ },
  { args: ['rollback', '--root', ''], code: USAGE, stderr: /--root must be an absolute path, got ""/ },
  { args: ['rollback', '--root='], code: USAGE, stderr: /--root must be an absolute path, got ""/ },
  { args: ['rollback', '--root', '@nothere'], code: USAGE, stderr: /--root \S+nothere is not an existing directory/ },
  { args: ['rollback', '--root', '@f'], files: { f: 'not a directory' }, code: USAGE, stderr: /--root \S+\/f is not an existing directory/ },
  { args: ['rollback', '--root', '@fifo'], files: { fifo: { fifo: true } }, code: USAGE, stderr: /--root \S+\/fifo is not an existing directory/ },
  { args: ['rollback', '--root', '@tab\there'], code: USAGE, stderr: /--root \S+tab\\there is not an existing directory/ },
  { args: ['rollback', '--root', '{root}', '--root', '{root}'], code: USAGE, stderr: /--root is given twice/ },
  { args: ['rollback', '--root'], code: USAGE, stderr: missing('--root') },
  { args: ['rollback', '--profile', 'p.json'], code: USAGE, stderr: unknown('--profile', 'rollback') },
  { args: ['rollback', '--dry-run'], code: USAGE, stderr: unknown('--dry-run', 'rollback') },
  { args: ['rollback', 'stray'], code: USAGE, stderr: stray('rollback') },
];

const PREFLIGHT: Row[] = [
  // --maxmsg / --msgsize / --count: 1 to 2^31-1 (an int in mq_attr's range the kernel accepts)
  { args: ['preflight', '--maxmsg', '0', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '0') },
  { args: ['preflight', '--maxmsg', '-5', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '-5') },
  { args: ['preflight', '--maxmsg', '2147483648', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '2147483648') },
  { args: ['preflight', '--maxmsg', '18446744073709551616', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '18446744073709551616') },
  { args: ['preflight', '--maxmsg', '1e300', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '1e300') },
  { args: ['preflight', '--maxmsg', '', '--msgsize', '1'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '') },
  { args: ['preflight', '--maxmsg', '10'], code: USAGE, stderr: /give both maxmsg and msgsize \(--maxmsg alone describes no queue\)/ },
  { args: ['preflight', '--maxmsg', '1', '--maxmsg', '2', '--msgsize', '1'], code: USAGE, stderr: dup('--maxmsg', '1', '2') },
  { args: ['preflight', '--maxmsg', '1', '--msgsize', '0'], code: USAGE, stderr: whole('--msgsize', 2147483647, '0') },
  { args: ['preflight', '--maxmsg', '1', '--msgsize', '1.5'], code: USAGE, stderr: whole('--msgsize', 2147483647, '1.5') },
  { args: ['preflight', '--msgsize', '10'], code: USAGE, stderr: /give both maxmsg and msgsize \(--msgsize alone describes no queue\)/ },
  { args: ['preflight', ...OK, '--count', '0'], code: USAGE, stderr: whole('--count', 1000000, '0') },
  { args: ['preflight', ...OK, '--count', '1000001'], code: USAGE, stderr: whole('--count', 1000000, '1000001') },
  { args: ['preflight', ...OK, '--count', 'many'], code: USAGE, stderr: whole('--count', 1000000, 'many') },
  { args: ['preflight', '--count', '5'], code: USAGE, stderr: /--count counts the queues of --maxmsg\/--msgsize: alone it describes no queue/ },
  { args: ['preflight', '--profile', '@p.json', '--count', '5'], files: PROFILE, code: USAGE, stderr: /--count counts the queues of --maxmsg\/--msgsize: a profile gives each queue's count/ },
  // --profile
  { args: ['preflight', '--profile', ''], code: USAGE, stderr: /--profile must not be empty/ },
  { args: ['preflight', '--profile', '@missing.json'], code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: ['preflight', '--profile', `${ROOT}profiles/sysv-example.json`], code: USAGE, stderr: /profile \S+\/sysv-example\.json has no POSIX queues \(workload\.queues\) for the preflight to check; its System V part: mq-doctor check --sysv/ },
  { args: ['preflight', '--profile', `${ROOT}profiles/kernel-defaults.json`], code: USAGE, stderr: /profile \S+\/kernel-defaults\.json has no POSIX queues/ },
  { args: ['preflight', '--profile', '@dir.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+dir\.json: it is a directory/ },
  { args: ['preflight', '--profile', '@fifo.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+fifo\.json: it is not a regular file/ },
  { args: ['preflight', '--profile', '@big.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+big\.json: it is 10486\d\d bytes/ },
  { args: ['preflight', '--profile', '@latin1.json'], files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+latin1\.json: it is not valid UTF-8/ },
  { args: ['preflight', '--profile', '@p.json', ...OK], files: PROFILE, code: USAGE, stderr: /give --profile or --maxmsg\/--msgsize, not both/ },
  { args: ['preflight', '--profile', '@p.json', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: /--profile is given twice/ },
  // --warn / --no-measure / --ignore
  { args: ['preflight', ...OK, '--warn=1'], code: USAGE, stderr: noArg('--warn') },
  { args: ['preflight', ...OK, '--warn', '--warn'], code: USAGE, stderr: dupBool('--warn') },
  { args: ['preflight', ...OK, '--no-measure=1'], code: USAGE, stderr: noArg('--no-measure') },
  { args: ['preflight', ...OK, '--no-measure', '--no-measure'], code: USAGE, stderr: dupBool('--no-measure') },
  { args: ['preflight', ...OK, '--ignore', 'MQ-BOGUS'], code: USAGE, stderr: /--ignore names checks, comma-separated: MQ-NAME, .*MQ-RLIMIT-MSGQUEUE or all; got "MQ-BOGUS"/ },
  { args: ['preflight', ...OK, '--ignore', 'MQ-ATTR,MQ-NOPE'], code: USAGE, stderr: /--ignore names checks, .* got "MQ-ATTR,MQ-NOPE"/ },
  { args: ['preflight', ...OK, '--ignore', ''], code: USAGE, stderr: /--ignore names checks, .* got ""/ },
  { args: ['preflight', ...OK, '--ignore', ',,'], code: USAGE, stderr: /--ignore names checks, .* got ",,"/ },
  { args: ['preflight', ...OK, '--ignore', 'MQ-ATTR\nMQ-NAME'], code: USAGE, stderr: /--ignore names checks, .* got "MQ-ATTR\\nMQ-NAME"/ },
  { args: ['preflight', ...OK, '--ignore', 'all', '--ignore', 'MQ-ATTR'], code: USAGE, stderr: dup('--ignore', 'all', 'MQ-ATTR') },
  // unknown
  { args: ['preflight', ...OK, '--json'], code: USAGE, stderr: unknown('--json', 'preflight') },
  { args: ['preflight', ...OK, '--live'], code: USAGE, stderr: unknown('--live', 'preflight') },
  { args: ['preflight', 'stray', '--', '/bin/sh', '-c', 'echo STARTED'], code: USAGE, stderr: stray('preflight') },
  // The command the application is: its own flags are its own, never mq-doctor's (--help, --version included).
  { args: ['preflight', '--maxmsg', '0', '--msgsize', '1', '--', '/bin/sh', '-c', 'echo STARTED', '--help'], code: USAGE, stderr: whole('--maxmsg', 2147483647, '0') },
  { args: ['preflight', '--warn=1', '--', '/bin/sh', '-c', 'echo STARTED', '--version'], code: USAGE, stderr: noArg('--warn') },
];

const PREFLIGHT_ENV: Row[] = [
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: 'abc', MQ_DOCTOR_MSGSIZE: '1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MAXMSG', 2147483647, 'abc') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '0', MQ_DOCTOR_MSGSIZE: '1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MAXMSG', 2147483647, '0') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '1e300', MQ_DOCTOR_MSGSIZE: '1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MAXMSG', 2147483647, '1e300') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '18446744073709551616', MQ_DOCTOR_MSGSIZE: '1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MAXMSG', 2147483647, '18446744073709551616') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '0x10', MQ_DOCTOR_MSGSIZE: '1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MAXMSG', 2147483647, '0x10') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '10' }, code: USAGE, stderr: /give both maxmsg and msgsize \(MQ_DOCTOR_MAXMSG alone describes no queue\)/ },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '1', MQ_DOCTOR_MSGSIZE: '-1' }, code: USAGE, stderr: whole('MQ_DOCTOR_MSGSIZE', 2147483647, '-1') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '1', MQ_DOCTOR_MSGSIZE: '1\n0' }, code: USAGE, stderr: /MQ_DOCTOR_MSGSIZE must be a whole number from 1 to 2147483647, got "1\\n0"/ },
  { args: ['preflight'], env: { MQ_DOCTOR_MSGSIZE: '10' }, code: USAGE, stderr: /give both maxmsg and msgsize \(MQ_DOCTOR_MSGSIZE alone describes no queue\)/ },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '1', MQ_DOCTOR_MSGSIZE: '1', MQ_DOCTOR_COUNT: '0' }, code: USAGE, stderr: whole('MQ_DOCTOR_COUNT', 1000000, '0') },
  { args: ['preflight'], env: { MQ_DOCTOR_MAXMSG: '1', MQ_DOCTOR_MSGSIZE: '1', MQ_DOCTOR_COUNT: '1000001' }, code: USAGE, stderr: whole('MQ_DOCTOR_COUNT', 1000000, '1000001') },
  { args: ['preflight'], env: { MQ_DOCTOR_COUNT: '5' }, code: USAGE, stderr: /MQ_DOCTOR_COUNT counts the queues of MQ_DOCTOR_MAXMSG\/MQ_DOCTOR_MSGSIZE: alone it describes no queue/ },
  { args: ['preflight'], env: { MQ_DOCTOR_COUNT: '5', MQ_DOCTOR_PROFILE: '@p.json' }, files: PROFILE, code: USAGE, stderr: /MQ_DOCTOR_COUNT counts the queues of MQ_DOCTOR_MAXMSG\/MQ_DOCTOR_MSGSIZE: a profile gives each queue's count/ },
  { args: ['preflight'], env: { MQ_DOCTOR_PROFILE: '@missing.json' }, code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: ['preflight'], env: { MQ_DOCTOR_PROFILE: '@dir.json' }, files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+dir\.json: it is a directory/ },
  { args: ['preflight'], env: { MQ_DOCTOR_PROFILE: '@fifo.json' }, files: PROFILE_FILES, code: USAGE, stderr: /cannot read profile \S+fifo\.json: it is not a regular file/ },
  { args: ['preflight'], env: { MQ_DOCTOR_PROFILE: '@p.json' }, files: { 'p.json': '{"name":"x"}' }, code: USAGE, stderr: /invalid profile \S+p\.json: \/ must have required property 'workload'/ },
  // Flags win over the environment: the flag's profile is read (and found missing), the environment's queues are not used.
  { args: ['preflight', '--profile', '@missing.json'], env: { MQ_DOCTOR_MAXMSG: '10', MQ_DOCTOR_MSGSIZE: '10' }, code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: ['preflight', '--maxmsg', '0', '--msgsize', '1'], env: { MQ_DOCTOR_PROFILE: '@p.json' }, files: PROFILE, code: USAGE, stderr: whole('--maxmsg', 2147483647, '0') },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_MODE: 'bogus' }, code: USAGE, stderr: /MQ_DOCTOR_MODE must be enforce or warn, got "bogus"/ },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_MODE: 'WARN' }, code: USAGE, stderr: /MQ_DOCTOR_MODE must be enforce or warn, got "WARN"/ },
  { args: ['preflight', ...OK, '--warn'], env: { MQ_DOCTOR_MODE: 'warn\n' }, code: USAGE, stderr: /MQ_DOCTOR_MODE must be enforce or warn, got "warn\\n"/ },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_MEASURE: '2' }, code: USAGE, stderr: /MQ_DOCTOR_MEASURE must be 0 or 1, got "2"/ },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_MEASURE: 'true' }, code: USAGE, stderr: /MQ_DOCTOR_MEASURE must be 0 or 1, got "true"/ },
  { args: ['preflight', ...OK, '--no-measure'], env: { MQ_DOCTOR_MEASURE: 'no' }, code: USAGE, stderr: /MQ_DOCTOR_MEASURE must be 0 or 1, got "no"/ },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_IGNORE: 'nope' }, code: USAGE, stderr: /MQ_DOCTOR_IGNORE names checks, comma-separated: .* got "nope"/ },
  { args: ['preflight', ...OK], env: { MQ_DOCTOR_IGNORE: ',' }, code: USAGE, stderr: /MQ_DOCTOR_IGNORE names checks, .* got ","/ },
];

const WATCH_FILES: Record<string, FileSpec> = {
  ...PROFILE_FILES,
  'bad.yml': 'tls_server_config: [',
  'unknown.yml': 'basic_auth: {}\n',
  'latin1.yml': Buffer.from('basic_auth_users:\n  caf\xe9: x\n', 'latin1'),
};

const WATCH: Row[] = [
  // --interval: 100ms to 24h
  { args: ['watch', '--interval', '0'], code: USAGE, stderr: /--interval must be between 100ms and 24h, got "0"/ },
  { args: ['watch', '--interval', '50ms'], code: USAGE, stderr: /--interval must be between 100ms and 24h, got "50ms"/ },
  { args: ['watch', '--interval', '86401s'], code: USAGE, stderr: /--interval must be between 100ms and 24h, got "86401s"/ },
  { args: ['watch', '--interval', '25h'], code: USAGE, stderr: /--interval must be a duration such as 15s, 500ms or 2m, got "25h"/ },
  { args: ['watch', '--interval', '1e300'], code: USAGE, stderr: /--interval must be a duration such as 15s, 500ms or 2m, got "1e300"/ },
  { args: ['watch', '--interval', '-1'], code: USAGE, stderr: /--interval must be a duration such as 15s, 500ms or 2m, got "-1"/ },
  { args: ['watch', '--interval', ''], code: USAGE, stderr: /--interval must be a duration such as 15s, 500ms or 2m, got ""/ },
  { args: ['watch', '--interval', '1.5.5'], code: USAGE, stderr: /--interval must be a duration .*, got "1\.5\.5"/ },
  { args: ['watch', '--interval', '1\ns'], code: USAGE, stderr: /--interval must be a duration .*, got "1\\ns"/ },
  { args: ['watch', '--interval', '1s', '--interval', '2s'], code: USAGE, stderr: dup('--interval', '1s', '2s') },
  // --listen: HOST:PORT, port 1 to 65535, free
  { args: ['watch', '--listen', 'nope'], code: USAGE, stderr: /--listen must be HOST:PORT such as 127\.0\.0\.1:9469 or \[::1\]:9469, got "nope"/ },
  { args: ['watch', '--listen', '127.0.0.1:0'], code: USAGE, stderr: /--listen: the port must be from 1 to 65535, got "127\.0\.0\.1:0"/ },
  { args: ['watch', '--listen', '127.0.0.1:65536'], code: USAGE, stderr: /--listen: the port must be from 1 to 65535, got "127\.0\.0\.1:65536"/ },
  { args: ['watch', '--listen', 'prometheus.example:9469'], code: USAGE, stderr: /--listen: the host must be an IPv4 address, \[an IPv6 address\] or localhost, got "prometheus\.example:9469"/ },
  { args: ['watch', '--listen', '256.0.0.1:9469'], code: USAGE, stderr: /--listen: the host must be an IPv4 address/ },
  { args: ['watch', '--listen', '[1.2.3.4]:9469'], code: USAGE, stderr: /--listen: the host must be an IPv4 address/ },
  { args: ['watch', '--listen', ' 127.0.0.1:9469'], code: USAGE, stderr: /--listen: the host must be an IPv4 address.*, got " 127\.0\.0\.1:9469"/ },
  { args: ['watch', '--interval', ' 15s\n'], code: USAGE, stderr: /--interval must be a duration .*, got " 15s\\n"/ },
  { args: ['watch', '--listen', '127.0.0.1:18446744073709551616'], code: USAGE, stderr: /--listen must be HOST:PORT .*, got "127\.0\.0\.1:18446744073709551616"/ },
  { args: ['watch', '--listen', '127.0.0.1:-1'], code: USAGE, stderr: /--listen must be HOST:PORT .*, got "127\.0\.0\.1:-1"/ },
  { args: ['watch', '--listen', '[::1]'], code: USAGE, stderr: /--listen must be HOST:PORT .*, got "\[::1\]"/ },
  { args: ['watch', '--listen', ''], code: USAGE, stderr: /--listen must be HOST:PORT .*, got ""/ },
  { args: ['watch', '--listen', '127.0.0.1:{busyport}'], code: USAGE, stderr: /--listen 127\.0\.0\.1:\d+: EADDRINUSE/ },
  { args: ['watch', '--listen', '127.0.0.1:1', '--listen', '127.0.0.1:2'], code: USAGE, stderr: dup('--listen', '127.0.0.1:1', '127.0.0.1:2') },
  // --profile (the file; its contents have rows below) / --enforce
  { args: ['watch', '--profile', '@missing.json'], code: USAGE, stderr: /cannot read profile \S+missing\.json: ENOENT/ },
  { args: ['watch', '--profile', '@dir.json'], files: WATCH_FILES, code: USAGE, stderr: /cannot read profile \S+dir\.json: it is a directory/ },
  { args: ['watch', '--profile', '@fifo.json'], files: WATCH_FILES, code: USAGE, stderr: /cannot read profile \S+fifo\.json: it is not a regular file/ },
  { args: ['watch', '--profile', '@big.json'], files: WATCH_FILES, code: USAGE, stderr: /cannot read profile \S+big\.json: it is 10486\d\d bytes/ },
  { args: ['watch', '--profile', '@latin1.json'], files: WATCH_FILES, code: USAGE, stderr: /cannot read profile \S+latin1\.json: it is not valid UTF-8/ },
  { args: ['watch', '--profile', ''], code: USAGE, stderr: /--profile must not be empty/ },
  { args: ['watch', '--profile', '@p.json', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: /--profile is given twice/ },
  { args: ['watch', '--enforce'], code: USAGE, stderr: /--enforce needs --profile: it re-applies that profile when it drifts/ },
  { args: ['watch', '--enforce=1', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: noArg('--enforce') },
  { args: ['watch', '--enforce', '--enforce', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: dupBool('--enforce') },
  // --all-namespaces
  { args: ['watch', '--all-namespaces=1'], code: USAGE, stderr: noArg('--all-namespaces') },
  { args: ['watch', '--all-namespaces', '--all-namespaces'], code: USAGE, stderr: dupBool('--all-namespaces') },
  // --max-queue-series: 0 to 1,000,000
  { args: ['watch', '--max-queue-series', '-1'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "-1"/ },
  { args: ['watch', '--max-queue-series', '1000001'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "1000001"/ },
  { args: ['watch', '--max-queue-series', '1e300'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "1e300"/ },
  { args: ['watch', '--max-queue-series', '18446744073709551616'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "18446744073709551616"/ },
  { args: ['watch', '--max-queue-series', '1.5'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "1\.5"/ },
  { args: ['watch', '--max-queue-series', ''], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got ""/ },
  { args: ['watch', '--max-queue-series', '5\n'], code: USAGE, stderr: /--max-queue-series must be a whole number from 0 to 1000000, got "5\\n"/ },
  { args: ['watch', '--max-queue-series', '1', '--max-queue-series', '2'], code: USAGE, stderr: dup('--max-queue-series', '1', '2') },
  // --web-config
  { args: ['watch', '--web-config', '@missing.yml'], code: USAGE, stderr: /web configuration \S+missing\.yml: ENOENT/ },
  { args: ['watch', '--web-config', '@dir.json'], files: WATCH_FILES, code: USAGE, stderr: /web configuration \S+dir\.json: it is a directory/ },
  { args: ['watch', '--web-config', '@fifo.json'], files: WATCH_FILES, code: USAGE, stderr: /web configuration \S+fifo\.json: it is not a regular file/ },
  { args: ['watch', '--web-config', '@bad.yml'], files: WATCH_FILES, code: USAGE, stderr: /--web-config \S+bad\.yml: not valid YAML/ },
  { args: ['watch', '--web-config', '@unknown.yml'], files: WATCH_FILES, code: USAGE, stderr: /--web-config \S+unknown\.yml: .*additional properties "basic_auth"/ },
  { args: ['watch', '--web-config', '@latin1.yml'], files: WATCH_FILES, code: USAGE, stderr: /web configuration \S+latin1\.yml: it is not valid UTF-8/ },
  { args: ['watch', '--web-config', ''], code: USAGE, stderr: /--web-config must not be empty/ },
  { args: ['watch', '--web-config', '@a.yml', '--web-config', '@b.yml'], code: USAGE, stderr: /--web-config is given twice/ },
  // unknown
  { args: ['watch', '--json'], code: USAGE, stderr: unknown('--json', 'watch') },
  { args: ['watch', '--root', '/'], code: USAGE, stderr: unknown('--root', 'watch') },
  { args: ['watch', 'stray'], code: USAGE, stderr: stray('watch') },
];

const EXPLAIN: Row[] = [
  // the message
  { args: ['explain'], code: USAGE, stderr: /^mq-doctor: explain needs the error message: e\.g\. mq-doctor explain EMFILE/ },
  { args: ['explain', '   '], code: USAGE, stderr: /explain needs the error message/ },
  { args: ['explain', 'Too many opne fiels'], code: USAGE, stderr: /^mq-doctor: explain: "Too many opne fiels" is not recognised; closest: "Too many open files", / },
  { args: ['explain', 'frob\nnicate'], code: USAGE, stderr: /explain: "frob\\nnicate" is not recognised; closest: / },
  { args: ['explain', 'EMFILE', '--sysv'], code: USAGE, stderr: /explain --sysv: "EMFILE" is no System V message: it comes from mq_open/ },
  // --maxmsg / --msgsize
  { args: ['explain', 'EMFILE', '--maxmsg', 'ten', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg must be an integer, got "ten"/ },
  { args: ['explain', 'EMFILE', '--maxmsg', '10'], code: USAGE, stderr: /--maxmsg needs --msgsize too/ },
  { args: ['explain', 'EMFILE', '--maxmsg', '1', '--msgsize', '9223372036854775808'], code: USAGE, stderr: new RegExp(`--msgsize 9223372036854775808 is outside the range of a C long ${LONG_RANGE.source}`) },
  { args: ['explain', 'EINVAL', '--msgsize', 'x'], code: USAGE, stderr: /--msgsize must be an integer, got "x"/ },
  { args: ['explain', 'EINVAL', '--msgsize', '1', '--msgsize', '2'], code: USAGE, stderr: dup('--msgsize', '1', '2') },
  // --name / --count
  { args: ['explain', 'EEXIST', '--name', ''], code: USAGE, stderr: /--name must not be empty/ },
  { args: ['explain', 'EEXIST', '--name', '/a', '--count', '2'], code: USAGE, stderr: /--name and --count > 1 cannot be combined/ },
  { args: ['explain', 'ENOSPC', '--count', '0'], code: USAGE, stderr: whole('--count', 1000000, '0') },
  { args: ['explain', 'ENOSPC', '--count', '1000001'], code: USAGE, stderr: whole('--count', 1000000, '1000001') },
  // --sysv / --key / --qbytes
  { args: ['explain', 'ENOSPC', '--sysv', '--name', '/a'], code: USAGE, stderr: /--name is for POSIX queues \(mq_open\); with --sysv give --msgsize, --key, --qbytes/ },
  { args: ['explain', 'ENOSPC', '--sysv', '--maxmsg', '1', '--msgsize', '1'], code: USAGE, stderr: /--maxmsg is for POSIX queues/ },
  { args: ['explain', 'ENOSPC', '--sysv=1'], code: USAGE, stderr: noArg('--sysv') },
  { args: ['explain', 'EEXIST', '--key', 'zz'], code: USAGE, stderr: /--key must be a System V key, decimal or 0x hex within 32 bits/ },
  { args: ['explain', 'EEXIST', '--key', '0'], code: USAGE, stderr: /--key 0 is IPC_PRIVATE: omit --key/ },
  { args: ['explain', 'EEXIST', '--key', '1', '--count', '2'], code: USAGE, stderr: /--key and --count > 1 cannot be combined/ },
  { args: ['explain', 'EPERM', '--qbytes', '-1'], code: USAGE, stderr: /--qbytes must be a whole number from 0 to 18446744073709551615 \(a C unsigned long\), got "-1"/ },
  // --measure / --pid / --json
  { args: ['explain', 'EMFILE', '--measure=1'], code: USAGE, stderr: noArg('--measure') },
  { args: ['explain', 'EMFILE', '--pid', NOPID], code: USAGE, stderr: new RegExp(`--pid: no process with pid ${NOPID}`) },
  { args: ['explain', 'EMFILE', '--pid', 'x'], code: USAGE, stderr: whole('--pid', 4194304, 'x') },
  { args: ['explain', 'EMFILE', '--json=1'], code: USAGE, stderr: noArg('--json') },
  { args: ['explain', 'EMFILE', '--json', '--json'], code: USAGE, stderr: dupBool('--json') },
  // unknown
  { args: ['explain', 'EMFILE', '--live'], code: USAGE, stderr: unknown('--live', 'explain') },
  { args: ['explain', 'EMFILE', '--exclusive'], code: USAGE, stderr: unknown('--exclusive', 'explain') },
];

const COMPLETION: Row[] = [
  { args: ['completion', 'tcsh'], code: USAGE, stderr: /completion: unknown shell "tcsh" \(bash, zsh or fish\)/ },
  { args: ['completion', ''], code: USAGE, stderr: /completion: unknown shell "" \(bash, zsh or fish\)/ },
  { args: ['completion', 'bash\n'], code: USAGE, stderr: /completion: unknown shell "bash\\n"/ },
  { args: ['completion', 'bash', 'zsh'], code: USAGE, stderr: /completion takes one shell \(bash, zsh, fish\), got "bash zsh"/ },
  { args: ['completion', '--bogus'], code: USAGE, stderr: /completion: unknown shell "--bogus"/ },
  { args: ['--json', 'completion'], code: USAGE, stderr: /completion takes no options, got "--json"/ },
];

const COMMAND_LIST = 'check, limits, tune, apply, verify, preflight, watch, rollback, explain';
const HELP: Row[] = [
  { args: ['help', 'frobnicate'], code: USAGE, stderr: /help: unknown command "frobnicate"/ },
  { args: ['help', 'check', 'limits'], code: USAGE, stderr: /help takes one command \(.*\), got "check limits"/ },
  { args: ['help', ''], code: USAGE, stderr: /help: unknown command ""/ },
  { args: ['--json', 'help'], code: USAGE, stderr: /help takes no options, got "--json"/ },
  { args: ['--version', 'extra'], code: USAGE, stderr: /--version takes nothing after it, got "extra"/ },
];

const UNKNOWN_COMMAND: Row[] = [
  { args: [], code: USAGE, stderr: new RegExp(`^mq-doctor: name a command: ${COMMAND_LIST}$`) },
  { args: ['frobnicate'], code: USAGE, stderr: /^mq-doctor: unknown command "frobnicate" \(check, limits, .*; see mq-doctor --help\)$/ },
  { args: ['chek'], code: USAGE, stderr: /unknown command "chek"/ },
  { args: ['CHECK'], code: USAGE, stderr: /unknown command "CHECK"/ },
  { args: [''], code: USAGE, stderr: /unknown command ""/ },
  { args: ['toString'], code: USAGE, stderr: /unknown command "toString"/ },
  { args: ['__proto__'], code: USAGE, stderr: /unknown command "__proto__"/ },
  { args: ['check\nlimits'], code: USAGE, stderr: /unknown command "check\\nlimits"/ },
  { args: ['--bogus'], code: USAGE, stderr: /^mq-doctor: unknown option '--bogus' \(see mq-doctor --help\)$/ },
  { args: ['-x', 'check'], code: USAGE, stderr: /^mq-doctor: unknown option '-x' \(see mq-doctor --help\)$/ },
  { args: ['--json'], code: USAGE, stderr: /name a command/ },
  { args: ['--', 'check'], code: USAGE, stderr: /name a command/ },
  // Flags shared by check and limits may stand before the command; they are checked as the command's own.
  { args: ['--json', '--bogus', 'limits'], code: USAGE, stderr: /unknown option '--bogus' \(see mq-doctor --help\)/ },
  { args: ['--json=1', 'limits'], code: USAGE, stderr: noArg('--json') },
  { args: ['--json', 'limits', '--json'], code: USAGE, stderr: dupBool('--json') },
  { args: ['--pid', 'x', 'limits'], code: USAGE, stderr: whole('--pid', 4194304, 'x') },
  { args: ['--pid', '1', '--pid', '2', 'limits'], code: USAGE, stderr: dup('--pid', '1', '2') },
  { args: ['--pid', '1', 'check', '--pid', '2'], code: USAGE, stderr: dup('--pid', '1', '2') },
  { args: ['--pid', '1', 'tune', ...OK], code: USAGE, stderr: unknown('--pid', 'tune') },
  { args: ['--json', 'apply', '--profile', '@p.json'], files: PROFILE, code: USAGE, stderr: unknown('--json', 'apply') },
];

const ENVIRONMENT: Row[] = [
  { args: ['check'], env: { MQ_DOCTOR_LOG_LEVEL: 'loud' }, code: USAGE, stderr: /^mq-doctor: MQ_DOCTOR_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"$/ },
  { args: ['limits'], env: { MQ_DOCTOR_LOG_LEVEL: 'WARN' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "WARN"/ },
  { args: ['limits'], env: { MQ_DOCTOR_LOG_LEVEL: 'constructor' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "constructor"/ },
  { args: ['tune', ...OK], env: { MQ_DOCTOR_LOG_LEVEL: 'info\nwarn' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "info\\nwarn"/ },
  { args: ['apply', '--profile', '@p.json'], files: PROFILE, env: { MQ_DOCTOR_LOG_LEVEL: '30' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "30"/ },
  { args: ['rollback'], env: { MQ_DOCTOR_LOG_LEVEL: 'verbose' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "verbose"/ },
  { args: ['watch'], env: { MQ_DOCTOR_LOG_LEVEL: 'loud' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "loud"/ },
  { args: ['preflight'], env: { MQ_DOCTOR_LOG_LEVEL: 'loud' }, code: USAGE, stderr: /MQ_DOCTOR_LOG_LEVEL must be one of .*, got "loud"/ },
  { args: ['check', '--maxmsg', 'x', '--msgsize', '1'], env: { MQ_DOCTOR_LOG_LEVEL: 'debug' }, code: USAGE, stderr: /--maxmsg must be an integer, got "x"/ },
  { args: ['check'], env: { MQ_DOCTOR_DEBUG: 'yes' }, code: USAGE, stderr: /^mq-doctor: MQ_DOCTOR_DEBUG must be 0 or 1, got "yes"$/ },
  { args: ['apply', '--profile', '@p.json'], files: PROFILE, env: { MQ_DOCTOR_DEBUG: '2' }, code: USAGE, stderr: /MQ_DOCTOR_DEBUG must be 0 or 1, got "2"/ },
  { args: ['check', '--maxmsg', 'x', '--msgsize', '1'], env: { MQ_DOCTOR_DEBUG: '1' }, code: USAGE, stderr: /--maxmsg must be an integer, got "x"/ },
  { args: ['check'], env: { MQ_DOCTOR_NO_ADDON: 'true' }, code: USAGE, stderr: /^mq-doctor: MQ_DOCTOR_NO_ADDON must be 0 or 1, got "true"$/ },
  { args: ['preflight'], env: { MQ_DOCTOR_NO_ADDON: 'yes' }, code: USAGE, stderr: /MQ_DOCTOR_NO_ADDON must be 0 or 1, got "yes"/ },
  { args: ['check'], env: { MQ_DOCTOR_ADDON: 'getrlimit.node' }, code: USAGE, stderr: /MQ_DOCTOR_ADDON must be the absolute path of the built addon \(getrlimit\.node\), got "getrlimit\.node"$/ },
  { args: ['check'], env: { MQ_DOCTOR_ADDON: '' }, code: USAGE, stderr: /MQ_DOCTOR_ADDON must be the absolute path of the built addon \(getrlimit\.node\), got ""$/ },
  { args: ['limits'], env: { MQ_DOCTOR_ADDON: '@missing.node' }, code: USAGE, stderr: /MQ_DOCTOR_ADDON must be the absolute path of the built addon \(getrlimit\.node\), got "\S+missing\.node": ENOENT$/ },
  { args: ['preflight'], env: { MQ_DOCTOR_ADDON: '@dir.json' }, files: PROFILE_FILES, code: USAGE, stderr: /MQ_DOCTOR_ADDON must be .*, got "\S+dir\.json": it is not a regular file$/ },
];

// ---------------------------------------------------------------------------------------
// Profile contents: each case runs through every command that reads a profile
// ---------------------------------------------------------------------------------------

/** Where the problem is found: reading, the schema, deriving settings, or an owner for the rlimits. */
type Stage = 'read' | 'schema' | 'derive' | 'owner';

interface ProfileCase {
  /** JSON pointer of the field ('' for the file as a whole); array indexes as numbers. */
  field: string;
  /** The profile: an object (written as JSON), or the file's exact text or bytes. */
  profile: object | string | Buffer;
  stderr: RegExp;
  stage?: Stage;
  /** Also through every other command that reads a profile, not only the first of READERS. */
  everywhere?: true;
}

const queue = (q: Record<string, unknown>) => ({ name: 'bad', workload: { queues: [{ maxmsg: 10, msgsize: 1024, ...q }] } });
const workload = (w: Record<string, unknown>) => ({ name: 'bad', workload: w });
const settings = (s: Record<string, unknown>) => ({ name: 'bad', settings: s });
const top = (t: Record<string, unknown>) => ({ ...queue({}), ...t });
/** ajv's message for a number out of [lo, hi], with the range and the value profile-input.ts adds. */
const range = (pointer: string, rule: RegExp, lo: number, hi: number, got: string, kind = 'a whole number') =>
  new RegExp(`${pointer.replace(/[.$]/g, '\\$&')} must be ${rule.source}: ${kind} from ${lo} to ${hi}, got ${got}`);
const GE = /(>= -?\d+|integer|number) \(rule: (minimum|type)\)/;
const SAFE = 9007199254740991;

const PROFILE_CASES: ProfileCase[] = [
  // the file
  { field: '', profile: '{', stderr: /not valid JSON: /, everywhere: true },
  { field: '', profile: '', stderr: /not valid JSON: Unexpected end of JSON input/ },
  { field: '', profile: '{"name":"a","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}\0', stderr: /not valid JSON/ },
  { field: '', profile: '{"name":"a",\n"workload":{"queues":[{"maxmsg":1,"msgsize":1}]},}', stderr: /not valid JSON/ },
  { field: '', profile: '[]', stderr: /\/ must be object \(rule: type\), got \[\]/ },
  { field: '', profile: 'null', stderr: /\/ must be object \(rule: type\), got null/ },
  { field: '', profile: '"profile"', stderr: /\/ must be object \(rule: type\), got "profile"/ },
  { field: '', profile: Buffer.from('{"name":"caf\xe9","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}', 'latin1'), stderr: /it is not valid UTF-8/, stage: 'read' },
  { field: '', profile: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), stderr: /it is not valid UTF-8/, stage: 'read', everywhere: true },
  { field: '', profile: `{"name":"big","description":"${BIG}","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}`, stderr: /it is 10486\d\d bytes; at most 1048576 are read/, stage: 'read' },
  { field: '', profile: { name: 'bad' }, stderr: /\/ must have required property 'workload' \(rule: required\); \/ must have required property 'settings'/ },
  { field: '', profile: { ...queue({}), extra: 1 }, stderr: /\/ must NOT have additional properties "extra" \(rule: additionalProperties\)/ },
  { field: '', profile: { ...queue({}), __proto__x: 1 }, stderr: /additional properties "__proto__x"/ },
  { field: '', profile: '{"name":"a","__proto__":{},"workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}', stderr: /additional properties "__proto__"/ },
  { field: '', profile: '{"name":"a","name":"b","workload":{"queues":[{"maxmsg":1,"msgsize":1}]}}', stderr: /\/ has "name" twice: give it once \(rule: duplicate key\)/ },
  // $schema
  { field: '/$schema', profile: top({ $schema: 5 }), stderr: /\/\$schema must be string \(rule: type\), got 5/ },
  { field: '/$schema', profile: top({ $schema: 'a\u0001b' }), stderr: /\/\$schema must match pattern .* \(rule: pattern\), got "a\\u0001b"/ },
  { field: '/$schema', profile: top({ $schema: 'x'.repeat(2049) }), stderr: /\/\$schema must NOT have more than 2048 characters \(rule: maxLength\)/ },
  // name
  { field: '/name', profile: { workload: { queues: [{ maxmsg: 1, msgsize: 1 }] } }, stderr: /\/ must have required property 'name' \(rule: required\)/, everywhere: true },
  { field: '/name', profile: top({ name: '' }), stderr: /\/name must match pattern .*, got ""/ },
  { field: '/name', profile: top({ name: '-a' }), stderr: /\/name must match pattern .*, got "-a"/ },
  { field: '/name', profile: top({ name: 'a b' }), stderr: /\/name must match pattern .*, got "a b"/ },
  { field: '/name', profile: top({ name: 'a\nb' }), stderr: /\/name must match pattern .*, got "a\\nb"/ },
  { field: '/name', profile: top({ name: 'a'.repeat(65) }), stderr: /\/name must match pattern .*, got "a{60}…" \(65 characters\)/ },
  { field: '/name', profile: top({ name: 42 }), stderr: /\/name must be string \(rule: type\), got 42/ },
  // description
  { field: '/description', profile: top({ description: 'line one\nline two' }), stderr: /\/description must match pattern .*, got "line one\\nline two"/ },
  { field: '/description', profile: top({ description: 'bell\u0007' }), stderr: /\/description must match pattern .*, got "bell\\u0007"/ },
  { field: '/description', profile: top({ description: 'a\u2028b' }), stderr: /\/description must match pattern .*, got "a\\u2028b"/ },
  { field: '/description', profile: top({ description: 'esc\u001b[31m' }), stderr: /\/description must match pattern .*, got "esc\\u001b\[31m"/ },
  { field: '/description', profile: top({ description: 'x'.repeat(1001) }), stderr: /\/description must NOT have more than 1000 characters \(rule: maxLength\), got "x{60}…" \(1001 characters\)/ },
  { field: '/description', profile: top({ description: ['a'] }), stderr: /\/description must be string \(rule: type\), got \["a"\]/ },
  // owner
  { field: '/owner', profile: top({ owner: 'root' }), stderr: /\/owner must be object \(rule: type\), got "root"$/ },
  { field: '/owner', profile: top({ owner: {} }), stderr: /\/owner must have required property 'user' \(rule: required\); \/owner must have required property 'service'/ },
  { field: '/owner', profile: top({ owner: { user: 'app', service: 'app.service' } }), stderr: /\/owner must NOT have additional properties "(service|user)"/ },
  { field: '/owner', profile: top({ owner: { group: 'app' } }), stderr: /\/owner must NOT have additional properties "group"/ },
  { field: '/owner/user', profile: top({ owner: { user: 'App' } }), stderr: /\/owner\/user must match pattern .*, got "App"/ },
  { field: '/owner/user', profile: top({ owner: { user: '' } }), stderr: /\/owner\/user must match pattern .*, got ""/ },
  { field: '/owner/user', profile: top({ owner: { user: 'a\nb' } }), stderr: /\/owner\/user must match pattern .*, got "a\\nb"/ },
  { field: '/owner/user', profile: top({ owner: { user: 'a'.repeat(33) } }), stderr: /\/owner\/user must match pattern .*, got "a{33}"/ },
  { field: '/owner/user', profile: top({ owner: { user: 1000 } }), stderr: /\/owner\/user must be string \(rule: type\), got 1000/ },
  { field: '/owner/service', profile: top({ owner: { service: 'app' } }), stderr: /\/owner\/service must match pattern .*, got "app"/ },
  { field: '/owner/service', profile: top({ owner: { service: 'a b.service' } }), stderr: /\/owner\/service must match pattern .*, got "a b\.service"/ },
  { field: '/owner/service', profile: top({ owner: { service: 'a\n.service' } }), stderr: /\/owner\/service must match pattern .*, got "a\\n\.service"/ },
  { field: '/owner/service', profile: top({ owner: { service: 'a@b@c.service' } }), stderr: /\/owner\/service must match pattern .*, got "a@b@c\.service"/ },
  { field: '/owner/service', profile: top({ owner: { service: `${'a'.repeat(250)}.service` } }), stderr: /\/owner\/service must NOT have more than 253 characters/ },
  { field: '/owner/service', profile: top({ owner: { service: true } }), stderr: /\/owner\/service must be string \(rule: type\), got true/ },
  // workload
  { field: '/workload', profile: workload({}), stderr: /\/workload must NOT have fewer than 1 properties \(rule: minProperties\), got \{\}/ },
  { field: '/workload', profile: { name: 'bad', workload: [] }, stderr: /\/workload must be object \(rule: type\), got \[\]/ },
  { field: '/workload', profile: workload({ queue: [] }), stderr: /\/workload must NOT have additional properties "queue"/ },
  { field: '/workload/queues', profile: workload({ queues: [] }), stderr: /\/workload\/queues must NOT have fewer than 1 items \(rule: minItems\), got \[\]/ },
  { field: '/workload/queues', profile: workload({ queues: { maxmsg: 1, msgsize: 1 } }), stderr: /\/workload\/queues must be array \(rule: type\)/ },
  { field: '/workload/queues/0', profile: workload({ queues: [7] }), stderr: /\/workload\/queues\/0 must be object \(rule: type\), got 7/ },
  { field: '/workload/queues/0', profile: queue({ depth: 3 }), stderr: /\/workload\/queues\/0 must NOT have additional properties "depth"/ },
  { field: '/workload/queues/0', profile: '{"name":"a","workload":{"queues":[{"maxmsg":1,"msgsize":1,"maxmsg":99999}]}}', stderr: /\/workload\/queues\/0 has "maxmsg" twice: give it once/, everywhere: true },
  { field: '/workload/queues/0/name', profile: queue({ name: 'orders' }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "orders"/ },
  { field: '/workload/queues/0/name', profile: queue({ name: '/' }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "\/"/ },
  { field: '/workload/queues/0/name', profile: queue({ name: '/a/b' }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "\/a\/b"/ },
  { field: '/workload/queues/0/name', profile: queue({ name: '/a\nb' }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "\/a\\nb"/ },
  { field: '/workload/queues/0/name', profile: queue({ name: '/a\u007f' }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "\/a\\u007f"/ },
  { field: '/workload/queues/0/name', profile: queue({ name: `/${'q'.repeat(256)}` }), stderr: /\/workload\/queues\/0\/name must match pattern .*, got "\/q{59}…" \(257 characters\)/ },
  { field: '/workload/queues/0/name', profile: queue({ name: 1 }), stderr: /\/workload\/queues\/0\/name must be string \(rule: type\), got 1/ },
  { field: '/workload/queues/0/maxmsg', profile: workload({ queues: [{ msgsize: 1 }] }), stderr: /\/workload\/queues\/0 must have required property 'maxmsg' \(rule: required\)/ },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: 0 }), stderr: range('/workload/queues/0/maxmsg', GE, 1, SAFE, '0'), everywhere: true },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: -1 }), stderr: range('/workload/queues/0/maxmsg', GE, 1, SAFE, '-1') },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: 1.5 }), stderr: range('/workload/queues/0/maxmsg', GE, 1, SAFE, '1.5') },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: '10' }), stderr: range('/workload/queues/0/maxmsg', GE, 1, SAFE, '"10"') },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: null }), stderr: range('/workload/queues/0/maxmsg', GE, 1, SAFE, 'null') },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: 1e300 }), stderr: range('/workload/queues/0/maxmsg', /<= 9007199254740991 \(rule: maximum\)/, 1, SAFE, '1e\\+300') },
  { field: '/workload/queues/0/maxmsg', profile: '{"name":"a","workload":{"queues":[{"maxmsg":18446744073709551616,"msgsize":1}]}}', stderr: /\/workload\/queues\/0\/maxmsg must be <= 9007199254740991 \(rule: maximum\): a whole number from 1 to 9007199254740991, got 18446744073709552000/ },
  { field: '/workload/queues/0/maxmsg', profile: queue({ maxmsg: 70000 }), stderr: /\/workload\/queues\/0\/maxmsg 70,000 is over the kernel's hard cap HARD_MSGMAX = 65,536/, stage: 'derive', everywhere: true },
  { field: '/workload/queues/0/msgsize', profile: workload({ queues: [{ maxmsg: 1 }] }), stderr: /\/workload\/queues\/0 must have required property 'msgsize'/ },
  { field: '/workload/queues/0/msgsize', profile: queue({ msgsize: 0 }), stderr: range('/workload/queues/0/msgsize', GE, 1, SAFE, '0') },
  { field: '/workload/queues/0/msgsize', profile: queue({ msgsize: 1e300 }), stderr: range('/workload/queues/0/msgsize', /<= 9007199254740991 \(rule: maximum\)/, 1, SAFE, '1e\\+300') },
  { field: '/workload/queues/0/msgsize', profile: queue({ msgsize: '8k' }), stderr: range('/workload/queues/0/msgsize', GE, 1, SAFE, '"8k"') },
  { field: '/workload/queues/0/msgsize', profile: queue({ msgsize: 16777217 }), stderr: /\/workload\/queues\/0\/msgsize 16,777,217 is over the kernel's hard cap HARD_MSGSIZEMAX = 16,777,216/, stage: 'derive' },
  { field: '/workload/queues/0/count', profile: queue({ count: 0 }), stderr: range('/workload/queues/0/count', GE, 1, 1000000, '0') },
  { field: '/workload/queues/0/count', profile: queue({ count: -1 }), stderr: range('/workload/queues/0/count', GE, 1, 1000000, '-1') },
  { field: '/workload/queues/0/count', profile: queue({ count: 1000001 }), stderr: range('/workload/queues/0/count', /<= 1000000 \(rule: maximum\)/, 1, 1000000, '1000001') },
  { field: '/workload/queues/0/count', profile: queue({ count: 2.5 }), stderr: range('/workload/queues/0/count', GE, 1, 1000000, '2.5') },
  { field: '/workload/queues/0/count', profile: queue({ count: '2' }), stderr: range('/workload/queues/0/count', GE, 1, 1000000, '"2"') },
  { field: '/workload/queues/0/count', profile: queue({ maxmsg: 65536, msgsize: 16777216, count: 1000000 }), stderr: /\/workload RLIMIT_MSGQUEUE = \d+ is outside what can be written exactly \(0 … 9,007,199,254,740,991\)/, stage: 'derive' },
  // openFiles, headroomPercent
  { field: '/workload/openFiles', profile: workload({ openFiles: -1 }), stderr: range('/workload/openFiles', GE, 0, 1073741816, '-1') },
  { field: '/workload/openFiles', profile: workload({ openFiles: 1073741817 }), stderr: range('/workload/openFiles', /<= 1073741816 \(rule: maximum\)/, 0, 1073741816, '1073741817') },
  { field: '/workload/openFiles', profile: workload({ openFiles: 0.5 }), stderr: range('/workload/openFiles', GE, 0, 1073741816, '0.5') },
  { field: '/workload/openFiles', profile: workload({ openFiles: '1024' }), stderr: range('/workload/openFiles', GE, 0, 1073741816, '"1024"') },
  { field: '/workload/openFiles', profile: { ...queue({}), owner: { user: 'app' }, workload: { queues: [{ maxmsg: 1, msgsize: 1 }], openFiles: 1073741816 } }, stderr: /RLIMIT_NOFILE = 1,073,741,817 is outside what fs\.nr_open can allow \(0 … 1,073,741,816\)/, stage: 'derive' },
  { field: '/workload/headroomPercent', profile: { name: 'bad', workload: { queues: [{ maxmsg: 1, msgsize: 1 }], headroomPercent: -1 } }, stderr: range('/workload/headroomPercent', GE, 0, 1000, '-1', 'a number') },
  { field: '/workload/headroomPercent', profile: { name: 'bad', workload: { queues: [{ maxmsg: 1, msgsize: 1 }], headroomPercent: 1001 } }, stderr: range('/workload/headroomPercent', /<= 1000 \(rule: maximum\)/, 0, 1000, '1001', 'a number') },
  { field: '/workload/headroomPercent', profile: { name: 'bad', workload: { queues: [{ maxmsg: 1, msgsize: 1 }], headroomPercent: '10%' } }, stderr: range('/workload/headroomPercent', GE, 0, 1000, '"10%"', 'a number') },
  { field: '/workload/headroomPercent', profile: { name: 'bad', workload: { queues: [{ maxmsg: 1, msgsize: 1 }], headroomPercent: 1e300 } }, stderr: range('/workload/headroomPercent', /<= 1000 \(rule: maximum\)/, 0, 1000, '1e\\+300', 'a number') },
  // sysv
  { field: '/workload/sysv', profile: workload({ sysv: {} }), stderr: /\/workload\/sysv must NOT have fewer than 1 properties \(rule: minProperties\), got \{\}/ },
  { field: '/workload/sysv', profile: workload({ sysv: { msgmax: 1 } }), stderr: /\/workload\/sysv must NOT have additional properties "msgmax"/ },
  { field: '/workload/sysv', profile: workload({ sysv: 128 }), stderr: /\/workload\/sysv must be object \(rule: type\), got 128/ },
  { field: '/workload/sysv/queues', profile: workload({ sysv: { queues: 0 } }), stderr: range('/workload/sysv/queues', GE, 1, 2147483647, '0') },
  { field: '/workload/sysv/queues', profile: workload({ sysv: { queues: 2147483648 } }), stderr: range('/workload/sysv/queues', /<= 2147483647 \(rule: maximum\)/, 1, 2147483647, '2147483648') },
  { field: '/workload/sysv/queues', profile: workload({ sysv: { queues: 1.5 } }), stderr: range('/workload/sysv/queues', GE, 1, 2147483647, '1.5') },
  { field: '/workload/sysv/queues', profile: { ...workload({ sysv: { queues: 40000 } }), owner: { user: 'app' } }, stderr: /\/workload\/sysv\/queues 40,000 is over the kernel's cap for kernel\.msgmni \(32,768 per IPC namespace\)/, stage: 'derive' },
  { field: '/workload/sysv/maxMessageBytes', profile: workload({ sysv: { maxMessageBytes: 0 } }), stderr: range('/workload/sysv/maxMessageBytes', GE, 1, 2147483647, '0') },
  { field: '/workload/sysv/maxMessageBytes', profile: workload({ sysv: { maxMessageBytes: 2147483648 } }), stderr: range('/workload/sysv/maxMessageBytes', /<= 2147483647 \(rule: maximum\)/, 1, 2147483647, '2147483648') },
  { field: '/workload/sysv/maxMessageBytes', profile: workload({ sysv: { maxMessageBytes: '64k' } }), stderr: range('/workload/sysv/maxMessageBytes', GE, 1, 2147483647, '"64k"') },
  { field: '/workload/sysv/queueBytes', profile: workload({ sysv: { queueBytes: 0 } }), stderr: range('/workload/sysv/queueBytes', GE, 1, 2147483647, '0') },
  { field: '/workload/sysv/queueBytes', profile: '{"name":"a","workload":{"sysv":{"queueBytes":18446744073709551616}}}', stderr: /\/workload\/sysv\/queueBytes must be <= 2147483647 \(rule: maximum\): a whole number from 1 to 2147483647, got 18446744073709552000/ },
  { field: '/workload/sysv/queueBytes', profile: workload({ sysv: { queueBytes: -1 } }), stderr: range('/workload/sysv/queueBytes', GE, 1, 2147483647, '-1') },
  // settings, and the rlimits among them
  { field: '/settings', profile: settings({}), stderr: /\/settings must NOT have fewer than 1 properties \(rule: minProperties\), got \{\}/ },
  { field: '/settings', profile: settings({ 'fs.mqueue.bogus': 1 }), stderr: /\/settings must NOT have additional properties "fs\.mqueue\.bogus"/ },
  { field: '/settings', profile: settings({ 'fs/mqueue/msg_max': 1 }), stderr: /\/settings must NOT have additional properties "fs\/mqueue\/msg_max"/ },
  { field: '/settings', profile: { name: 'bad', settings: [10] }, stderr: /\/settings must be object \(rule: type\), got \[10\]/ },
  { field: '/settings', profile: '{"name":"a","settings":{"fs.mqueue.msg_max":20,"fs.mqueue.msg_max":10}}', stderr: /\/settings has "fs\.mqueue\.msg_max" twice: give it once/ },
  { field: '/settings/fs.mqueue.msg_max', profile: { ...queue({ maxmsg: 100 }), settings: { 'fs.mqueue.msg_max': 50 } }, stderr: /\/settings\/fs\.mqueue\.msg_max 50 is below what the workload needs: 100/, stage: 'derive' },
  { field: '/settings/RLIMIT_MSGQUEUE', profile: { ...queue({ maxmsg: 1000, msgsize: 8192 }), owner: { user: 'app' }, settings: { RLIMIT_MSGQUEUE: 819200 } }, stderr: /\/settings\/RLIMIT_MSGQUEUE 819,200 is below what the workload needs: \d/, stage: 'derive' },
  { field: '/workload/queues/0', profile: queue({ maxmsg: 1000, msgsize: 8192 }), stderr: /needs RLIMIT_MSGQUEUE [\d,]+, which is set per user or service: name its owner \("owner" in the profile, or --user \/ --service\)/, stage: 'owner', everywhere: true },
  { field: '/workload/openFiles', profile: workload({ openFiles: 4096 }), stderr: /needs RLIMIT_NOFILE 4,096, which is set per user or service: name its owner/, stage: 'owner' },
  ...(
    [
      ['fs.mqueue.msg_max', 1, 65536],
      ['fs.mqueue.msgsize_max', 128, 16777216],
      ['fs.mqueue.msg_default', 1, 65536],
      ['fs.mqueue.msgsize_default', 128, 16777216],
      ['fs.mqueue.queues_max', 0, 2147483647],
      ['kernel.msgmax', 0, 2147483647],
      ['kernel.msgmnb', 0, 2147483647],
      ['kernel.msgmni', 0, 32768],
      ['RLIMIT_MSGQUEUE', 0, SAFE],
      ['RLIMIT_NOFILE', 1, 1073741816],
    ] as const
  ).flatMap(([key, lo, hi], i): ProfileCase[] => [
    { field: `/settings/${key}`, profile: settings({ [key]: lo - 1 }), stderr: range(`/settings/${key}`, GE, lo, hi, String(lo - 1)) },
    { field: `/settings/${key}`, profile: settings({ [key]: hi + 1 }), stderr: range(`/settings/${key}`, new RegExp(`<= ${hi} \\(rule: maximum\\)`), lo, hi, String(hi + 1)) },
    // the wrong types on every other key: the rule is the same for all
    i % 2 === 0
      ? { field: `/settings/${key}`, profile: settings({ [key]: lo + 0.5 }), stderr: range(`/settings/${key}`, GE, lo, hi, String(lo + 0.5)) }
      : { field: `/settings/${key}`, profile: settings({ [key]: String(hi) }), stderr: range(`/settings/${key}`, GE, lo, hi, `"${hi}"`) },
  ]),
  { field: '/settings/RLIMIT_MSGQUEUE', profile: '{"name":"a","settings":{"RLIMIT_MSGQUEUE":18446744073709551616}}', stderr: /\/settings\/RLIMIT_MSGQUEUE must be <= 9007199254740991 \(rule: maximum\): a whole number from 0 to 9007199254740991, got 18446744073709552000/ },
  { field: '/settings/RLIMIT_MSGQUEUE', profile: settings({ RLIMIT_MSGQUEUE: 1e300 }), stderr: /\/settings\/RLIMIT_MSGQUEUE must be <= 9007199254740991 \(rule: maximum\).*got 1e\+300/ },
];

/**
 * Which commands run a case. Each command reads a profile through the same code
 * (src/cli/profile-input.ts), so every case runs through one of them and the cases
 * marked `everywhere` through all: each CLI start costs ~100 ms of CPU.
 */
const READERS: Record<Stage, { one: string; all: string[] }> = {
  read: { one: 'tune', all: ['tune', 'apply', 'verify', 'preflight', 'watch'] },
  schema: { one: 'tune', all: ['tune', 'apply', 'verify', 'preflight', 'watch'] },
  // preflight only reads the profile's queues and checks them against this container
  derive: { one: 'tune', all: ['tune', 'apply', 'verify', 'watch'] },
  // tune renders for any owner; apply, verify and watch (which verifies) must know whose rlimits
  owner: { one: 'apply', all: ['apply', 'verify', 'watch'] },
};

const PROFILE_ROWS: Row[] = PROFILE_CASES.flatMap((c) => {
  const readers = READERS[c.stage ?? 'schema'];
  return (c.everywhere ? readers.all : [readers.one]).map((cmd): Row => ({
    args: cmd === 'tune' ? ['tune', '--profile', '@p.json', '--format', 'sysctl'] : [cmd, '--profile', '@p.json'],
    files: { 'p.json': typeof c.profile === 'string' || Buffer.isBuffer(c.profile) ? c.profile : JSON.stringify(c.profile) },
    code: USAGE,
    stderr: new RegExp(`^mq-doctor: (invalid profile|cannot read profile|profile) \\S+p\\.json[: ].*${c.stderr.source.replace(/^\^/, '')}`),
  }));
});

const ROWS: Row[] = [
  ...CHECK,
  ...CHECK_SYSV,
  ...LIMITS,
  ...TUNE,
  ...APPLY,
  ...VERIFY,
  ...ROLLBACK,
  ...PREFLIGHT,
  ...PREFLIGHT_ENV,
  ...WATCH,
  ...EXPLAIN,
  ...COMPLETION,
  ...HELP,
  ...UNKNOWN_COMMAND,
  ...ENVIRONMENT,
  ...PROFILE_ROWS,
];

const TOLERATED: Tolerated[] = [
  // bin/mq-doctor.cjs sets these itself; a stale or foreign value is ignored, never trusted
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_NOFILE: 'garbage' }, code: 0, stdout: /^mq-doctor limits / },
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_NOFILE: '-1' }, code: 0, stdout: /^mq-doctor limits / },
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_NOFILE: '18446744073709551616' }, code: 0, stdout: /^mq-doctor limits / },
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_FDS: 'not: a list' }, code: 0, stdout: /^mq-doctor limits / },
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_FDS: '1: 0 1 2\n3' }, code: 0, stdout: /^mq-doctor limits / },
  // run by node directly, not through the launcher's /bin/sh line (test/cli/launcher-ca-certs.test.ts runs that):
  // a file that holds no certificate is no error, and a stale launcher variable is put back as the command's own
  { args: ['limits'], env: { NODE_EXTRA_CA_CERTS: join(ROOT, 'package.json') }, code: 0, stdout: /^mq-doctor limits / },
  { args: ['limits'], env: { MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS: 'not a path\n' }, code: 0, stdout: /^mq-doctor limits / },
  // systemd's, read by watch alone (test/watch/ready.test.ts): any other command ignores it
  { args: ['limits'], env: { NOTIFY_SOCKET: 'relative/not-a-socket' }, code: 0, stdout: /^mq-doctor limits / },
  // a test hook of the writer
  { args: ['rollback', '--root', '{root}'], env: { MQ_DOCTOR_TEST_PAUSE_AFTER_STEP: 'soon' }, code: 0, stdout: /^nothing to roll back/ },
  // completion falls back to bash for a shell it does not know
  { args: ['completion'], env: { SHELL: '/bin/tcsh\n' }, code: 0, stdout: /mq-doctor/ },
  // empty means unset, as for the preflight variables
  { args: ['limits'], env: { MQ_DOCTOR_LOG_LEVEL: '', MQ_DOCTOR_DEBUG: '', MQ_DOCTOR_NO_ADDON: '' }, code: 0, stdout: /^mq-doctor limits / },
];

// ---------------------------------------------------------------------------------------
// Running the rows
// ---------------------------------------------------------------------------------------

const WORK = mkdtempSync(join(tmpdir(), 'mqd-bad-input-'));
let busy: Server;
let busyPort = 0;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  root: string;
  rootAfter: string[];
  cwdAfter: string[];
  filesBefore: string[];
  filesAfter: string[];
}

const listing = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(`${rel}${e.name}${e.isDirectory() ? '/' : ''}`);
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out.sort();
};

const commandOf = (args: string[]): string | undefined => {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--pid') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
};

const flagsOf = (args: string[]): string[] => {
  const dashes = args.indexOf('--');
  return (dashes >= 0 ? args.slice(0, dashes) : args).filter((a) => a.startsWith('--') && a !== '--').map((a) => a.slice(2).split('=')[0]!);
};

/** The row's command line with its placeholders filled in and the safety additions made. */
function commandLine(args: string[], dir: string, root: string): string[] {
  const fill = (s: string) => s.replace(/^@(.*)$/s, (_, name: string) => join(dir, name)).replace(/\{root\}/g, root).replace(/\{busyport\}/g, String(busyPort));
  const out = args.map(fill);
  const cmd = commandOf(args);
  const has = (flag: string) => out.some((a) => a === flag || a.startsWith(`${flag}=`));
  if ((cmd === 'apply' || cmd === 'verify' || cmd === 'rollback') && !has('--root')) out.push('--root', root);
  if (cmd === 'preflight' && !out.includes('--')) out.push('--', '/bin/sh', '-c', 'echo STARTED');
  if (cmd === 'watch' && !has('--listen')) out.push('--listen', `127.0.0.1:${listenPort()}`);
  return out;
}

function makeFiles(dir: string, files: Record<string, FileSpec> = {}): void {
  for (const [name, spec] of Object.entries(files)) {
    const path = join(dir, name);
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(path, spec);
    else if ('dir' in spec) mkdirSync(path);
    else {
      const r = spawnSync('mkfifo', [path]);
      if (r.status !== 0) throw new Error(`mkfifo ${path}: ${String(r.stderr)}`);
    }
  }
}

let serial = 0;
/** Another engineer's `npm run build` empties dist/ for a moment: such a run is repeated, not failed. */
const REBUILDING = /not built yet|Cannot find module .*dist\//;

async function run(args: string[], env: Record<string, string> = {}, files?: Record<string, FileSpec>): Promise<Run> {
  for (let attempt = 1; ; attempt++) {
    const r = await runOnce(args, env, files);
    if (!REBUILDING.test(r.stderr) || attempt === 10) return r;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function runOnce(args: string[], env: Record<string, string> = {}, files?: Record<string, FileSpec>): Promise<Run> {
  const base = join(WORK, String(serial++));
  const dir = join(base, 'files');
  const root = join(base, 'root');
  const cwd = join(base, 'cwd');
  for (const d of [dir, root, cwd]) mkdirSync(d, { recursive: true });
  makeFiles(dir, files);
  const filesBefore = listing(dir);
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MQ_DOCTOR_')));
  for (const [k, v] of Object.entries(env)) childEnv[k] = v.replace(/^@(.*)$/s, (_, name: string) => join(dir, name));
  const argv = commandLine(args, dir, root);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, 10_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, root, rootAfter: listing(root), cwdAfter: listing(cwd), filesBefore, filesAfter: listing(dir) });
    });
  });
}

/** Runs every row, `parallel` at a time; the slow ones (a hang is 10 s) first. */
async function runAll<T>(items: T[], start: (item: T) => Promise<Run>, parallel: number): Promise<Map<T, Run>> {
  const results = new Map<T, Run>();
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) results.set(item, await start(item));
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

let results = new Map<Row, Run>();
let tolerated = new Map<Tolerated, Run>();

beforeAll(async () => {
  // Another engineer's rebuild empties dist/ for a moment: wait for it rather than fail every row.
  for (let i = 0; i < 50 && !existsQuiet(`${ROOT}dist/mq-doctor.cjs`); i++) await new Promise((r) => setTimeout(r, 200));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  busyPort = (busy.address() as { port: number }).port;
  const parallel = Math.max(4, Math.min(16, 2 * availableParallelism()));
  const ordered = [...ROWS].sort((a, b) => Number(Boolean(b.bug)) - Number(Boolean(a.bug)));
  results = await runAll(ordered, (row) => run(row.args, row.env, row.files), parallel);
  tolerated = await runAll(TOLERATED, (t) => run(t.args, t.env), parallel);
}, 180_000);

afterAll(() => {
  busy?.close();
  rmSync(WORK, { recursive: true, force: true });
});

function existsQuiet(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const title = (row: { args: string[]; env?: Record<string, string> }) =>
  `${Object.entries(row.env ?? {})
    .map(([k, v]) => `${k}=${JSON.stringify(v)} `)
    .join('')}mq-doctor ${row.args.map((a) => (/^[\w@./:={}-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`.slice(0, 200);

function expectNothingDone(r: Run): void {
  expect(r.timedOut, 'hung: killed after 10 s').toBe(false);
  expect(`${r.stdout}${r.stderr}`).not.toContain('    at ');
  expect(`${r.stdout}${r.stderr}`).not.toContain('STARTED');
  expect(r.rootAfter, `--root ${r.root} was written to`).toEqual([]);
  expect(r.cwdAfter, 'the working directory was written to').toEqual([]);
  expect(r.filesAfter, 'the row\'s files changed').toEqual(r.filesBefore);
}

const GROUPS: Array<[string, Row[]]> = [
  ['check', CHECK],
  ['check --sysv', CHECK_SYSV],
  ['limits', LIMITS],
  ['tune', TUNE],
  ['apply', APPLY],
  ['verify', VERIFY],
  ['rollback', ROLLBACK],
  ['preflight', PREFLIGHT],
  ['preflight (environment)', PREFLIGHT_ENV],
  ['watch', WATCH],
  ['explain', EXPLAIN],
  ['completion', COMPLETION],
  ['help', HELP],
  ['unknown command, flags before the command', UNKNOWN_COMMAND],
  ['environment', ENVIRONMENT],
  ['profile contents (tune, apply, verify, preflight, watch)', PROFILE_ROWS],
];

describe('bad input: exit code, one line on stderr naming the problem, nothing written', () => {
  for (const [group, rows] of GROUPS) {
    describe(group, () => {
      for (const row of rows) {
        (row.bug ? it.fails : it)(`${title(row)}${row.bug ? `  [known bug: ${row.bug}]` : ''}`, () => {
          const r = results.get(row)!;
          expectNothingDone(r);
          expect(r.stdout, 'stdout').toBe('');
          const lines = r.stderr.split('\n');
          expect(lines, `stderr is one line:\n${r.stderr}`).toHaveLength(2);
          expect(lines[1]).toBe('');
          expect(lines[0]).toMatch(/^mq-doctor: /);
          expect(lines[0]).toMatch(row.stderr);
          expect(r.code, `exit code (stderr: ${lines[0]})`).toBe(row.code);
        });
      }
    });
  }
});

describe('inputs that are not the user\'s: ignored, never an error', () => {
  for (const t of TOLERATED) {
    it(title(t), () => {
      const r = tolerated.get(t)!;
      expectNothingDone(r);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(t.code);
      expect(r.stdout).toMatch(t.stdout);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Coverage: a new flag, profile field or environment variable without rows fails here
// ---------------------------------------------------------------------------------------

describe('the tables cover the whole CLI', () => {
  it.each(Object.entries(COMMANDS).flatMap(([cmd, spec]) => Object.keys(spec.options).map((flag) => [cmd, flag] as const)))(
    'a bad-input row for %s --%s (src/cli/options.ts)',
    (cmd, flag) => {
      const rows = ROWS.filter((r) => commandOf(r.args) === cmd && flagsOf(r.args).includes(flag));
      expect(rows.length, `no row in test/cli/bad-input.test.ts gives "${cmd} --${flag}" a bad value: add rows for it`).toBeGreaterThan(0);
    },
  );

  it('a bad-input row for every command, completion, help and an unknown command', () => {
    const commands = new Set(ROWS.map((r) => commandOf(r.args)));
    for (const cmd of [...Object.keys(COMMANDS), 'completion', 'help']) expect(commands, cmd).toContain(cmd);
    expect(UNKNOWN_COMMAND.some((r) => r.args[0] === 'frobnicate')).toBe(true);
    expect(CHECK_SYSV.length).toBeGreaterThan(0);
  });

  it('a bad-input case for every field of schema/profile.schema.json', () => {
    interface Node {
      properties?: Record<string, Node>;
      items?: Node;
      oneOf?: Node[];
      anyOf?: Node[];
    }
    const fields = new Set<string>(['']);
    const walk = (node: Node, at: string) => {
      for (const branch of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) walk(branch, at);
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        fields.add(`${at}/${key}`);
        walk(child, `${at}/${key}`);
      }
      if (node.items) {
        fields.add(`${at}/*`);
        walk(node.items, `${at}/*`);
      }
    };
    walk(JSON.parse(readFileSync(join(ROOT, 'schema/profile.schema.json'), 'utf8')) as Node, '');
    const covered = new Set(PROFILE_CASES.map((c) => c.field.replace(/\/\d+(?=\/|$)/g, '/*')));
    const missingFields = [...fields].filter((f) => !covered.has(f));
    expect(missingFields, 'profile fields without a case in PROFILE_CASES').toEqual([]);
  });

  it('a row for every environment variable src/ and bin/ read', () => {
    const sources: string[] = [join(ROOT, 'bin/mq-doctor.cjs')];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== 'generated') walk(join(d, e.name));
        else if (/\.(ts|cjs|mjs|js)$/.test(e.name)) sources.push(join(d, e.name));
      }
    };
    walk(join(ROOT, 'src'));
    const names = new Set<string>();
    for (const f of sources) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bMQ_DOCTOR_[A-Z0-9_]*[A-Z0-9]\b/g)) names.add(m[0]);
      for (const m of text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1]!);
    }
    const covered = new Set([...ROWS.flatMap((r) => Object.keys(r.env ?? {})), ...TOLERATED.flatMap((t) => Object.keys(t.env))]);
    expect([...names].filter((n) => !covered.has(n)).sort(), 'environment variables without a row').toEqual([]);
  });
});
