// systemd-logind's RemoveIPC=yes (its default) deletes a regular user's POSIX
// queues (and System V objects) when that user's last session ends: queues a
// service or a login user made vanish at logout. System users are spared.
import type { Snapshot } from '../snapshot.js';

/** The warning for queues owned by these uids, or null when logind spares them (or is not running). */
export function removeIpcWarning(snap: Pick<Snapshot, 'removeIpc'>, uids: number[]): string | null {
  const r = snap.removeIpc;
  if (!r?.ok || !r.value.removeIpc) return null;
  const regular = [...new Set(uids)].filter((u) => u > r.value.systemUidMax && u !== 65534).sort((a, b) => a - b);
  if (regular.length === 0) return null;
  const who = regular.length === 1 ? `uid ${regular[0]} is a regular user` : `uids ${regular.join(', ')} are regular users`;
  return `systemd-logind's RemoveIPC=yes (${r.value.source}) deletes a regular user's queues when its last session ends, and ${who} (above SYS_UID_MAX ${r.value.systemUidMax}): run the application as a system user, or set RemoveIPC=no in /etc/systemd/logind.conf.d/.`;
}
