// What the running systemd says about a unit, for apply's follow-up after it
// changed a drop-in: whether systemd is the init system here at all, and
// whether the unit is running (it keeps the limits it started with) or has
// unit files newer than what systemd loaded.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { type Avail, have, type Namespace, type RlimValue, unavailable } from '../snapshot.js';
import { namespaceOf, parseCapabilities, parseLimitsRow, PROC_USER_INIT_INO } from './process.js';
import { readText } from './procfs.js';

/** sd_booted(3): systemd is PID 1 of this system (its runtime directory is there). */
export function systemdIsInit(): boolean {
  try {
    return statSync('/run/systemd/system').isDirectory();
  } catch {
    return false;
  }
}

/** systemd runs here; or not; or it does, but this is a chroot (systemctl then ignores requests). */
export type SystemdHere = 'running' | 'absent' | 'chroot';

/** As systemd's own running_in_chroot(): / is not the root of PID 1. Where PID 1's root cannot be read (no ptrace access), not a chroot. */
export function systemdHere(): SystemdHere {
  if (!systemdIsInit()) return 'absent';
  try {
    const mine = statSync('/');
    const init = statSync('/proc/1/root/');
    return mine.dev === init.dev && mine.ino === init.ino ? 'running' : 'chroot';
  } catch {
    return 'running';
  }
}

export interface UnitState {
  /** ActiveState: active, activating, inactive, failed, … */
  active: string;
  /** The main process, null when none runs. */
  mainPid: number | null;
  /** NeedDaemonReload: a unit file or drop-in changed on disk since systemd loaded it. */
  needsReload: boolean;
  /** LoadState: loaded, not-found, masked, …; '' when systemctl did not say. */
  load: string;
}

export function parseUnitShow(text: string): UnitState | undefined {
  const props = new Map(text.split('\n').flatMap((l) => (l.includes('=') ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const] : [])));
  const active = props.get('ActiveState');
  if (active === undefined || active === '') return undefined;
  const pid = Number(props.get('MainPID') ?? '0');
  return { active, mainPid: Number.isInteger(pid) && pid > 0 ? pid : null, needsReload: props.get('NeedDaemonReload') === 'yes', load: props.get('LoadState') ?? '' };
}

/** What `systemctl VERB … NAME` printed, or why it could not tell. */
function systemctl(verb: string, options: string[], name: string): Avail<string> {
  const r = spawnSync('systemctl', [verb, ...options, '--', name], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return unavailable(`systemctl ${verb} ${name} could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
  if (r.status !== 0) return unavailable(`systemctl ${verb} ${name} failed: ${r.stderr.trim() || `exit ${r.status}`}`);
  return have(r.stdout);
}

export function unitState(unit: string): Avail<UnitState> {
  const out = systemctl('show', ['--property=LoadState,ActiveState,MainPID,NeedDaemonReload'], unit);
  if (!out.ok) return out;
  const s = parseUnitShow(out.value);
  return s ? have(s) : unavailable(`systemctl show ${unit} printed no ActiveState`);
}

/** A template (app@.service): its drop-in applies to every instance, and the instances are what run. */
export const isTemplate = (unit: string) => /^[^@/]+@\.[a-z]+$/.test(unit);

/** The loaded instances of a template, as `systemctl list-units` names them (app@1.service, …). */
export function parseUnitList(text: string): string[] {
  return text.split('\n').flatMap((l) => {
    const name = l.trim().split(/\s+/)[0];
    return name ? [name] : [];
  });
}

export function templateInstances(template: string): Avail<string[]> {
  const out = systemctl('list-units', ['--all', '--plain', '--no-legend', '--full'], template.replace('@.', '@*.'));
  return out.ok ? have(parseUnitList(out.value)) : out;
}

export interface ManagerCeiling {
  /** The hard limits PID 1 (systemd) runs with: a service can get at most these. */
  msgqueueHard: RlimValue;
  nofileHard: RlimValue;
  /** PID 1 holds CAP_SYS_RESOURCE: it may raise a service's hard limit beyond its own. */
  sysResource: boolean;
}

/**
 * What systemd can give a service: it sets a unit's Limit*= at each start with
 * setrlimit, and without CAP_SYS_RESOURCE a value above its own hard limit is
 * refused, whereupon it sets the highest it may and starts the service anyway
 * (setrlimit_closest; seen in a boot test: 65,260,800 asked, 819,200 got).
 */
export function managerCeiling(): Avail<ManagerCeiling> {
  const limits = readText('/proc/1/limits');
  if (!limits.ok) return limits;
  const status = readText('/proc/1/status');
  if (!status.ok) return status;
  return ceilingOf(limits.value, status.value, namespaceOf('1', 'user', PROC_USER_INIT_INO), namespaceOf('self', 'user', PROC_USER_INIT_INO));
}

/** The same from PID 1's /proc/1/limits and /proc/1/status, its user namespace (if it could be read) and ours. */
export function ceilingOf(limits: string, status: string, initNs: Avail<Namespace>, ownNs: Avail<Namespace>): Avail<ManagerCeiling> {
  const mq = parseLimitsRow(limits, 'Max msgqueue size');
  const nofile = parseLimitsRow(limits, 'Max open files');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  // setrlimit checks capable(), i.e. in the initial user namespace: systemd as root of a
  // user-namespaced container holds the bit but not the power. PID 1's namespace link needs
  // ptrace access to it (the apply unit has no CAP_SYS_PTRACE): where it cannot be read, ours
  // stands for it, as PID 1 of our own PID namespace shares it in all but odd setups.
  const caps = capEff === undefined ? undefined : parseCapabilities(capEff, initNs.ok ? initNs : ownNs);
  if (!mq || !nofile || !caps) return unavailable('no msgqueue and open-files rows, or no CapEff, in /proc/1/limits and /proc/1/status');
  return have({ msgqueueHard: mq.hard, nofileHard: nofile.hard, sysResource: caps.sysResource });
}
