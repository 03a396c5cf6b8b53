import { writeErr, writeOut } from './output.js';
import { limitsJson, renderLimitsText, renderQueueList } from '../render/limits.js';
import type { LimitsArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import { takeSnapshot } from './snapshot.js';
import { runsAsRoot } from './check.js';

export function runLimits(args: LimitsArgs): number {
  if (args.list) {
    // The queue list alone (lsipc-style): no other namespace or measurement shows in it.
    const snap = takeSnapshot(args.pid, { holders: 'notify' });
    const r = renderQueueList(snap, args.list, { isRoot: runsAsRoot(snap) });
    if (r.problem !== null) {
      writeErr(`mq-doctor: ${r.problem}\n`);
      return EXIT.indeterminate;
    }
    writeOut(r.text);
    return EXIT.ok;
  }
  const snap = takeSnapshot(args.pid, { sysvQbytes: true, scanNamespaces: true, measure: args.measure, holders: 'notify' });
  if (args.json) for (const chunk of limitsJson(snap)) writeOut(chunk);
  else writeOut(renderLimitsText(snap, { isRoot: runsAsRoot(snap), all: args.all }));
  return EXIT.ok;
}
