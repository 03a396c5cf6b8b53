// After apply or rollback changed a service's drop-in: systemd reads drop-ins
// only when it loads its units (boot, daemon-reload), and a running service keeps
// the limits it started with. So apply reloads systemd itself, and says which
// service must be restarted. At boot, mq-doctor-apply.service runs before the
// services it serves (Before=sysinit.target): the reload there puts the new
// limits in effect for their first start, in the same boot.
import { isTemplate, type SystemdHere, systemdHere, templateInstances, type UnitState, unitState } from '../probe/systemd.js';
import type { Avail } from '../snapshot.js';
import type { FileResult } from '../tune/writer.js';
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

export interface DropIns {
  /** Units whose drop-in this run created, replaced or removed. */
  changed: string[];
  /** Every unit with a drop-in of mq-doctor's in place here (one whose files changed on disk since systemd loaded them, NeedDaemonReload=yes, is reloaded too). */
  inPlace: string[];
  /** Units whose drop-in this run meant to write but did not (a failed or skipped step, reported above). */
  notWritten?: string[];
  /** false: --no-live, the files alone. */
  reload?: boolean;
}

/** What the follow-up asks of the system: the probes and the one write, replaceable in tests. */
export interface SystemdAccess {
  here: () => SystemdHere;
  unitState: (unit: string) => Avail<UnitState>;
  instances: (template: string) => Avail<string[]>;
  daemonReload: () => { ok: true } | { ok: false; error: string };
}
const REAL: SystemdAccess = { here: systemdHere, unitState, instances: templateInstances, daemonReload };

const gets = (units: string[]) => `${units.join(', ')} get${units.length > 1 ? '' : 's'}`;
/** A unit whose main process runs now started with the old limits. */
const runsNow = (s: UnitState) => s.mainPid !== null && ['active', 'activating', 'reloading', 'deactivating'].includes(s.active);

export function systemdFollowUp(root: string, d: DropIns, sys: SystemdAccess = REAL): FollowUp {
  const all = [...new Set([...d.changed, ...d.inPlace])];
  const lines = (d.notWritten ?? []).map((u) => `  no reload  the drop-in of ${u} was not written (above): nothing of it for systemd to load`);
  if (all.length === 0) return { lines: lines.length ? ['systemd:', ...lines] : [], ok: true };
  const done = (more: string[], ok = true): FollowUp => ({ lines: ['systemd:', ...lines, ...more], ok });
  if (root !== '/') return done([`  no reload  ${root} is not this system: ${gets(all)} the drop-in when that system's systemd loads its units (boot, daemon-reload)`]);
  const here = sys.here();
  if (here !== 'running') {
    const why = here === 'chroot' ? 'this is a chroot (/ is not the root of PID 1, and systemctl ignores requests from one)' : 'systemd is not running here (no /run/systemd/system)';
    return done([`  no reload  ${why}: ${gets(all)} the drop-in when systemd next loads its units (boot)`]);
  }
  if (d.reload === false) {
    return done([`  no reload  --no-live (the files only): until \`systemctl daemon-reload\`, ${gets(all)} the old limits at ${all.length > 1 ? 'their' : 'its'} next start`]);
  }
  const states = new Map(all.map((u) => [u, sys.unitState(u)]));
  const unknown = all.filter((u) => !states.get(u)!.ok);
  const stale = all.filter((u) => {
    const s = states.get(u)!;
    return s.ok && s.value.needsReload;
  });
  if (d.changed.length === 0 && stale.length === 0) {
    const known = all.filter((u) => !unknown.includes(u));
    return done([
      ...(known.length ? [`  no reload  the drop-in of ${known.join(', ')} is unchanged, and systemd has it loaded`] : []),
      ...unknown.map((u) => `  unknown    whether systemd has the drop-in of ${u} loaded: ${(states.get(u) as { reason: string }).reason}; \`systemctl daemon-reload\` makes sure`),
    ]);
  }
  const why = d.changed.length ? `the drop-in of ${d.changed.join(', ')} changed` : `${stale.join(', ')}: unit files changed on disk since systemd loaded them`;
  const r = sys.daemonReload();
  if (!r.ok) return done([`  FAILED     systemctl daemon-reload: ${r.error}. Until it runs, ${all.join(', ')} start${all.length > 1 ? '' : 's'} with the old limits: run it by hand`], false);
  const out = [`  reloaded   systemctl daemon-reload (${why})`];
  for (const u of all) out.push(...(isTemplate(u) ? instanceLines(u, sys) : [unitLine(u, sys)]));
  return done(out);
}

function unitLine(u: string, sys: SystemdAccess): string {
  // Asked again: the reload is what puts the drop-in in effect, and a unit can start meanwhile.
  const s = sys.unitState(u);
  if (!s.ok) return `  unknown    whether ${u} runs: ${s.reason}`;
  if (s.value.load === 'not-found') return `  missing    ${u}: systemd has no such unit (a typo in the profile's owner, or a unit not installed yet): the drop-in applies once it exists`;
  if (runsNow(s.value)) return `  restart    ${u} is ${s.value.active} (PID ${s.value.mainPid}) with the limits it started with: systemctl restart ${u}`;
  return `  ok         ${u} is ${s.value.active}: its next start gets the new limits`;
}

/** A template's drop-in is every instance's: the template itself never runs. */
function instanceLines(template: string, sys: SystemdAccess): string[] {
  const found = sys.instances(template);
  if (!found.ok) return [`  unknown    which instances of ${template} run: ${found.reason}`];
  if (found.value.length === 0) return [`  ok         no instance of ${template} is loaded: each gets the new limits at its start`];
  return found.value.map((u) => unitLine(u, sys));
}

/** The follow-up for what the writer reported: its drop-ins, by what happened to each. */
export function followUpAfter(root: string, files: FileResult[], reload: boolean, sys: SystemdAccess = REAL): FollowUp {
  const dropIns = files.flatMap((f) => {
    const unit = unitOfDropIn(f.path);
    return unit === null ? [] : [{ unit, action: f.action }];
  });
  const units = (...actions: FileResult['action'][]) => dropIns.filter((f) => actions.includes(f.action)).map((f) => f.unit);
  return systemdFollowUp(
    root,
    { changed: units('created', 'replaced'), inPlace: units('created', 'replaced', 'unchanged'), notWritten: units('failed', 'skipped'), reload },
    sys,
  );
}
