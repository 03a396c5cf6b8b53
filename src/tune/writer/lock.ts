// One writer per root at a time. proper-lockfile only recognises a dead holder by the
// age of its lock (at least seconds), so after a SIGKILL every apply and rollback
// would stall; here the lock names its holder (pid + start time, which survives pid
// reuse) and a dead holder's lock is taken over at once.
import { hostname } from 'node:os';
import { closeSync, constants as C, fstatSync, openSync, readFileSync, readlinkSync, unlinkSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { log } from '../../log.js';
import { WriterError, isErrno, wrap } from './safe-fs.js';

interface Holder {
  pid: number;
  /** Field 22 of /proc/PID/stat: tells a reused pid from the holder. */
  start: string | null;
  pidNamespace: string | null;
  host: string;
  since: string;
}

const POLL_MS = 50;
/** A lock file without a readable holder is one whose writer died between open and write. */
const UNREADABLE_STALE_MS = 5_000;
/** Breaking a lock takes microseconds; a break marker this old was left by a killed breaker. */
const BREAK_STALE_MS = 5_000;

function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may contain spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] && rest[19] ? { state: rest[0], start: rest[19] } : null;
  } catch {
    return null;
  }
}

function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

function me(): Holder {
  return { pid: process.pid, start: procStat(process.pid)?.start ?? null, pidNamespace: pidNamespace(), host: hostname(), since: new Date().toISOString() };
}

function holderAlive(h: Holder): boolean {
  // Another machine sharing the root, or another pid namespace: its pids mean nothing here.
  if (h.host !== hostname() || h.pidNamespace !== pidNamespace()) return true;
  const stat = procStat(h.pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && (h.start === null || h.start === stat.start);
  if (procStat(process.pid)) return false; // /proc works, so the holder is gone
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return !isErrno(e, 'ESRCH');
  }
}

function parseHolder(raw: string): Holder | null {
  try {
    const h = JSON.parse(raw) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as Holder) : null;
  } catch {
    return null;
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
  } catch (e) {
    if (isErrno(e, 'EEXIST')) return false;
    throw wrap(e, `creating the lock ${path}`);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLock(path: string): { raw: string; ageMs: number } | null {
  let fd: number;
  try {
    // Never through a symlink, never blocking on a FIFO: a lock that is not a regular file is refused.
    fd = openSync(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    if (isErrno(e, 'ELOOP')) throw new WriterError('ELOOP', `ELOOP: the lock ${path} is a symlink; remove it (mq-doctor never follows one)`);
    throw wrap(e, `reading the lock ${path}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new WriterError('EINVAL', `EINVAL: the lock ${path} is not a regular file; remove it`);
    return { raw: readFileSync(fd, 'utf8'), ageMs: Date.now() - st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Remove a stale lock, but only if it is still the one judged stale: two waiters
 * may both see it dead, and the slower must not delete the lock the faster one
 * has taken since. The break marker serialises them.
 */
function breakStale(path: string, staleRaw: string): boolean {
  const marker = `${path}.break`;
  if (!tryCreate(marker, String(process.pid))) {
    const m = readLock(marker);
    if (m && m.ageMs > BREAK_STALE_MS) unlinkQuietly(marker);
    return false;
  }
  try {
    const now = readLock(path);
    if (now?.raw !== staleRaw) return false;
    unlinkSync(path);
    log.info({ lock: path, holder: parseHolder(staleRaw) }, 'stale lock removed');
    return true;
  } finally {
    unlinkQuietly(marker);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Take `<dir>/lock`, waiting up to timeoutMs for a live holder. Returns the release function. */
export async function acquireLock(dir: string, timeoutMs: number): Promise<() => void> {
  const path = posix.join(dir, 'lock');
  const mine = JSON.stringify(me());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryCreate(path, mine)) {
      return () => {
        if (readLock(path)?.raw === mine) unlinkQuietly(path);
      };
    }
    const held = readLock(path);
    const holder = held ? parseHolder(held.raw) : null;
    // Gone between the create and the read: try again at once, but within the deadline like every other branch.
    if (held) {
      const stale = holder ? !holderAlive(holder) : held.ageMs > UNREADABLE_STALE_MS;
      if (stale && breakStale(path, held.raw)) continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'a holder that has not said who it is yet';
      throw new WriterError(
        'ELOCKED',
        `ELOCKED: another mq-doctor is writing under this root (${who}); gave up after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${path}`,
      );
    }
    if (held) await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}
