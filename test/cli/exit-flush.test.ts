// src/cli/entry.ts ends the process with exit() when everything went out with
// writeSync, and lets the event loop end otherwise (a process.stdout write to a
// full non-blocking pipe is queued). Both ways, every byte must reach a reader
// that is slow, through a non-blocking pipe that is already nearly full.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/run-cli.js';
import { scratchDir } from '../support/scratch.js';

const built = existsSync(new URL('../../dist/mq-doctor.cjs', import.meta.url));
const python = spawnSync('python3', ['-c', 'import fcntl; fcntl.F_SETPIPE_SZ'], { stdio: 'ignore' }).status === 0;

// A 4 KB pipe, O_NONBLOCK, holding 4,000 bytes before the CLI starts; read
// from only half a second after it started: the CLI's writes meet EAGAIN.
const SLOW_READER = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe2(os.O_NONBLOCK)
fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
os.write(w, b"#" * 4000)
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=w)
os.close(w)
time.sleep(0.5)
os.set_blocking(r, True)
out = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out[4000:])
sys.exit(p.wait())
`;

describe.skipIf(!built || !python)('output through a slow, full, non-blocking pipe (skipped without dist/ or python3)', () => {
  const direct = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  const slow = (args: string[]) => spawnSync('python3', ['-c', SLOW_READER, process.execPath, BIN, ...args], { encoding: 'utf8' });

  it.each([
    ['written with writeSync (the process exits at once)', ['tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all']],
    ['the recorded help, written with writeSync', ['--help']],
    // A request the build did not record (src/cli/help-store.ts): yargs prints it.
    ['written through process.stdout (yargs: the event loop ends first)', ['--maxmsg', '1', 'check', '--help']],
  ])('%s', (_what, args) => {
    const want = direct(args);
    expect(want.status).toBe(0);
    expect(want.stdout.length).toBeGreaterThan(2000);
    const got = slow(args);
    expect(got.status, got.stderr).toBe(0);
    expect(got.stdout).toBe(want.stdout);
  });

  it('exit() is what ends a run that wrote only with writeSync, and only such a run', () => {
    // A preload reports whether the process ended through process.exit().
    const probe = join(scratchDir('mqd-exit-'), 'probe.cjs');
    writeFileSync(probe, `const exit = process.exit; let called = false; process.exit = (c) => { called = true; exit.call(process, c); };
process.on('exit', () => require('node:fs').writeSync(2, '\\nEXIT_CALLED=' + called + '\\n'));`);
    const ended = (args: string[]) => {
      const r = spawnSync(process.execPath, ['-r', probe, BIN, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return /EXIT_CALLED=(true|false)/.exec(r.stderr)?.[1];
    };
    expect(ended(['tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'sysctl'])).toBe('true');
    expect(ended(['--help'])).toBe('true');
    expect(ended(['--maxmsg', '1', 'check', '--help'])).toBe('false');
  });

  it.each([
    ['written with writeSync', ['tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all']],
    ['the recorded help', ['--help']],
    ['limits --json, streamed in chunks', ['limits', '--json']],
  ])('a write error (stdout on /dev/full: ENOSPC) is one line and exit 74, not an internal error: %s', (_what, args) => {
    const r = spawnSync('sh', ['-c', '"$0" "$@" > /dev/full', process.execPath, BIN, ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(74);
    expect(r.stderr).toBe('mq-doctor: cannot write to stdout: ENOSPC (no space left on device)\n');
  });

  it('with stderr on /dev/full too, exit 74 and nothing else', () => {
    const r = spawnSync('sh', ['-c', '"$0" "$@" > /dev/full 2>/dev/full; echo "exit $?"', process.execPath, BIN, 'check', '--maxmsg', '10', '--msgsize', '10'], { encoding: 'utf8' });
    expect(r.stdout).toBe('exit 74\n');
    expect(r.stderr).toBe('');
  });
});
