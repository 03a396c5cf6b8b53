// The help the build records (scripts/record-help.ts → dist/help.json) and the
// CLI prints without loading yargs (src/cli/help-store.ts): byte for byte what
// yargs prints for the same request, through a pipe and on a terminal of the
// widths recorded, and yargs itself for any other request or width.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP_STORE, helpRequests, requestKey, storedHelp } from '../../src/cli/help-store.js';
import { COMMANDS } from '../../src/cli/options.js';
import { loadedBy } from '../support/loaded-by.js';
import { packageCopy } from '../support/package-copy.js';
import { ROOT } from '../support/run-cli.js';

describe('storedHelp', () => {
  const store = JSON.stringify({ format: 1, widths: { '100': { [requestKey(['check', '--help'])]: 'CHECK HELP\n', '--version': '1.2.3\n' } } });
  const never = () => {
    throw new Error('the store was read');
  };
  it('answers a recorded request at a recorded width', () => {
    expect(storedHelp(['check', '--help'], () => 100, () => store)).toBe('CHECK HELP\n');
    expect(storedHelp(['--version'], () => 100, () => store)).toBe('1.2.3\n');
  });
  it('leaves to yargs a request or a width not recorded, and a store that is missing, corrupt or of another format', () => {
    expect(storedHelp(['check', '--help'], () => 80, () => store)).toBeUndefined();
    expect(storedHelp(['tune', '--help'], () => 100, () => store)).toBeUndefined();
    expect(storedHelp(['check', '--help'], () => 100, never)).toBeUndefined();
    expect(storedHelp(['check', '--help'], () => 100, () => '{"format": 1, "widths": ')).toBeUndefined();
    expect(storedHelp(['check', '--help'], () => 100, () => store.replace('"format":1', '"format":2'))).toBeUndefined();
  });
  it('does not read the store for what cannot be in it (completions, flags before --help), nor with YARGS_DISABLE_WRAP', () => {
    // Counted, not thrown: storedHelp takes a failing read for a missing store.
    let reads = 0;
    let widths = 0;
    const read = () => (reads++, store);
    const width = () => (widths++, 100);
    for (const argv of [['--get-yargs-completions', 'mq-doctor', ''], ['check', '--maxmsg', '5', '--help'], ['completion'], ['--help', 'check']]) {
      expect(storedHelp(argv, width, read), argv.join(' ')).toBeUndefined();
    }
    expect(storedHelp(['check', '--help'], width, read, { YARGS_DISABLE_WRAP: '1' })).toBeUndefined();
    expect([reads, widths]).toEqual([0, 0]);
    // The same counters see a recorded request read the store once.
    expect(storedHelp(['check', '--help'], width, read, {})).toBe('CHECK HELP\n');
    expect([reads, widths]).toEqual([1, 1]);
  });
  it('records help for every command and completion, both spellings, and --version', () => {
    const keys = helpRequests().map(requestKey);
    for (const name of [...Object.keys(COMMANDS), 'completion']) {
      expect(keys).toContain(requestKey([name, '--help']));
      expect(keys).toContain(requestKey([name, '-h']));
    }
    expect(keys).toEqual(expect.arrayContaining(['--help', '-h', '--version']));
  });
});

const built = existsSync(join(ROOT, 'dist', HELP_STORE));
const python = spawnSync('python3', ['-c', 'import pty, termios'], { stdio: 'ignore' }).status === 0;

// A terminal of the given width: the child sets its own window size before it
// runs the CLI, so nothing can read it before it is set. Prints what the CLI wrote.
const ON_A_TERMINAL = `
import fcntl, os, pty, struct, sys, termios
cols = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

describe.skipIf(!built)('the recorded help against yargs (skipped when dist/ is not built: npm run build)', () => {
  /** A copy of the package without the store, for one test: every help comes from yargs. */
  const withoutStore = () => packageCopy((dist) => rmSync(join(dist, HELP_STORE)));

  const env = { PATH: process.env.PATH };
  const piped = (pkg: string, argv: string[]) => {
    const r = spawnSync(process.execPath, [join(pkg, 'bin/mq-doctor.cjs'), ...argv], { encoding: 'utf8', env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const onTerminal = (pkg: string, argv: string[], cols: number) => {
    const r = spawnSync('python3', ['-c', ON_A_TERMINAL, String(cols), process.execPath, join(pkg, 'bin/mq-doctor.cjs'), ...argv], { encoding: 'utf8', env });
    return { status: r.status, stdout: r.stdout };
  };

  it('through a pipe: every recorded request prints what yargs prints, with its exit code', () => {
    const store = JSON.parse(readFileSync(join(ROOT, 'dist', HELP_STORE), 'utf8'));
    expect(Object.keys(store.widths['100']).sort()).toEqual(helpRequests().map(requestKey).sort());
    const bare = withoutStore();
    for (const argv of [...helpRequests(), ['help'], ['help', 'check'], ['help', 'completion']]) {
      const want = piped(bare, argv);
      expect(want.status, argv.join(' ')).toBe(0);
      expect(want.stdout.length).toBeGreaterThan(5);
      expect(piped(ROOT, argv), argv.join(' ')).toEqual(want);
    }
  });

  it('with YARGS_DISABLE_WRAP yargs answers, unwrapped, as without the store', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/mq-doctor.cjs'), 'check', '--help'], { encoding: 'utf8', env: { ...env, YARGS_DISABLE_WRAP: '1' } });
    const want = spawnSync(process.execPath, [join(withoutStore(), 'bin/mq-doctor.cjs'), 'check', '--help'], { encoding: 'utf8', env: { ...env, YARGS_DISABLE_WRAP: '1' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(want.stdout);
    expect(r.stdout).not.toBe(piped(ROOT, ['check', '--help']).stdout);
  });

  it('without yargs: a recorded request compiles none of yargs-cli.cjs', () => {
    const scripts = (argv: string[]) => {
      const l = loadedBy(argv);
      expect(l.status, l.stderr).toBe(0);
      return l.compiled.map((c) => c.file);
    };
    expect(scripts(['check', '--help']).some((f) => f.endsWith('yargs-cli.cjs'))).toBe(false);
    // A request not recorded still goes to yargs.
    expect(scripts(['check', '--maxmsg', '5', '--help']).some((f) => f.endsWith('yargs-cli.cjs'))).toBe(true);
  });

  it.skipIf(!python)('on a terminal: at 110 columns and more the recorded help, at 80 yargs laying it out at 80 (skipped without python3)', () => {
    const bare = withoutStore();
    for (const argv of [['--help'], ['tune', '--help']]) {
      for (const cols of [110, 150, 80]) {
        const want = onTerminal(bare, argv, cols);
        expect(want.status).toBe(0);
        expect(onTerminal(ROOT, argv, cols), `${argv.join(' ')} at ${cols} columns`).toEqual(want);
      }
      const at80 = onTerminal(ROOT, argv, 80).stdout;
      expect(Math.max(...at80.split(/\r?\n/).map((l) => l.length))).toBeLessThanOrEqual(80);
      expect(at80).not.toBe(onTerminal(ROOT, argv, 110).stdout);
    }
  });
});
