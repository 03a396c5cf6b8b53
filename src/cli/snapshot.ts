import { measureBudget, NoSuchProcess, probeSnapshot } from '../probe/index.js';
import { uidCharges } from '../model/charges.js';
import { structBytes } from '../model/cost.js';
import { kernelModel } from '../model/limits-analysis.js';
import type { Snapshot } from '../snapshot.js';
import { log } from '../log.js';
import { UsageError } from './exit-codes.js';

export interface SnapshotOptions {
  sysvQbytes?: boolean;
  /** Read every other IPC namespace too (POSIX checks and limits: the charge spans all of them). */
  scanNamespaces?: boolean;
  /** --measure: ask the kernel with scratch queues under the target's own credentials. */
  measure?: boolean;
  /** Each queue's holders and the queues unlinked but still open; 'notify': each queue's notification too. */
  holders?: boolean | 'notify';
}

export function takeSnapshot(pid: number | undefined, opts: SnapshotOptions = {}): Snapshot {
  // hrtime, not performance.now(): the latter loads perf_hooks on the hot path.
  const started = process.hrtime.bigint();
  try {
    const snap = probeSnapshot({ pid, sysvQbytes: opts.sysvQbytes ?? false, scanNamespaces: opts.scanNamespaces ?? false, holders: opts.holders ?? false });
    if (opts.measure) snap.measurement = measureFor(snap);
    log.debug({ ms: Number(process.hrtime.bigint() - started) / 1e6, pid }, 'probed');
    return snap;
  } catch (err) {
    if (err instanceof NoSuchProcess) throw new UsageError(`--pid: ${err.message}`);
    throw err;
  }
}

/** The measurement for a snapshot's target, seeded with the model's own figure (right, it costs two probes). */
function measureFor(snap: Snapshot): NonNullable<Snapshot['measurement']> {
  const t = snap.target;
  if (!t.credentials.ok) return { ok: false, reason: `--measure needs the target's uid: ${t.credentials.reason}` };
  if (!t.rlimitMsgqueue.ok) return { ok: false, reason: `--measure needs the target's soft RLIMIT_MSGQUEUE: ${t.rlimitMsgqueue.reason}` };
  const { era, wordBits } = kernelModel(snap);
  if (era.costFormula !== 'tree') return { ok: false, reason: '--measure supports Linux 3.5 and later' };
  const charges = uidCharges(snap, era, wordBits);
  const m = measureBudget({
    pid: t.self ? undefined : t.pid,
    uid: t.credentials.value.realUid,
    gid: t.credentials.value.effectiveGid,
    soft: t.rlimitMsgqueue.value.value.soft,
    structBytes: structBytes(wordBits),
    hintCharged: charges.levels[0]!.bytes,
  });
  if (m.ok) log.debug({ measurement: m.value }, 'measured');
  return m;
}
