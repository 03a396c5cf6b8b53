// Files the user hands mq-doctor (a profile, a web configuration, certificates):
// read so that a FIFO or a device named by mistake cannot hang an apply at boot
// or a daemon start, and a damaged file is one clear line, not a parse error deep inside.
import { closeSync, constants as C, fstatSync, openSync, readSync } from 'node:fs';
import { isUsageError, UsageError } from './exit-codes.js';

/** A regular file's bytes, at most maxBytes; anything else is a UsageError naming what the file is for. */
export function readInputFile(path: string, what: string, maxBytes: number): Buffer {
  const fail = (why: string): never => {
    throw new UsageError(`cannot read ${what} ${path}: ${why}`);
  };
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NONBLOCK);
  } catch (err) {
    return fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(st.isDirectory() ? 'it is a directory' : 'it is not a regular file');
    if (st.size > maxBytes) fail(`it is ${st.size} bytes; at most ${maxBytes} are read`);
    // At most one byte past the limit: /proc and /sys files say size 0 and some never end (/proc/self/pagemap).
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > maxBytes) fail(`it is more than ${maxBytes} bytes; at most ${maxBytes} are read`);
    return buf.subarray(0, length);
  } catch (err) {
    // EIO (/proc/self/mem), EAGAIN (/proc/kmsg), EISDIR …: one line, as for open.
    if (isUsageError(err)) throw err;
    return fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  } finally {
    closeSync(fd);
  }
}

/** The file as UTF-8 text without a byte-order mark; one stray byte means a damaged or foreign file. */
export function readInputText(path: string, what: string, maxBytes: number): string {
  const bytes = readInputFile(path, what, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new UsageError(`cannot read ${what} ${path}: it is not valid UTF-8`);
  }
}
