// Pure: derived settings + what is there now → the files and live writes of an
// apply, raise-only unless asked. The writer carries the plan out.
import { type DerivedSetting, isSysctlKey, type RlimitKey, RLIMIT_KEYS, type SettingKey, SYSCTL_KEYS, type SysctlKey } from './derive.js';
import type { Profile } from './profile.js';
import { FILES, type Owner, type RenderInput } from './render/common.js';
import { limitsBlocks, limitsDomain, renderLimits } from './render/limits.js';
import { renderSysctl } from './render/sysctl.js';
import { renderSystemd } from './render/systemd.js';
import { groupDigits as fmt } from '../model/units.js';

export interface CurrentState {
  /** Live /proc/sys values of this IPC namespace; empty for an alternate root. */
  live: Partial<Record<SysctlKey, number>>;
  /** Existing content of each file the apply may write, by path; null when absent. */
  files: Record<string, string | null>;
  /** The highest value each key has anywhere else in the configuration (other sysctl.d files, limits.conf, the unit). */
  configured: Partial<Record<SettingKey, number>>;
  /**
   * The soft and hard limit the owner ends up with now, by pam_limits' or systemd's
   * own rules (null: none configured, the default applies), "unlimited" as
   * Number.MAX_SAFE_INTEGER. Given, an rlimit is decided by these alone, exactly
   * as verify judges it; mq-doctor's own earlier block counts only where it wins.
   */
  rlimits?: Partial<Record<RlimitKey, { soft: number | null; hard: number | null }>>;
}

export type Decision =
  | { key: SettingKey; kind: 'raise' | 'unchanged'; from: number | null; to: number; why: string }
  | { key: SettingKey; kind: 'kept-higher'; current: number; needed: number; why: string }
  | { key: SettingKey; kind: 'lower'; from: number; to: number; why: string }
  /** A sysctl that mq-doctor's file sets and this profile does not: written again as it is (dropping it would lower it at boot). */
  | { key: SettingKey; kind: 'carried'; current: number; why: string };

export interface Plan {
  files: Array<{ path: string; content: string }>;
  sysctls: Array<{ key: SysctlKey; value: number; raiseOnly: boolean }>;
  decisions: Decision[];
  warnings: string[];
  /** What the apply does to the other owners sharing a file (limits.d): kept as they are. */
  otherOwners: string[];
}

/**
 * Values mq-doctor wrote before for this owner, read back from its own files:
 * in limits.d only this owner's block counts, never another owner's.
 */
export function valuesInOwnFiles(files: CurrentState['files'], owner: Owner): Partial<Record<SettingKey, number>> {
  const out: Partial<Record<SettingKey, number>> = {};
  for (const [path, text] of Object.entries(files)) {
    if (!text) continue;
    const lines = path === FILES.limits ? (limitsBlocks(text).get(limitsDomain({ owner })) ?? []) : text.split('\n');
    for (const line of lines) {
      const sysctl = /^\s*([a-z_.]+)\s*=\s*(\d+)\s*$/.exec(line);
      if (path === FILES.sysctl && sysctl && isSysctlKey(sysctl[1] as SettingKey)) out[sysctl[1] as SysctlKey] = Number(sysctl[2]);
      const limits = /^\S+\s+hard\s+(msgqueue|nofile)\s+(\d+)/.exec(line);
      if (path === FILES.limits && limits) out[limits[1] === 'msgqueue' ? 'RLIMIT_MSGQUEUE' : 'RLIMIT_NOFILE'] = Number(limits[2]);
      const unit = /^Limit(MSGQUEUE|NOFILE)=(?:\d+:)?(\d+)\s*$/.exec(line);
      if (path !== FILES.sysctl && path !== FILES.limits && unit) out[unit[1] === 'MSGQUEUE' ? 'RLIMIT_MSGQUEUE' : 'RLIMIT_NOFILE'] = Number(unit[2]);
    }
  }
  return out;
}

