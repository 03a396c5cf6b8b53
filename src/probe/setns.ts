// Entering another process's IPC namespace for a moment: /proc/sys and a
// fresh mqueue mount both answer for the calling thread's IPC namespace.
// Only the main thread moves (setns(CLONE_NEWIPC) is per thread), and it
// always comes back before anything else runs.
import { closeSync, openSync } from 'node:fs';
import { type Avail, unavailable } from '../snapshot.js';
import { loadNative } from './native.js';
import { errorReason } from './procfs.js';

export function inIpcNamespaceOf<T>(pid: number, what: string, read: () => Avail<T>): Avail<T> {
  return inIpcNamespace(`/proc/${pid}/ns/ipc`, `process ${pid}'s IPC namespace`, what, read);
}

/** The same for an IPC namespace file: /proc/PID/ns/ipc or a bind mount of one. */
export function inIpcNamespace<T>(path: string, which: string, what: string, read: () => Avail<T>): Avail<T> {
  const addon = loadNative();
  if (!addon.ok) return unavailable(`${what} needs setns: ${addon.reason}`);
  const { setns, constants } = addon.value;
  let own: number | undefined;
  let theirs: number | undefined;
  try {
    own = openSync('/proc/self/ns/ipc', 'r');
    theirs = openSync(path, 'r');
  } catch (err) {
    if (own !== undefined) closeSync(own);
    return unavailable(`${what}: ${which} cannot be opened (${errorReason(err)})`);
  }
  try {
    const entered = setns(theirs, constants.CLONE_NEWIPC);
    if (!entered.ok) return unavailable(`${what}: setns into ${which} failed (${entered.errno}: needs CAP_SYS_ADMIN over it)`);
    try {
      return read();
    } finally {
      const back = setns(own, constants.CLONE_NEWIPC);
      // Staying in the wrong namespace would silently corrupt every later read.
      if (!back.ok) throw new Error(`cannot return to mq-doctor's own IPC namespace (${back.errno})`);
    }
  } finally {
    closeSync(own);
    closeSync(theirs);
  }
}
