// Live sysctls through /proc/sys. These files belong to the IPC namespace of the
// process that opens them, so a write from inside a container changes the
// container's values, not the host's: the namespace is recorded with the backup.
import { closeSync, constants as C, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { WriterError, wrap } from './safe-fs.js';

// Dots become slashes, so a key must not be able to name anything but a /proc/sys file.
const KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

export function sysctlPath(key: string, procRoot: string): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new WriterError('EINVAL', `EINVAL: ${JSON.stringify(key)} is not a sysctl name`);
  }
  return posix.join(procRoot, 'sys', ...key.split('.'));
}

export function readSysctlStrict(key: string, procRoot: string): number {
  const path = sysctlPath(key, procRoot);
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw wrap(e, `reading ${key}`);
  }
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new WriterError('EINVAL', `EINVAL: ${key} holds ${JSON.stringify(text)}, not a single integer`);
  }
  return Number(text);
}

/** Write, then read back: some sysctls clamp instead of failing, and that is not success. */
export function writeSysctl(key: string, value: number, procRoot: string): void {
  const path = sysctlPath(key, procRoot);
  let fd: number | undefined;
  try {
    // No O_CREAT: a sysctl this kernel lacks must fail, not appear as a new file under a fake root.
    fd = openSync(path, C.O_WRONLY | C.O_TRUNC);
    writeSync(fd, `${value}\n`);
  } catch (e) {
    throw wrap(e, `writing ${value} to ${key}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const now = readSysctlStrict(key, procRoot);
  if (now !== value) throw new WriterError('EINVAL', `EINVAL: ${key} reads ${now} after writing ${value}`);
}

/** "ipc:[4026531839]", or null where /proc does not say (e.g. a fake proc root in tests). */
export function ipcNamespace(procRoot: string): string | null {
  try {
    return readlinkSync(posix.join(procRoot, 'self', 'ns', 'ipc'));
  } catch {
    return null;
  }
}
