// Global setup: for the whole run, another process holds ~400 KB of root-owned
// POSIX queues in an IPC namespace of its own. RLIMIT_MSGQUEUE is charged per
// uid across every namespace, so a test that silently depends on root's budget
// (instead of a fresh uid's) fails here, every run, rather than on a busy host.
// The holder dies with the run: setpriv --pdeathsig, unshare --kill-child.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ADDON = fileURLToPath(new URL('../../native/getrlimit/build/Release/getrlimit.node', import.meta.url));
/** Five default queues: 5 × 82,880 = 414,400 bytes charged to root. */
export const BALLAST_QUEUES = 5;

const HOLDER = `
const a = require(${JSON.stringify(ADDON)});
const c = a.constants;
const names = [];
for (let i = 0; i < ${BALLAST_QUEUES}; i++) {
  const name = '/mq-doctor-test-ballast-' + i;
  const r = a.mqOpen(name, c.O_RDWR | c.O_CREAT | c.O_EXCL, 0o600, { maxmsg: 10, msgsize: 8192 });
  if (!r.ok) { process.stdout.write('failed ' + r.errno + '\\n'); process.exit(1); }
  names.push(name);
}
// Unlinked on the way out: a namespace's queues are released late when it dies.
const done = () => { for (const n of names) a.mqUnlink(n); process.exit(0); };
process.on('SIGTERM', done);
process.on('SIGINT', done);
process.stdout.write('ready ' + process.pid + '\\n');
setInterval(() => {}, 1 << 30);
`;

let holder: ChildProcess | undefined;
let holderPid: number | undefined;

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync(ADDON) || process.env.MQ_DOCTOR_NO_BALLAST === '1') return;
  holder = spawn('setpriv', ['--pdeathsig', 'SIGKILL', 'unshare', '--ipc', '--fork', '--kill-child', process.execPath, '-e', HOLDER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<string>((resolve) => {
    let out = '';
    holder!.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('\n')) resolve(out.trim());
    });
    holder!.on('exit', () => resolve(out.trim() || 'exited'));
  });
  const m = /^ready (\d+)$/.exec(ready);
  // Something else already holds root's budget (another run): the condition this creates is there anyway.
  if (!m && /EMFILE/.test(ready)) {
    console.warn(`test ballast not created (${ready}): root's queue memory is already in use elsewhere`);
    return;
  }
  if (!m) throw new Error(`the ballast holder (root-owned queues in another IPC namespace) did not start: ${ready}`);
  holderPid = Number(m[1]);
}

export async function teardown(): Promise<void> {
  if (!holder || holder.exitCode !== null) return;
  const exited = new Promise((r) => holder!.once('exit', r));
  // unshare does not pass SIGTERM on: node itself gets it, unlinks its queues and exits.
  try {
    if (holderPid !== undefined) process.kill(holderPid, 'SIGTERM');
  } catch {
    // already gone
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  if (holder.exitCode === null) holder.kill('SIGKILL');
}
