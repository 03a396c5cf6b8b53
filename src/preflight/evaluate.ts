// Pure: does a whole workload (queues of several sizes) fit this snapshot?
// Each kind is predicted holding the queues of the kinds before it, as the
// application opens them one after another, and the limits' needs are merged.
import { type Held, predictMqOpen } from '../model/predict-mq-open.js';
import type { Blocker, CheckId, LimitBlocker, MqAttr, Prediction } from '../model/types.js';
import type { Snapshot } from '../snapshot.js';

export interface QueueKind {
  /** null: attr NULL, the namespace's defaults. */
  attr: MqAttr | null;
  count: number;
}

export interface Evaluation {
  predictions: Prediction[];
  /** One per limit (the largest need wins), then what no setting fixes. */
  blockers: Blocker[];
  /** A value a check needs could not be read. */
  unknowns: string[];
  /** The checks that could not be told, by id (each once, with its first reason). */
  unknownChecks: Array<{ id: CheckId; reason: string }>;
}

export function evaluateWorkload(snap: Snapshot, kinds: QueueKind[]): Evaluation {
  const predictions: Prediction[] = [];
  const limits = new Map<string, LimitBlocker>();
  const others: Blocker[] = [];
  const held: Held = { queues: 0, bytes: 0 };
  for (const kind of kinds) {
    const p = predictMqOpen(snap, { name: null, create: true, exclusive: false, access: 'rdwr', mode: 0o600, attr: kind.attr, count: kind.count }, { ...held });
    predictions.push(p);
    for (const b of p.blockers) {
      if (b.kind === 'limit') {
        const seen = limits.get(b.limit);
        if (!seen || b.needed > seen.needed) limits.set(b.limit, b);
      } else others.push(b);
    }
    held.queues += kind.count;
    held.bytes += p.cost.bytes * kind.count;
  }
  const unknowns = [...new Set(predictions.flatMap((p) => p.outcome.unknowns))];
  const unknownChecks = new Map<CheckId, string>();
  for (const p of predictions) for (const u of p.outcome.unknownChecks ?? []) if (!unknownChecks.has(u.id)) unknownChecks.set(u.id, u.reason);
  return { predictions, blockers: [...limits.values(), ...others], unknowns, unknownChecks: [...unknownChecks].map(([id, reason]) => ({ id, reason })) };
}

export const describeKinds = (kinds: QueueKind[]): string =>
  kinds.map((k) => `${k.count} × ${k.attr ? `${k.attr.maxmsg}×${k.attr.msgsize}` : 'default attr'}`).join(' + ') || 'no POSIX queues';
