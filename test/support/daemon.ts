// The daemon for real, for the watch tests: `mq-doctor watch` in a private IPC
// and mount namespace (its own "node"), killed with the namespace after each test.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import { BIN } from './run-cli.js';
import { listenPort } from './ports.js';

export interface Daemon {
  proc: ChildProcess;
  pid: number;
  host: string;
  port: number;
  base: string;
  logs: () => string;
}

export interface GetOptions {
  method?: string;
  /** PEM file of the CA that signed the server's certificate. */
  ca?: string;
  cert?: string;
  key?: string;
  auth?: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body as it came over the wire (still compressed if it was). */
  bytes: Buffer;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request with the client-side TLS and credentials fetch() cannot take; rejects on a refused or reset connection. */
export function get(url: string, o: GetOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: o.method ?? 'GET',
        agent: false,
        ...(o.auth ? { auth: o.auth } : {}),
        ...(o.headers ? { headers: o.headers } : {}),
        ...(o.ca ? { ca: readFileSync(o.ca) } : {}),
        ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const running: ChildProcess[] = [];
/** Processes to SIGKILL after the test (unshare --kill-child takes the daemon and its namespace with it). */
export const track = <T extends ChildProcess>(p: T): T => (running.push(p), p);

export function killAfterEachTest(): void {
  afterEach(async () => {
    await Promise.all(
      running.splice(0).map((p) => {
        if (p.exitCode !== null || p.signalCode !== null) return undefined;
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGKILL');
        return gone;
      }),
    );
  });
}

export interface DaemonOptions {
  /** Shell run inside the namespace before the daemon starts. */
  setup?: string;
  host?: string;
  interval?: string;
  /** How the readiness check reaches /healthz (scheme and CA for TLS). */
  scheme?: 'http' | 'https';
  ca?: string;
  /** A client certificate for the readiness check, when the daemon requires one. */
  cert?: string;
  key?: string;
  env?: Record<string, string>;
}

export async function startDaemon(args: string[], o: DaemonOptions = {}): Promise<Daemon> {
  const host = o.host ?? '127.0.0.1';
  const port = listenPort();
  const script = `set -e; d=$(mktemp -d); mount -t mqueue none "$d"\n${o.setup ?? ''}\nexec ${BIN} watch --interval ${o.interval ?? '200ms'} --listen ${host}:${port} ${args.join(' ')}`;
  const proc = track(
    spawn('unshare', ['--ipc', '--mount', '--fork', '--kill-child', 'bash', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MQ_DOCTOR_LOG_LEVEL: 'info', ...o.env },
    }),
  );
  let logs = '';
  proc.stderr!.on('data', (d) => (logs += d));
  proc.stdout!.on('data', (d) => (logs += d));
  const base = `${o.scheme ?? 'http'}://${host}:${port}`;
  for (let i = 0; i < 100 && proc.exitCode === null; i++) {
    await sleep(100);
    try {
      if ((await get(`${base}/healthz`, { ca: o.ca, cert: o.cert, key: o.key })).status === 200) break;
    } catch {
      // not listening yet
    }
  }
  const children = proc.exitCode === null ? readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim() : '';
  if (!children) throw new Error(`the daemon did not start: ${logs}`);
  return { proc, pid: Number(children.split(' ')[0]), host, port, base, logs: () => logs };
}

/** Sends SIGHUP and waits for the daemon to log what it made of it (lines matching `done`, one more than before). */
export async function hangUp(d: Daemon, done: RegExp, timeoutMs = 10_000): Promise<string> {
  const count = () => d.logs().split('\n').filter((l) => done.test(l));
  const before = count().length;
  process.kill(d.pid, 'SIGHUP');
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) {
    const lines = count();
    if (lines.length > before) return lines[lines.length - 1]!;
  }
  throw new Error(`no log line matching ${done} after SIGHUP: ${d.logs()}`);
}

/** Runs a command in the daemon's IPC namespace. */
export const inNs = (d: Daemon, cmd: string[]) => spawnSync('nsenter', ['--target', String(d.pid), '--ipc', ...cmd], { encoding: 'utf8' });

export async function scrape(d: Daemon, o: GetOptions = {}): Promise<{ text: string; value: (series: string) => number | undefined }> {
  const text = (await get(`${d.base}/metrics`, o)).body;
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { text, value };
}
