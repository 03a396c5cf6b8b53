import type { LiveRun, Prediction } from './types.js';

/** The prediction holds when the errno and the number of queues opened both match. */
export function liveAgrees(p: Prediction, live: LiveRun): boolean {
  return p.outcome.errno === live.errno && (p.outcome.verdict !== 'failure' || p.outcome.opened === live.opened);
}
