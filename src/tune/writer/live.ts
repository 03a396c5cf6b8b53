// Changes that need no transaction: the container preflight's. Part of the
// writer (the only code that changes the system), kept apart so the hot path
// does not load the transactional writer.
import { log } from '../../log.js';
import { loadNative, type NativeRlimValue, type RlimitResource } from '../../probe/native.js';
import { readSysctlStrict, writeSysctl } from './sysctl.js';

/**
 * A live sysctl write without a transaction, for the container preflight: the
 * values live and die with the container's IPC namespace, so there is nothing
 * to back up or roll back. Read back to confirm, like applyPlan.
 */
export function setSysctlNow(key: string, value: number, procRoot = '/proc'): { ok: true; old: number } | { ok: false; error: string } {
  try {
    const old = readSysctlStrict(key, procRoot);
    if (old !== value) writeSysctl(key, value, procRoot);
    log.info({ key, old, new: value }, 'sysctl set');
    return { ok: true, old };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Sets this process's soft limit (inherited by what it execs); the hard limit stays. */
export function setSoftRlimit(resource: RlimitResource, soft: number, hard: NativeRlimValue): { ok: true } | { ok: false; error: string } {
  const addon = loadNative();
  if (!addon.ok) return { ok: false, error: addon.reason };
  const r = addon.value.setrlimit(resource, soft, hard);
  if (!r.ok) return { ok: false, error: `${r.errno}: ${r.message}` };
  log.info({ resource, soft, hard }, 'soft rlimit set');
  return { ok: true };
}
