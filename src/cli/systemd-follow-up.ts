// After apply or rollback changed a service's drop-in: systemd reads drop-ins
// only when it loads its units (boot, daemon-reload), and a running service keeps
// the limits it started with. So apply reloads systemd itself, and says which
// service must be restarted. At boot, mq-doctor-apply.service runs before the
// services it serves (Before=sysinit.target): the reload there puts the new
// limits in effect for their first start, in the same boot.
import { isTemplate, type SystemdHere, systemdHere, templateInstances, type UnitState, unitState } from '../probe/systemd.js';
import { type Avail, have, unavailable } from '../snapshot.js';
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
    if (d.changed.length === 0) return done([`  no reload  --no-live, and the drop-in of ${all.join(', ')} is unchanged`]);
    return done([`  no reload  --no-live (the files only): until \`systemctl daemon-reload\`, ${gets(d.changed)} the old limits at ${d.changed.length > 1 ? 'their' : 'its'} next start`]);
  }
  // What systemd has of each owner: a template's instances, since systemd loads no template as a unit.
  const before = new Map(all.map((u) => [u, unitsOf(u, sys)]));
  const stale = all.filter((u) => before.get(u)!.some((c) => c.state.ok && c.state.value.needsReload));
  if (d.changed.length === 0 && stale.length === 0) {
    return done(all.flatMap((u) => {
      const cs = before.get(u)!;
      const problems = cs.flatMap((c) => {
        if (!c.state.ok) return [`  unknown    whether systemd has the drop-in of ${c.unit} loaded: ${c.state.reason}; \`systemctl daemon-reload\` makes sure`];
        return c.state.value.load === 'not-found' || c.state.value.load === 'masked' ? [stateLine(c.unit, c.state)] : [];
      });
      return problems.length ? problems : [`  no reload  the drop-in of ${u} is unchanged, and systemd has it loaded`];
    }));
  }
  const affected = [...new Set([...d.changed, ...stale])];
  const why = d.changed.length ? `the drop-in of ${d.changed.join(', ')} changed` : `${stale.join(', ')}: unit files changed on disk since systemd loaded them`;
  const r = sys.daemonReload();
  if (!r.ok) return done([`  FAILED     systemctl daemon-reload: ${r.error}. Until it runs, ${affected.join(', ')} start${affected.length > 1 ? '' : 's'} with the old limits: run it by hand`], false);
  // Asked again: the reload is what puts the drop-in in effect, and a unit can start meanwhile.
  const seen = new Set<string>();
  const out = [`  reloaded   systemctl daemon-reload (${why})`];
  for (const u of all) {
    for (const c of unitsOf(u, sys)) {
      if (seen.has(c.unit)) continue;
      seen.add(c.unit);
      out.push(stateLine(c.unit, c.state));
    }
  }
  return done(out);
}

interface Concrete {
  unit: string;
  state: Avail<UnitState>;
}

/** The units an owner's drop-in reaches: itself, or a template's loaded instances (none: the template, in the pseudo load state 'template'). */
function unitsOf(owner: string, sys: SystemdAccess): Concrete[] {
  if (!isTemplate(owner)) return [{ unit: owner, state: sys.unitState(owner) }];
  const found = sys.instances(owner);
  if (!found.ok) return [{ unit: owner, state: found }];
  if (found.value.length === 0) return [{ unit: owner, state: have({ active: 'inactive', mainPid: null, needsReload: false, load: 'template' }) }];
  return found.value.map((unit) => ({ unit, state: sys.unitState(unit) }));
}

function stateLine(u: string, s: Avail<UnitState>): string {
  if (!s.ok) return `  unknown    ${isTemplate(u) ? `which instances of ${u} run` : `whether ${u} runs`}: ${s.reason}`;
  switch (s.value.load) {
    case 'template':
      return `  ok         no instance of ${u} is loaded: each gets the new limits at its start`;
    case 'not-found':
      return `  missing    ${u}: systemd has no such unit (a typo in the profile's owner, or a unit not installed yet): the drop-in applies once it exists`;
    case 'masked':
      return `  masked     ${u}: it does not start at all until unmasked (systemctl unmask ${u}); then it gets the new limits`;
    default:
      if (runsNow(s.value)) return `  restart    ${u} is ${s.value.active} (PID ${s.value.mainPid}) with the limits it started with: systemctl restart ${u}`;
      return `  ok         ${u} is ${s.value.active}: its next start gets the new limits`;
  }
}

/** What the writer reported of mq-doctor's drop-ins, as the follow-up takes it. */
export function dropInsOf(files: FileResult[], reload: boolean): DropIns {
  const dropIns = files.flatMap((f) => {
    const unit = unitOfDropIn(f.path);
    return unit === null ? [] : [{ unit, action: f.action }];
  });
  const units = (...actions: FileResult['action'][]) => dropIns.filter((f) => actions.includes(f.action)).map((f) => f.unit);
  return { changed: units('created', 'replaced'), inPlace: units('created', 'replaced', 'unchanged'), notWritten: units('failed', 'skipped'), reload };
}

/** The follow-up for what the writer reported: its drop-ins, by what happened to each. */
export function followUpAfter(root: string, files: FileResult[], reload: boolean, sys: SystemdAccess = REAL): FollowUp {
  return systemdFollowUp(root, dropInsOf(files, reload), sys);
}
