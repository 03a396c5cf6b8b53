// MQ-ID-MAPPING: creating a queue is creating a file in the IPC namespace's
// mqueue superblock, which belongs to the user namespace that owns the IPC
// namespace. The VFS (may_create) refuses with EOVERFLOW when the caller's
// fsuid or fsgid has no mapping there, before any mqueue check: host root
// entering a rootless container's IPC namespace cannot create queues in it.
// Opening an existing queue is not affected.
import type { IdRange, Snapshot } from '../../snapshot.js';
import { type CheckResult, fail, pass, unknown } from '../check-result.js';
import { docAnchor, type MqOpenCheck } from './check.js';

export const mapped = (map: IdRange[], id: number): boolean => map.some((r) => id >= r.outside && id < r.outside + r.count);

export function idMappingCheck(snap: Snapshot): CheckResult {
  const t = snap.target;
  const owner = t.ipcOwner;
  if (!owner.ok) return unknown(`whether uid and gid are mapped in the user namespace owning the IPC namespace: ${owner.reason}`, { root: true });
  if (owner.value.relation !== 'other') return pass('the IPC namespace belongs to the caller\'s own user namespace (or an ancestor): its ids map');
  if (!t.credentials.ok) return unknown(`the fsuid and fsgid: ${t.credentials.reason}`);
  const { fsUid, fsGid } = t.credentials.value;
  const { uidMap, gidMap, userNs } = owner.value;
  if (!uidMap.ok) return unknown(`whether uid ${fsUid} is mapped in user namespace ${userNs}, which owns the IPC namespace: ${uidMap.reason}`, { root: true });
  if (!gidMap.ok) return unknown(`whether gid ${fsGid} is mapped in user namespace ${userNs}, which owns the IPC namespace: ${gidMap.reason}`, { root: true });
  const missing = [!mapped(uidMap.value, fsUid) ? `uid ${fsUid}` : '', !mapped(gidMap.value, fsGid) ? `gid ${fsGid}` : ''].filter(Boolean);
  if (missing.length === 0) return pass(`uid ${fsUid} and gid ${fsGid} are mapped in user namespace ${userNs}, which owns the IPC namespace`);
  const maps = `uid_map ${uidMap.value.map((r) => `${r.inside}→${r.outside}×${r.count}`).join(', ') || '(empty)'}`;
  return fail({
    kind: 'request',
    errno: 'EOVERFLOW',
    rule: 'unmapped-ids',
    summary: `The IPC namespace belongs to user namespace ${userNs}, where ${missing.join(' and ')} ${missing.length > 1 ? 'have' : 'has'} no mapping (${maps}): the kernel refuses to create a file there with EOVERFLOW, before any queue limit is checked.`,
    remedy: 'Create queues from inside the container\'s user namespace (nsenter --user too, or podman exec), as an id it maps; opening an existing queue works without a mapping.',
  });
}

export const idMapping: MqOpenCheck = {
  id: 'MQ-ID-MAPPING',
  title: "the caller's uid and gid map where the queue file is created",
  kernel: 'may_create() on the mqueue superblock (VFS, since 4.8)',
  doc: docAnchor('MQ-ID-MAPPING'),
  run(c) {
    if (!c.creates) return [];
    return [c.era.idMappingCheck ? idMappingCheck(c.snap) : pass('not checked before 4.8')];
  },
};
