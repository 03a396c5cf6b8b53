import type { LiveReport, Prediction } from '../model/types.js';
import type { Snapshot } from '../snapshot.js';

/** The `check --json` document; schema/check.schema.json describes it. */
export function checkDocument(snap: Snapshot, p: Prediction, live: LiveReport | null) {
  const t = snap.target;
  return {
    schemaVersion: 1 as const,
    command: 'check' as const,
    target: {
      pid: t.pid,
      self: t.self,
      uid: t.credentials.ok ? t.credentials.value.realUid : null,
      ipcNamespace: t.ipcNamespace.ok ? t.ipcNamespace.value : null,
      kernelRelease: snap.kernel.release.ok ? snap.kernel.release.value : null,
      libc: t.libc.ok ? t.libc.value : null,
    },
    ...p,
    live,
  };
}

export type CheckDocument = ReturnType<typeof checkDocument>;
