// process.stdout, once touched on a pipe or file, loads Node's whole streams
// stack (~20 internal modules), a measurable share of `check`'s start-up. A
// synchronous write to the descriptor does the same job.
import { writeSync } from 'node:fs';
import { OutputError } from './exit-codes.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: 1 | 2, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A non-blocking pipe that is full: wait a moment for the reader.
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      // The reader is gone (`| head`): nothing more to say.
      else if (code === 'EPIPE') return;
      // ENOSPC (a full disk, /dev/full), EIO: not a bug of mq-doctor's, and nothing more can go out there.
      else throw new OutputError(fd === 1 ? 'stdout' : 'stderr', code ?? 'EIO');
    }
  }
}

export const writeOut = (text: string): void => writeAll(1, text);
export const writeErr = (text: string): void => writeAll(2, text);
