// Type=notify: the daemon sends READY=1 to $NOTIFY_SOCKET once it serves and
// has probed once, and nothing it can be given there stops it. The socket is a
// real AF_UNIX datagram socket (python3, since Node has none), as systemd's is.
// test/boot/boot.test.ts runs the unit under a real systemd.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { get, killAfterEachTest, startDaemon } from '../support/daemon.js';
import { namespaceSkipReason } from '../support/run-cli.js';

const skip = namespaceSkipReason() ?? (spawnSync('python3', ['--version']).error ? 'python3 is not installed (it holds the datagram socket)' : null);
const dir = mkdtempSync(join(tmpdir(), 'mqd-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A datagram socket that prints "bound" once it listens, then the first message it gets (base64, one line). */
function listener(address: string): { proc: ChildProcess; bound: Promise<void>; message: Promise<string> } {
  const bind = address.startsWith('@') ? `'\\0' + ${JSON.stringify(address.slice(1))}` : JSON.stringify(address);
  const proc = spawn('python3', ['-c', `import socket,base64\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${bind})\nprint('bound',flush=True)\nprint(base64.b64encode(s.recv(4096)).decode(),flush=True)`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let onBound: () => void = () => {};
  let onMessage: (m: string) => void = () => {};
  const bound = new Promise<void>((r) => (onBound = r));
  const message = new Promise<string>((r) => (onMessage = r));
  proc.stdout!.on('data', (d) => {
    out += d;
    const lines = out.split('\n');
    if (lines.length > 1) onBound();
    if (lines.length > 2) onMessage(Buffer.from(lines[1]!, 'base64').toString());
  });
  return { proc, bound, message };
}

describe.skipIf(skip !== null)(`READY=1 for Type=notify${skip ? ` (skipped: ${skip})` : ''}`, () => {
  killAfterEachTest();

  it.each([
    ['a socket path', () => join(dir, 'notify.sock')],
    ['an abstract socket (@name)', () => `@mq-doctor-test-${process.pid}-${Date.now()}`],
  ])('reaches %s once the daemon serves and has probed', async (_, address) => {
    const at = address();
    const l = listener(at);
    await l.bound;
    const d = await startDaemon([], { env: { NOTIFY_SOCKET: at } });
    const msg = await Promise.race([l.message, new Promise<string>((_, no) => setTimeout(() => no(new Error(`no READY=1: ${d.logs()}`)), 15_000))]);
    expect(msg).toBe(`READY=1\nSTATUS=serving on ${d.host}:${d.port}`);
    // By then the first probe is in: /healthz says so.
    expect((await get(`${d.base}/healthz`)).status).toBe(200);
    // A reload systemd held back during the start comes after READY=1 and is handled. (This cannot catch a
    // handler installed only microseconds after READY=1: the order in runWatch is what prevents that.)
    process.kill(d.pid, 'SIGHUP');
    for (let i = 0; i < 50 && !/SIGHUP: no profile to reload/.test(d.logs()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(d.logs()).toMatch(/SIGHUP: no profile to reload/);
    expect((await get(`${d.base}/healthz`)).status).toBe(200);
    l.proc.kill();
  });

  it.each([
    ['relative/notify.sock', /NOTIFY_SOCKET is not an absolute path or an @abstract socket name of at most 107 bytes: READY=1 not sent/],
    // 61 characters, 121 bytes: longer than sun_path once encoded.
    [`/${'é'.repeat(60)}`, /NOTIFY_SOCKET is not an absolute path or an @abstract socket name of at most 107 bytes: READY=1 not sent/],
    [join(dir, 'nobody-listens.sock'), /"errno":"ENOENT".*READY=1 could not be sent to systemd/],
  ])('NOTIFY_SOCKET=%s: says it could not, and serves on', async (socket, said) => {
    const d = await startDaemon([], { env: { NOTIFY_SOCKET: socket } });
    expect((await get(`${d.base}/healthz`)).status).toBe(200);
    for (let i = 0; i < 50 && !said.test(d.logs()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(d.logs()).toMatch(said);
    expect(d.proc.exitCode).toBeNull();
  });
});
