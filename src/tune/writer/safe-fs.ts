// The only primitives the writer uses to touch the filesystem. Everything here is
// synchronous on purpose: between taking the lock and releasing it there is no
// await, so a transaction is one uninterrupted run that a kill can only cut at a
// point where every target is still either its old or its new content.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as C,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { posix } from 'node:path';

/** A failure with the errno-style code first, so reports read "EROFS: read-only file system (…)". */
export class WriterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WriterError';
  }
}

/** Called between the steps of a transaction; only the test pause hook listens. */
export type Checkpoint = (what: string) => void;
export const noCheckpoint: Checkpoint = () => {};

const errnoCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;

export const isErrno = (e: unknown, ...codes: string[]): boolean => codes.includes(errnoCode(e) ?? '');

/**
 * "CODE: text (doing)". Node's own messages end in the syscall and the path it was
 * given, which for a write is the temporary file: the caller's context is clearer.
 */
export function describe(e: unknown, doing?: string): string {
  if (e instanceof WriterError) return e.message;
  const code = errnoCode(e);
  const raw = e instanceof Error ? e.message : String(e);
  if (!code) return doing ? `${raw} (${doing})` : raw;
  const text = raw.startsWith(`${code}: `) ? raw.slice(code.length + 2).replace(/, \w+ '.*'$/s, '') : raw;
  return doing ? `${code}: ${text} (${doing})` : `${code}: ${text}`;
}

export function wrap(e: unknown, doing: string): WriterError {
  if (e instanceof WriterError) return e;
  return new WriterError(errnoCode(e) ?? 'EIO', describe(e, doing));
}

/** The components of an absolute target path; ".." is refused rather than resolved. */
export function splitTarget(path: string): string[] {
  if (typeof path !== 'string' || !posix.isAbsolute(path)) {
    throw new WriterError('EINVAL', `EINVAL: ${JSON.stringify(path)} is not an absolute path`);
  }
  if (path.includes('\0')) throw new WriterError('EINVAL', `EINVAL: ${JSON.stringify(path)} contains a NUL byte`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new WriterError('EINVAL', `EINVAL: ${path} contains "..": target paths must stay under the root`);
  }
  return parts;
}

export function resolveUnderRoot(root: string, path: string): string {
  if (typeof root !== 'string' || !posix.isAbsolute(root) || root.includes('\0')) {
    throw new WriterError('EINVAL', `EINVAL: the root ${JSON.stringify(root)} is not an absolute path`);
  }
  return posix.join(posix.resolve(root), ...splitTarget(path));
}

const display = (parts: readonly string[], n: number): string => `/${parts.slice(0, n).join('/')}`;

function symlinkError(shown: string, abs: string): WriterError {
  let to = '';
  try {
    to = ` -> ${readlinkSync(abs)}`;
  } catch {
    // Only decoration for the message.
  }
  return new WriterError('ELOOP', `ELOOP: ${shown} is a symbolic link${to}; mq-doctor does not write through symlinks`);
}

/**
 * lstat every directory between the root and the target. Returns the target-system
 * paths of the directories that do not exist yet, outermost first. The root itself is
 * the caller's choice and is trusted; everything below it is not.
 */
export function missingParents(root: string, parts: readonly string[]): string[] {
  for (let n = 1; n < parts.length; n++) {
    const abs = posix.join(root, ...parts.slice(0, n));
    let st;
    try {
      st = lstatSync(abs);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return Array.from({ length: parts.length - n }, (_, i) => display(parts, n + i));
      throw wrap(e, `inspecting ${display(parts, n)}`);
    }
    if (st.isSymbolicLink()) throw symlinkError(display(parts, n), abs);
    if (!st.isDirectory()) throw new WriterError('ENOTDIR', `ENOTDIR: ${display(parts, n)} is not a directory`);
  }
  return [];
}

