import { writeOut } from './output.js';
import { limitsDocument, renderLimitsText } from '../render/limits.js';
import type { LimitsArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import { takeSnapshot } from './snapshot.js';
import { runsAsRoot } from './check.js';

export function runLimits(args: LimitsArgs): number {
  const snap = takeSnapshot(args.pid, { sysvQbytes: true, scanNamespaces: true, measure: args.measure });
  writeOut(args.json ? `${JSON.stringify(limitsDocument(snap), null, 2)}\n` : renderLimitsText(snap, { isRoot: runsAsRoot(snap) }));
  return EXIT.ok;
}
