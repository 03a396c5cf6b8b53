import { predictSysv } from '../model/predict-sysv.js';
import type { SysvPrediction } from '../model/types.js';
import { sysvCheckDocument } from '../render/check-json.js';
import { renderSysvCheckText } from '../render/check-sysv-text.js';
import type { Snapshot } from '../snapshot.js';
import type { SysvCheckArgs } from './args.js';
import { exitCodeFor } from './check.js';
import { writeOut } from './output.js';
import { takeSnapshot } from './snapshot.js';

export function runSysvCheckOn(snap: Snapshot, args: SysvCheckArgs, p: SysvPrediction = predictSysv(snap, args.request)): { stdout: string; code: number } {
  const stdout = args.json ? `${JSON.stringify(sysvCheckDocument(snap, p), null, 2)}\n` : renderSysvCheckText(snap, p);
  return { stdout, code: exitCodeFor(p, null) };
}

export function runSysvCheck(args: SysvCheckArgs): number {
  // msg_qbytes of existing queues needs msgctl: only this command pays for the addon.
  const { stdout, code } = runSysvCheckOn(takeSnapshot(args.pid, { sysvQbytes: true }), args);
  writeOut(stdout);
  return code;
}
