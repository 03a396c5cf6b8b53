import { NoSuchProcess, probeSnapshot } from '../probe/index.js';
import type { Snapshot } from '../snapshot.js';
import { log } from '../log.js';
import { UsageError } from './exit-codes.js';

export function takeSnapshot(pid: number | undefined): Snapshot {
  const started = performance.now();
  try {
    const snap = probeSnapshot({ pid });
    log.debug({ ms: Math.round(performance.now() - started), pid }, 'probed');
    return snap;
  } catch (err) {
    if (err instanceof NoSuchProcess) throw new UsageError(`--pid: ${err.message}`);
    throw err;
  }
}
