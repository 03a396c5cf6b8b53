import type { LiveReport, Prediction, SysvPrediction } from '../model/types.js';
import type { Snapshot } from '../snapshot.js';

function targetOf(snap: Snapshot) {
  const t = snap.target;
  return {
    pid: t.pid,
    self: t.self,
    uid: t.credentials.ok ? t.credentials.value.realUid : null,
    ipcNamespace: t.ipcNamespace.ok ? t.ipcNamespace.value : null,
    kernelRelease: snap.kernel.release.ok ? snap.kernel.release.value : null,
    libc: t.libc.ok ? t.libc.value : null,
  };
}

/** The `check --sysv --json` document; schema/check-sysv.schema.json describes it. */
export function sysvCheckDocument(snap: Snapshot, p: SysvPrediction) {
  return { schemaVersion: 1 as const, command: 'check' as const, queueType: 'sysv' as const, target: targetOf(snap), ...p };
}

/** The `check --json` document; schema/check.schema.json describes it. */
export function checkDocument(snap: Snapshot, p: Prediction, live: LiveReport | null) {
  return {
    schemaVersion: 1 as const,
    command: 'check' as const,
    target: targetOf(snap),
    ...p,
    measurement: snap.measurement ?? null,
    live,
  };
}

export type CheckDocument = ReturnType<typeof checkDocument>;