export function fsyncDir(abs: string): void {
  const fd = openSync(abs, C.O_RDONLY | C.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Make every component of `parts` a real directory, creating what is missing.
 * Returns the target-system paths it created, outermost first.
 */
export function ensureDirs(root: string, parts: readonly string[], mode = 0o755): string[] {
  const created: string[] = [];
  for (let n = 1; n <= parts.length; n++) {
    const abs = posix.join(root, ...parts.slice(0, n));
    const shown = display(parts, n);
    try {
      mkdirSync(abs, mode);
      created.push(shown);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw wrap(e, `creating the directory ${shown}`);
    }
    let fd: number;
    try {
      // O_NOFOLLOW: a symlink planted where a directory was expected (or just created) is refused.
      fd = openSync(abs, C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
    } catch (e) {
      if (isErrno(e, 'ELOOP')) throw symlinkError(shown, abs);
      throw wrap(e, `opening the directory ${shown}`);
    }
    try {
      // mkdir's mode passes through the umask; a 0700 /etc/sysctl.d would hide the file from readers.
      if (created.at(-1) === shown) fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
    if (created.at(-1) === shown) fsyncDir(posix.dirname(abs));
  }
  return created;
}

export interface Existing {
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

/** The regular file at `abs`, or null when there is none. Never follows a final symlink. */
export function readRegular(abs: string, shown: string): Existing | null {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the open.
    fd = openSync(abs, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    if (isErrno(e, 'ELOOP')) throw symlinkError(shown, abs);
    throw wrap(e, `reading ${shown}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new WriterError(st.isDirectory() ? 'EISDIR' : 'EINVAL', `${st.isDirectory() ? 'EISDIR' : 'EINVAL'}: ${shown} is not a regular file`);
    }
    return { data: readFileSync(fd), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    throw wrap(e, `reading ${shown}`);
  } finally {
    closeSync(fd);
  }
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const TEMP_MARK = '.mq-doctor-tmp-';
const tempName = (base: string): string => `.${base}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
const isTempName = (name: string): boolean => name.startsWith('.') && /\.mq-doctor-tmp-\d+-[0-9a-f]{8}$/.test(name);

/**
 * Remove temporary files left by a writer that was killed between creating and
 * renaming them. Only called with the lock held, so none of them is in use.
 */
export function removeStaleTemps(dirAbs: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dirAbs);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter(isTempName)) {
    try {
      unlinkSync(posix.join(dirAbs, name));
      removed.push(posix.join(dirAbs, name));
    } catch {
      // A temp file that cannot be removed is litter, not a hazard: it is never read.
    }
  }
  return removed;
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Replace `abs` with `data` so that a reader, a crash or a kill sees either the
 * old file or the complete new one: temp file in the same directory, fsync,
 * rename over the target, fsync the directory. The temp file never outlives a failure.
 */
export function atomicWrite(
  abs: string,
  shown: string,
  data: Buffer,
  mode: number,
  owner: { uid: number; gid: number } | null,
  checkpoint: Checkpoint = noCheckpoint,
): void {
  const dir = posix.dirname(abs);
  const tmp = posix.join(dir, tempName(posix.basename(abs)));
  let fd: number | undefined;
  let created = false;
  try {
    // O_EXCL|O_CREAT fails on any existing name, symlinks included; O_NOFOLLOW says so twice.
    fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
    created = true;
    fchmodSync(fd, mode);
    if (owner) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch (e) {
        // Only root can give a file away; anyone else keeps the file as their own.
        if (!isErrno(e, 'EPERM')) throw e;
      }
    }
    writeAll(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    checkpoint(`temporary file for ${shown} written`);
    // Inspected before the transaction, but rename would happily replace a symlink or
    // fail oddly on a directory planted since: look again right before it.
    try {
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) throw symlinkError(shown, abs);
      if (!st.isFile()) throw new WriterError('EISDIR', `EISDIR: ${shown} is not a regular file`);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    renameSync(tmp, abs);
    created = false;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    if (created) {
      try {
        unlinkSync(tmp);
      } catch {
        // Already gone; removeStaleTemps catches anything a later run finds.
      }
    }
    throw wrap(e, created ? `writing ${shown}` : `creating a temporary file beside ${shown}`);
  }
  try {
    fsyncDir(dir);
  } catch (e) {
    throw wrap(e, `syncing the directory of ${shown} (its new content is in place)`);
  }
}

/** Remove a file we created; refuses a symlink the same way a write would. */
export function removeFile(abs: string, shown: string): void {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) throw symlinkError(shown, abs);
  unlinkSync(abs);
  fsyncDir(posix.dirname(abs));
}