export function planApply(
  profile: Profile,
  settings: DerivedSetting[],
  owner: Owner,
  current: CurrentState,
  opts: { allowLower: boolean; live: boolean; producer: string },
): Plan {
  const own = valuesInOwnFiles(current.files, owner);
  const decisions: Decision[] = [];
  const warnings: string[] = [];
  const written: DerivedSetting[] = settings.map((s) => {
    const effective = isSysctlKey(s.key) ? undefined : current.rlimits?.[s.key as RlimitKey];
    if (effective) return decideRlimit(s, effective, opts.allowLower, decisions);
    // Raise-only means against the highest value in force or configured anywhere:
    // our file must not win at boot with less than another file asked for.
    const known = [isSysctlKey(s.key) ? current.live[s.key] : undefined, own[s.key], current.configured[s.key]].filter((v): v is number => v !== undefined);
    const now = known.length ? Math.max(...known) : null;
    if (now !== null && now > s.value && !opts.allowLower) {
      decisions.push({ key: s.key, kind: 'kept-higher', current: now, needed: s.value, why: s.why });
      // Written as it is now: dropping it from our file could lower it at the next boot.
      return { ...s, value: now, why: `kept at ${fmt(now)}, higher than the ${fmt(s.value)} needed (${s.why}); --allow-lower lowers it` };
    }
    if (now !== null && now > s.value) decisions.push({ key: s.key, kind: 'lower', from: now, to: s.value, why: s.why });
    else decisions.push({ key: s.key, kind: now === s.value ? 'unchanged' : 'raise', from: now, to: s.value, why: s.why });
    return s;
  });
  // The sysctl file is shared by every profile applied here (one per owner, say): a key an
  // earlier apply wrote and this profile does not mention stays, or the next boot lowers it.
  // A profile without sysctls leaves the file alone altogether.
  const writesSysctls = written.some((s) => isSysctlKey(s.key));
  const carried: DerivedSetting[] = SYSCTL_KEYS.flatMap((key) => {
    const v = own[key];
    if (!writesSysctls || v === undefined || settings.some((s) => s.key === key)) return [];
    const why = `kept at ${fmt(v)}: set by an earlier apply, not by this profile`;
    decisions.push({ key, kind: 'carried', current: v, why });
    return [{ key, value: v, why, from: 'settings' as const }];
  });
  const order = [...SYSCTL_KEYS, ...RLIMIT_KEYS] as readonly SettingKey[];
  const inFile = [...written, ...carried].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  decisions.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));

  const input: RenderInput = { profile, settings: inFile, owner, producer: opts.producer };
  const files: Plan['files'] = [];
  const sysctlFile = renderSysctl(input);
  if (sysctlFile) files.push({ path: FILES.sysctl, content: sysctlFile });
  const hasRlimits = written.some((s) => !isSysctlKey(s.key));
  if (hasRlimits) {
    switch (owner.kind) {
      case 'user':
        files.push({ path: FILES.limits, content: renderLimits(input, current.files[FILES.limits] ?? null)! });
        break;
      case 'service':
        files.push({ path: FILES.dropIn(owner.service), content: renderSystemd(input)! });
        break;
      case 'none':
        warnings.push('The profile names no owner, so its RLIMIT settings were not written: add "owner": {"user": …} or {"service": …}, or pass --user/--service.');
        break;
      default: {
        const never: never = owner;
        throw new Error(`unknown owner ${JSON.stringify(never)}`);
      }
    }
  }
  const sysctls = opts.live
    ? written.flatMap((s) => (isSysctlKey(s.key) && current.live[s.key] !== s.value ? [{ key: s.key, value: s.value, raiseOnly: !opts.allowLower }] : []))
    : [];
  const otherOwners = owner.kind === 'user' ? [...limitsBlocks(current.files[FILES.limits] ?? null).keys()].filter((d) => d !== limitsDomain({ owner })) : [];
  return { files, sysctls, decisions, warnings, otherOwners };
}

/**
 * An rlimit by what the owner ends up with now: met when both the soft and the
 * hard limit reach the need (verify's rule), raise-only against the higher of
 * the two. One value is written for both, so a soft limit below the need is
 * raised with a hard one that is kept.
 */
function decideRlimit(s: DerivedSetting, now: { soft: number | null; hard: number | null }, allowLower: boolean, decisions: Decision[]): DerivedSetting {
  const { soft, hard } = now;
  const met = soft !== null && hard !== null && soft >= s.value && hard >= s.value;
  const known = [soft, hard].filter((v): v is number => v !== null);
  const top = known.length ? Math.max(...known) : null;
  // What a raise starts from: the soft limit when it is short (null: the default), else the hard one.
  const from = soft === null || soft < s.value ? soft : hard;
  if (top !== null && top > s.value && !allowLower) {
    if (met) {
      decisions.push({ key: s.key, kind: 'kept-higher', current: top, needed: s.value, why: s.why });
      return { ...s, value: top, why: `kept at ${fmt(top)}, higher than the ${fmt(s.value)} needed (${s.why}); --allow-lower lowers it` };
    }
    const why = `${s.why}; the soft limit is raised to the ${fmt(top)} kept (raise-only)`;
    decisions.push({ key: s.key, kind: 'raise', from, to: top, why });
    return { ...s, value: top, why: `${fmt(top)}, the limit configured before, higher than the ${fmt(s.value)} needed (${s.why}); --allow-lower lowers it` };
  }
  if (top !== null && top > s.value) decisions.push({ key: s.key, kind: 'lower', from: top, to: s.value, why: s.why });
  else decisions.push({ key: s.key, kind: met ? 'unchanged' : 'raise', from: met ? s.value : from, to: s.value, why: s.why });
  return s;
}
