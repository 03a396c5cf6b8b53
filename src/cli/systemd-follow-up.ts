// After apply or rollback changed a service's drop-in: systemd reads drop-ins
// only when it loads its units (boot, daemon-reload), and a running service keeps
// the limits it started with. So apply reloads systemd itself, and says which
// service must be restarted. At boot, mq-doctor-apply.service runs before the
// services it serves (Before=sysinit.target): the reload there puts the new
// limits in effect for their first start, in the same boot.
import { systemdIsInit, unitState } from '../probe/systemd.js';
import { FILES } from '../tune/render/common.js';
import { daemonReload } from '../tune/writer/systemd.js';

export interface FollowUp {
  lines: string[];
  ok: boolean;
}

/** The unit whose drop-in mq-doctor writes at this path (FILES.dropIn), or null. */
export function unitOfDropIn(path: string): string | null {
  const [before, after] = FILES.dropIn('\0').split('\0') as [string, string];
  if (!path.startsWith(before) || !path.endsWith(after)) return null;
  const unit = path.slice(before.length, path.length - after.length);
  return unit !== '' && !unit.includes('/') ? unit : null;
}

/** A unit whose main process runs now started with the old limits. */
const runsNow = (active: string, mainPid: number | null) => mainPid !== null && ['active', 'activating', 'reloading', 'deactivating'].includes(active);

/**
 * changed: units whose drop-in this run created, replaced or removed; units: every
 * unit with a drop-in of mq-doctor's here (one whose files changed on disk since
 * systemd loaded them, NeedDaemonReload=yes, is reloaded too).
 */
export function systemdFollowUp(root: string, changed: string[], units: string[]): FollowUp {
  const all = [...new Set([...changed, ...units])];
  if (all.length === 0) return { lines: [], ok: true };
  const list = all.join(', ');
  if (root !== '/') {
    return { lines: ['systemd:', `  no reload  ${root} is not this system: ${list} get${all.length > 1 ? '' : 's'} the drop-in when that system's systemd loads its units (boot, daemon-reload)`], ok: true };
  }
  if (!systemdIsInit()) {
    return { lines: ['systemd:', `  no reload  systemd is not running here (no /run/systemd/system): ${list} get${all.length > 1 ? '' : 's'} the drop-in when systemd next loads its units (boot)`], ok: true };
  }
  const stale = all.filter((u) => {
    const s = unitState(u);
    return s.ok && s.value.needsReload;
  });
  const why = changed.length ? `the drop-in of ${changed.join(', ')} changed` : `${stale.join(', ')}: unit files changed on disk since systemd loaded them`;
  if (changed.length === 0 && stale.length === 0) return { lines: ['systemd:', `  no reload  the drop-in of ${list} is unchanged, and systemd has it loaded`], ok: true };
  const r = daemonReload();
  if (!r.ok) return { lines: ['systemd:', `  FAILED     systemctl daemon-reload: ${r.error}. Until it runs, ${list} start${all.length > 1 ? '' : 's'} with the old limits: run it by hand`], ok: false };
  const lines = ['systemd:', `  reloaded   systemctl daemon-reload (${why})`];
  for (const u of all) {
    const s = unitState(u);
    if (!s.ok) lines.push(`  unknown    whether ${u} runs: ${s.reason}`);
    else if (runsNow(s.value.active, s.value.mainPid)) lines.push(`  restart    ${u} is ${s.value.active} (PID ${s.value.mainPid}) with the limits it started with: systemctl restart ${u}`);
    else lines.push(`  ok         ${u} is ${s.value.active}: its next start gets the new limits`);
  }
  return { lines, ok: true };
}
