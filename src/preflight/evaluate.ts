// Pure: does a whole workload (queues of several sizes) fit this snapshot?
// Each kind is predicted with the queues of the kinds before it already in
// place, as the application would open them, and the limits' needs are merged.
import { predictMqOpen } from '../model/predict-mq-open.js';
import type { Blocker, LimitBlocker, MqAttr, Prediction } from '../model/types.js';
import type { QueueInfo, Snapshot } from '../snapshot.js';

export interface QueueKind extends MqAttr {
  count: number;
}

export interface Evaluation {
  predictions: Prediction[];
  /** One per limit (the largest need wins), then what no setting fixes. */
  blockers: Blocker[];
  /** A value a check needs could not be read. */
  unknowns: string[];
}

function withOpened(snap: Snapshot, kind: QueueKind, index: number): Snapshot {
  if (!snap.queues.ok || !snap.target.credentials.ok) return snap;
  const uid = snap.target.credentials.value.realUid;
  const added: QueueInfo[] = Array.from({ length: kind.count }, (_, j) => ({
    name: `(preflight workload ${index + 1}, queue ${j + 1})`,
    uid,
    gid: uid,
    mode: 0o600,
    qsize: { ok: true, value: 0 },
    attr: { ok: true, value: { maxmsg: kind.maxmsg, msgsize: kind.msgsize, curmsgs: 0 } },
  }));
  const fds = snap.target.openFds.ok ? { ok: true as const, value: snap.target.openFds.value + kind.count } : snap.target.openFds;
  return {
    ...snap,
    target: { ...snap.target, openFds: fds },
    queues: { ok: true, value: { ...snap.queues.value, queues: [...snap.queues.value.queues, ...added] } },
  };
}

export function evaluateWorkload(snap: Snapshot, kinds: QueueKind[]): Evaluation {
  const predictions: Prediction[] = [];
  const limits = new Map<string, LimitBlocker>();
  const others: Blocker[] = [];
  let current = snap;
  kinds.forEach((kind, i) => {
    const p = predictMqOpen(current, {
      name: null,
      create: true,
      exclusive: false,
      access: 'rdwr',
      mode: 0o600,
      attr: { maxmsg: kind.maxmsg, msgsize: kind.msgsize },
      count: kind.count,
    });
    predictions.push(p);
    for (const b of p.blockers) {
      if (b.kind === 'limit') {
        const seen = limits.get(b.limit);
        if (!seen || b.needed > seen.needed) limits.set(b.limit, b);
      } else others.push(b);
    }
    current = withOpened(current, kind, i);
  });
  const unknowns = [...new Set(predictions.flatMap((p) => p.outcome.unknowns))];
  return { predictions, blockers: [...limits.values(), ...others], unknowns };
}
