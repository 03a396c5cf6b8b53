import { NoSuchProcess, probeSnapshot } from '../probe/index.js';
import type { Snapshot } from '../snapshot.js';
import { log } from '../log.js';
import { UsageError } from './exit-codes.js';

export function takeSnapshot(pid: number | undefined, sysvQbytes = false): Snapshot {
  // hrtime, not performance.now(): the latter loads perf_hooks on the hot path.
  const started = process.hrtime.bigint();
  try {
    const snap = probeSnapshot({ pid, sysvQbytes });
    log.debug({ ms: Number(process.hrtime.bigint() - started) / 1e6, pid }, 'probed');
    return snap;
  } catch (err) {
    if (err instanceof NoSuchProcess) throw new UsageError(`--pid: ${err.message}`);
    throw err;
  }
}
