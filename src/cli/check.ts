import { writeOut } from './output.js';
import { liveAgrees } from '../model/live.js';
import { predictMqOpen } from '../model/predict-mq-open.js';
import type { LiveReport, Prediction } from '../model/types.js';
import { holdersReport } from '../model/holders.js';
import { liveMqOpen } from '../probe/live.js';
import { checkDocument } from '../render/check-json.js';
import { renderCheckText } from '../render/check-text.js';
import type { Snapshot } from '../snapshot.js';
import type { CheckArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import { probeHolders } from '../probe/index.js';
import { takeSnapshot } from './snapshot.js';
import { log } from '../log.js';

export function exitCodeFor(p: Pick<Prediction, 'outcome'>, live: LiveReport | null): number {
  if (live?.ran && live.result.errno !== null) return EXIT.predictedFailure;
  switch (p.outcome.verdict) {
    case 'success':
      return EXIT.ok;
    case 'failure':
      return EXIT.predictedFailure;
    case 'indeterminate':
      return live?.ran ? EXIT.ok : EXIT.indeterminate;
    default: {
      const never: never = p.outcome.verdict;
      return never;
    }
  }
}

/** Whether "sudo" would add anything: for mq-doctor itself, the snapshot says; for --pid, the process running now. */
export function runsAsRoot(snap: Snapshot): boolean {
  const c = snap.target.credentials;
  return snap.target.self && c.ok ? c.value.effectiveUid === 0 : process.geteuid?.() === 0;
}

/**
 * ENOSPC (queues_max) and the queue-memory EMFILE are limits someone holds: the report names who.
 * An EMFILE the request alone causes (more than the whole soft limit) has no holders worth naming.
 */
export function holderErrnos(p: Prediction): Array<'ENOSPC' | 'EMFILE'> {
  const out = new Set<'ENOSPC' | 'EMFILE'>();
  for (const b of p.blockers) {
    if (b.id === 'MQ-QUEUES-MAX') out.add('ENOSPC');
    if (b.id === 'MQ-RLIMIT-MSGQUEUE' && b.kind === 'limit' && b.limit === 'RLIMIT_MSGQUEUE' && typeof b.actual === 'number' && p.cost.totalForCount <= b.actual) out.add('EMFILE');
  }
  return [...out];
}

/**
 * `holdersSnap`: the snapshot with each queue's notification (probeHolders); a
 * recorded one without the holder scan says the holders are unknown.
 */
export function runCheckOn(
  snap: Snapshot,
  args: CheckArgs,
  live: LiveReport | null,
  prediction: Prediction = predictMqOpen(snap, args.request),
  holdersSnap: Snapshot = snap,
): { stdout: string; code: number } {
  const holders = holderErrnos(prediction).map((errno) => holdersReport(holdersSnap, { errno }));
  const stdout = args.json
    ? `${JSON.stringify(checkDocument(snap, prediction, live), null, 2)}\n`
    : renderCheckText(snap, prediction, live, { command: 'check', argv: args.argv, isRoot: runsAsRoot(snap), self: snap.target.self }, { verbose: args.verbose, holders });
  return { stdout, code: exitCodeFor(prediction, live) };
}

export function runCheck(args: CheckArgs): number {
  const snap = takeSnapshot(args.pid, { scanNamespaces: args.request.create, holders: args.request.create, measure: args.measure });
  const prediction = predictMqOpen(snap, args.request);
  let live: LiveReport | null = null;
  if (args.live) {
    const r = liveMqOpen(args.request);
    live = r.ok ? { ran: true, result: r.value, agrees: liveAgrees(prediction, r.value) } : { ran: false, reason: r.reason };
    if (live.ran && !live.agrees) log.warn({ prediction: prediction.outcome, live: live.result }, 'live mq_open disagrees with the prediction');
  }
  // Who holds the limit: the queue files' notifications too, read only when it is asked.
  const holdersSnap = !args.json && holderErrnos(prediction).length > 0 ? probeHolders(snap) : snap;
  const { stdout, code } = runCheckOn(snap, args, live, prediction, holdersSnap);
  writeOut(stdout);
  return code;
}
