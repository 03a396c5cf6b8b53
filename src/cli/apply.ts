import { writeOut } from './output.js';
import { groupDigits as fmt } from '../model/units.js';
import { effectiveLimits, highestConfiguredSysctls, isDirectory, logindRemoveIpc, sysctlFilesInOrder, sysUidMax, uidOf } from '../probe/config-files.js';
import { atLeast, type Effective, type LimitItem, type LimitValue } from '../tune/limits-rules.js';
import { parseIntStrict } from '../probe/procfs.js';
import type { Snapshot } from '../snapshot.js';
import { DEFAULTS, type DerivedSetting, isSysctlKey, type SettingKey, type SysctlKey } from '../tune/derive.js';
import { type CurrentState, type Decision, type Plan, planApply } from '../tune/plan.js';
import { ownerOf } from '../tune/profile.js';
import { FILES, type Owner } from '../tune/render/common.js';
import { applyPlan, type ApplyPlan, checkStateDir, readCurrent, rollbackLast, type ApplyReport } from '../tune/writer.js';
import type { ApplyArgs, VerifyArgs } from './args.js';
import { EXIT, UsageError } from './exit-codes.js';
import { deriveOrFail, loadProfile } from './profile-input.js';
import { takeSnapshot } from './snapshot.js';
import { PRODUCER } from './tune.js';
import { followUpAfter, systemdFollowUp, unitOfDropIn } from './systemd-follow-up.js';
import { managerCeiling, systemdIsInit } from '../probe/systemd.js';
import { RLIMITS } from '../model/advice.js';

/** The live value of every tunable key in the snapshot's IPC namespace. */
export function liveSysctls(snap: Snapshot): Partial<Record<SysctlKey, number>> {
  const out: Partial<Record<SysctlKey, number>> = {};
  for (const [k, v] of Object.entries(snap.mqueue)) if (v.ok) out[`fs.mqueue.${k}` as SysctlKey] = v.value;
  for (const [k, v] of Object.entries(snap.sysv)) if (v.ok) out[`kernel.${k}` as SysctlKey] = v.value;
  return out;
}

const ownPaths = (owner: Owner) => [FILES.sysctl, ...(owner.kind === 'user' ? [FILES.limits] : []), ...(owner.kind === 'service' ? [FILES.dropIn(owner.service)] : [])];

/** Files read after ours at boot win; say which would undo the profile. */
export function precedenceWarnings(root: string, keys: SysctlKey[]): string[] {
  const ours = FILES.sysctl.split('/').pop()!;
  return sysctlFilesInOrder(root).flatMap((f) => {
    const later = f.path === '/etc/sysctl.conf' || f.path.split('/').pop()! > ours;
    if (!later || f.path === FILES.sysctl) return [];
    return keys.filter((k) => f.values.has(k)).map((k) => `${f.path} sets ${k} = ${f.values.get(k)} and is read after ${FILES.sysctl}: its value wins at boot. Remove the line or let mq-doctor's file sort later.`);
  });
}

function removeIpcWarning(root: string, owner: Owner): string[] {
  if (owner.kind !== 'user') return [];
  const uid = uidOf(root, owner.user);
  const removeIpc = logindRemoveIpc(root);
  if (uid === null || uid <= sysUidMax(root) || !removeIpc.value) return [];
  return [`${owner.user} (uid ${uid}) is a regular user and systemd-logind's RemoveIPC is on (${removeIpc.source}): its POSIX queues are deleted when its last session ends. Set RemoveIPC=no in /etc/systemd/logind.conf, or run the application as a system user or service.`];
}

function decisionLine(d: Decision): string {
  const key = d.key.padEnd(26);
  switch (d.kind) {
    case 'raise':
      return `  ${key} ${d.from === null ? `default ${fmt(DEFAULTS[d.key])}` : fmt(d.from)} → ${fmt(d.to)}   (${d.why})`;
    case 'unchanged':
      return `  ${key} ${fmt(d.to)}, unchanged`;
    case 'kept-higher':
      return `  ${key} kept at ${fmt(d.current)}: higher than the ${fmt(d.needed)} needed (raise-only; --allow-lower lowers it)`;
    case 'lower':
      return `  ${key} ${fmt(d.from)} → ${fmt(d.to)}   LOWERED (--allow-lower)`;
    case 'carried':
      return `  ${key} ${fmt(d.current)}, kept: an earlier apply set it, this profile does not`;
    default: {
      const never: never = d;
      return String(never);
    }
  }
}

function reportLines(r: ApplyReport): string[] {
  const out = ['Files:'];
  for (const f of r.files) out.push(`  ${f.action.padEnd(9)} ${f.path}${'error' in f ? `: ${f.error}` : 'reason' in f ? ` (${f.reason})` : ''}`);
  if (r.sysctls.length) out.push('Live (/proc/sys):');
  for (const s of r.sysctls) {
    const detail = s.action === 'set' || s.action === 'unchanged' ? ` ${fmt(s.old)} → ${fmt(s.new)}` : 'error' in s ? `: ${s.error}` : ` (${s.reason})`;
    out.push(`  ${s.action.padEnd(9)} ${s.key}${detail}`);
  }
  if (r.transaction) out.push(`Backup: transaction ${r.transaction} (mq-doctor rollback restores it)`);
  else out.push('Nothing changed.');
  if (!r.ok) out.push('NOT everything was applied: the rows above say what was and was not done; every file is either its old or its new version.');
  return out;
}

const RLIMIT_ITEMS: Array<[SettingKey, LimitItem]> = [
  ['RLIMIT_MSGQUEUE', 'msgqueue'],
  ['RLIMIT_NOFILE', 'nofile'],
];

const asNumber = (v: LimitValue | undefined): number | null => (v === undefined ? null : v === 'unlimited' ? Number.MAX_SAFE_INTEGER : v);

/**
 * What is configured under root now, for the owner: mq-doctor's own files and the
 * values a raise-only apply must not undercut. apply reads it again under the lock.
 */
export function readState(root: string, owner: Owner): Omit<CurrentState, 'live'> {
  let files: Record<string, string | null>;
  try {
    files = Object.fromEntries(ownPaths(owner).map((p) => [p, readCurrent(root, p)]));
  } catch (err) {
    // e.g. a symlink where mq-doctor's file belongs: refused, never followed.
    throw new UsageError(`cannot use ${root} as it is: ${(err as Error).message}`);
  }
  const configured: Partial<Record<SettingKey, number>> = {};
  for (const [key, v] of highestConfiguredSysctls(root)) if (isSysctlKey(key as SettingKey)) configured[key as SysctlKey] = v.value;
  // What the owner's sessions or service end up with, by pam_limits' or systemd's own rules: verify reads the same.
  const limits = effectiveLimits(root, owner);
  const rlimits: NonNullable<CurrentState['rlimits']> = {};
  for (const [key, item] of RLIMIT_ITEMS) {
    const hard = asNumber(limits.hard[item]?.value);
    if (hard !== null) configured[key] = hard;
    if (owner.kind !== 'none') rlimits[key as 'RLIMIT_MSGQUEUE' | 'RLIMIT_NOFILE'] = { soft: asNumber(limits.soft[item]?.value), hard };
  }
  return { files, configured, rlimits };
}

/** What apply and verify both need: the profile, what it requires, and what is configured now. */
export function inspect(path: string, ownerFlag: ApplyArgs['owner'], root: string) {
  if (!isDirectory(root)) throw new UsageError(`--root ${root} is not an existing directory`);
  const profile = loadProfile({ kind: 'file', path }, ownerFlag);
  const snap = takeSnapshot(undefined);
  const d = deriveOrFail(profile, snap, `profile ${path}`);
  const owner = ownerOf(profile);
  const needsRlimits = d.settings.filter((s) => !isSysctlKey(s.key));
  if (needsRlimits.length > 0 && owner.kind === 'none') {
    throw new UsageError(
      `profile ${path} needs ${needsRlimits.map((s) => `${s.key} ${fmt(s.value)}`).join(' and ')}, which is set per user or service: name its owner ("owner" in the profile, or --user / --service)`,
    );
  }
  const live = root === '/' ? liveSysctls(snap) : {};
  return { profile, d, owner, ...readState(root, owner), live };
}

/**
 * pam_limits and systemd read other files after mq-doctor's: say which would still
 * leave an rlimit below the need once the planned file is written.
 */
function overrideWarnings(root: string, owner: Owner, plan: Plan, settings: DerivedSetting[]): string[] {
  const ours = owner.kind === 'user' ? FILES.limits : owner.kind === 'service' ? FILES.dropIn(owner.service) : null;
  const planned = plan.files.find((f) => f.path === ours);
  if (!planned || owner.kind === 'none') return [];
  const after = effectiveLimits(root, owner, { path: planned.path, text: planned.content });
  const who = owner.kind === 'user' ? owner.user : owner.service;
  return settings.flatMap((s) => {
    const item = RLIMIT_ITEMS.find(([k]) => k === s.key)?.[1];
    if (!item) return [];
    // One reason per line that wins (a "-" line or "LimitX=" sets both limits), soft first.
    const reasons = new Map<string, string[]>();
    for (const kind of ['soft', 'hard'] as const) {
      const e = after[kind][item];
      if (atLeast(e?.value, s.value)) continue;
      // "@" stands for "the soft limit", "the soft and hard limits" or the like.
      const why = e
        ? `${e.source} sets @ to ${e.value === 'unlimited' ? e.value : fmt(e.value)} and wins over ${planned.path}`
        : `@ reset after ${planned.path} (an empty Limit${item.toUpperCase()}= in a later drop-in)`;
      reasons.set(why, [...(reasons.get(why) ?? []), kind]);
    }
    const short = [...reasons].map(([why, kinds]) => {
      const both = kinds.length > 1;
      return why.replace('@ reset', `@ ${both ? 'are' : 'is'} reset`).replace('@', `the ${kinds.join(' and ')} limit${both ? 's' : ''}`);
    });
    return short.length ? [`${s.key} for ${who} stays below the ${fmt(s.value)} needed: ${short.join('; ')}. Remove or raise that setting.`] : [];
  });
}

/** A service gets at most the hard limits systemd itself has, unless systemd holds CAP_SYS_RESOURCE: say so before a boot shows it. */
function managerCeilingWarnings(root: string, owner: Owner, settings: DerivedSetting[]): string[] {
  if (root !== '/' || owner.kind !== 'service' || !systemdIsInit()) return [];
  const c = managerCeiling();
  if (!c.ok || c.value.sysResource) return [];
  return settings.flatMap((s) => {
    if (isSysctlKey(s.key)) return [];
    const hard = s.key === 'RLIMIT_MSGQUEUE' ? c.value.msgqueueHard : c.value.nofileHard;
    if (hard === 'unlimited' || s.value <= hard) return [];
    const { unit } = RLIMITS[s.key];
    return [
      `${unit}=${fmt(s.value)} for ${owner.service} is above the hard limit systemd itself runs with (${fmt(hard)}, /proc/1/limits) and systemd lacks CAP_SYS_RESOURCE: it starts ${owner.service} with ${fmt(hard)} instead, without an error. Only what starts systemd can raise that (the container's --ulimit, or the host's kernel default).`,
    ];
  });
}

/** One unified diff, without the "=====" banner the library puts first: every change of a dry run reads the same way. */
type Patcher = typeof import('diff').createTwoFilesPatch;

function unifiedDiff(patch: Patcher, from: string, to: string, old: string, now: string): string {
  return patch(from, to, old, now, undefined, undefined, { context: 3 }).replace(/^=+\n/, '').trimEnd();
}

function dryRunLines(patch: Patcher, plan: Plan, files: Record<string, string | null>, live: Partial<Record<SysctlKey, number>>): string[] {
  const out: string[] = [];
  const unchanged: string[] = [];
  for (const f of plan.files) {
    const old = files[f.path] ?? null;
    if (old === f.content) unchanged.push(f.path);
    else out.push(unifiedDiff(patch, old === null ? '/dev/null' : f.path, f.path, old ?? '', f.content));
  }
  // Live values as the files under /proc/sys they are.
  for (const s of plan.sysctls) {
    const path = `/proc/sys/${s.key.replace(/\./g, '/')}`;
    const old = live[s.key];
    out.push(unifiedDiff(patch, path, path, old === undefined ? '' : `${old}\n`, `${s.value}\n`));
  }
  if (unchanged.length) out.push(`(unchanged: ${unchanged.join(', ')})`);
  return out;
}

/** The raise-only plan that `apply --profile PATH` (no flags) would carry out. */
export function planFor(path: string, root: string): ApplyPlan {
  const { profile, d, owner, files, configured, live } = inspect(path, undefined, root);
  const plan = planApply(profile, d.settings, owner, { live, files, configured }, { allowLower: false, live: root === '/', producer: PRODUCER });
  return { root, files: plan.files, sysctls: plan.sysctls };
}

export async function runApply(args: ApplyArgs): Promise<number> {
  const { profile, d, owner, live: liveValues, ...initial } = inspect(args.path, args.owner, args.root);
  try {
    checkStateDir(args.root);
  } catch (err) {
    throw new UsageError(`cannot use ${args.root} as it is: ${(err as Error).message}`);
  }
  const opts = { allowLower: args.allowLower, live: args.live, producer: PRODUCER };
  let state = initial;
  const planNow = () => planApply(profile, d.settings, owner, { live: liveValues, ...state }, opts);
  let plan = planNow();
  const result: string[] = [];
  let code: number = EXIT.ok;
  if (args.dryRun) {
    // Only a dry run shows diffs: the library is loaded for it alone.
    const { createTwoFilesPatch } = await import('diff');
    result.push('', ...dryRunLines(createTwoFilesPatch, plan, state.files, liveValues));
  } else {
    // Planned again under the writer's lock: another apply (another owner's block in
    // limits.d, another profile's sysctls) may have changed the files since they were read.
    const replan = () => {
      state = readState(args.root, owner);
      plan = planNow();
      return { files: plan.files, sysctls: plan.sysctls };
    };
    const report = await applyPlan({ root: args.root, files: plan.files, sysctls: plan.sysctls }, { replan });
    result.push(...reportLines(report));
    if (!report.ok) code = EXIT.predictedFailure;
    const follow = followUpAfter(args.root, report.files, args.live);
    result.push(...follow.lines);
    if (!follow.ok) code = EXIT.predictedFailure;
  }
  const sysctlKeys = d.settings.flatMap((s) => (isSysctlKey(s.key) ? [s.key] : []));
  const warnings = [
    ...plan.warnings,
    ...precedenceWarnings(args.root, sysctlKeys),
    ...overrideWarnings(args.root, owner, plan, d.settings),
    ...removeIpcWarning(args.root, owner),
    ...managerCeilingWarnings(args.root, owner, d.settings),
  ];
  const out = [`mq-doctor apply: profile "${profile.name}" into ${args.root}${args.dryRun ? ' (dry run: nothing is written)' : ''}`, 'Settings:', ...plan.decisions.map(decisionLine)];
  if (plan.otherOwners.length) out.push(`Other owners in ${FILES.limits}: ${plan.otherOwners.join(', ')}: their lines are kept as they are.`);
  out.push(...result);
  if (warnings.length) out.push('Warnings:', ...warnings.map((w) => `  - ${w}`));
  writeOut(`${out.join('\n')}\n`);
  return code;
}

interface VerifyRow {
  key: string;
  /** A sysctl (live value and sysctl.d) or an rlimit (pam_limits or systemd, for the owner). */
  kind: 'sysctl' | 'rlimit';
  expected: number;
  live: number | null;
  /** The value configured to apply (for an rlimit: the soft one an application starts with). */
  configured: number | 'unlimited' | null;
  /** For an rlimit: the hard one, which the soft one can be raised to. */
  configuredHard?: number | 'unlimited' | null;
  /** Where the configured value comes from, in words. */
  source: string;
  /** The files it comes from: a sysctl.d path, or path:line of the soft and the hard limit; empty when none sets it. */
  sources: string[];
  status: 'ok' | 'higher' | 'drift';
}

function sourceOf(root: string, key: SysctlKey): { path: string; value: number | null } | null {
  const setting = sysctlFilesInOrder(root).filter((f) => f.values.has(key)).pop();
  if (!setting) return null;
  const value = parseIntStrict(setting.values.get(key) ?? '');
  return { path: setting.path, value: value ?? null };
}

/**
 * Drift: the live value, or the value configured to apply at boot, is below
 * what the profile needs (or nothing configures it). Higher is fine: raise-only.
 */
function status(expected: number, values: Array<number | 'unlimited' | null>): VerifyRow['status'] {
  if (values.every((v) => v === null) || values.some((v) => v !== null && v !== 'unlimited' && v < expected)) return 'drift';
  return values.some((v) => v !== null && (v === 'unlimited' || v > expected)) ? 'higher' : 'ok';
}

export function verifyRows(settings: DerivedSetting[], root: string, live: Partial<Record<SysctlKey, number>>, owner: Owner): VerifyRow[] {
  const limits = effectiveLimits(root, owner);
  return settings.map((s) => {
    if (isSysctlKey(s.key)) {
      const src = sourceOf(root, s.key);
      const liveValue = live[s.key] ?? null;
      const configured = src?.value ?? null;
      const source = src ? (src.value === null ? `${src.path} (not an integer)` : src.path) : 'no sysctl.d file sets it';
      return {
        key: s.key,
        kind: 'sysctl',
        expected: s.value,
        live: liveValue,
        configured,
        source,
        sources: src ? [src.path] : [],
        status: status(s.value, [liveValue, src ? configured : null]),
      };
    }
    const item = s.key === 'RLIMIT_MSGQUEUE' ? 'msgqueue' : 'nofile';
    const soft: Effective | undefined = limits.soft[item];
    const hard: Effective | undefined = limits.hard[item];
    const who = owner.kind === 'user' ? `pam_limits for ${owner.user}` : owner.kind === 'service' ? `systemd for ${owner.service}` : 'no owner in the profile';
    const where = [soft ? `soft from ${soft.source}` : 'no soft limit configured', hard ? `hard from ${hard.source}` : 'no hard limit configured'];
    const met = atLeast(soft?.value, s.value) && atLeast(hard?.value, s.value);
    return {
      key: s.key,
      kind: 'rlimit',
      expected: s.value,
      live: null,
      configured: soft?.value ?? null,
      configuredHard: hard?.value ?? null,
      source: `${who}: ${where.join(', ')}`,
      sources: [...new Set([soft?.source, hard?.source].filter((x): x is string => x !== undefined))],
      status: met ? status(s.value, [soft!.value, hard!.value]) : 'drift',
    };
  });
}

export async function runVerify(args: VerifyArgs): Promise<number> {
  const { profile, d, owner, live } = inspect(args.path, args.owner, args.root);
  const rows = verifyRows(d.settings, args.root, live, owner);
  const drift = rows.some((r) => r.status === 'drift');
  if (args.json) {
    // schema/verify.schema.json
    writeOut(`${JSON.stringify({ schemaVersion: 1, command: 'verify', profile: profile.name, root: args.root, owner, ok: !drift, drift, rows }, null, 2)}\n`);
  } else {
    const show = (v: number | 'unlimited' | null | undefined) => (v === null || v === undefined ? '-' : v === 'unlimited' ? 'unlimited' : fmt(v));
    const configured = (r: VerifyRow) => (r.configuredHard === undefined ? show(r.configured) : `${show(r.configured)} / ${show(r.configuredHard)}`);
    const table = [['KEY', 'EXPECTED', 'LIVE', 'CONFIGURED (SOFT / HARD)', 'STATUS', 'SOURCE'], ...rows.map((r) => [r.key, show(r.expected), show(r.live), configured(r), r.status.toUpperCase(), r.source])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    const lines = table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    lines.push('', drift ? `DRIFT: the live system does not meet profile "${profile.name}" (mq-doctor apply --profile ${args.path} restores it)` : `OK: the live system meets profile "${profile.name}"`);
    if (rows.some((r) => r.key.startsWith('RLIMIT'))) lines.push('RLIMIT rows check the configured file: running processes keep the limits they started with.');
    writeOut(`${lines.join('\n')}\n`);
  }
  return drift ? EXIT.predictedFailure : EXIT.ok;
}

export async function runRollback(args: { root: string }): Promise<number> {
  if (!isDirectory(args.root)) throw new UsageError(`--root ${args.root} is not an existing directory`);
  const r = await rollbackLast(args.root);
  const lines = [r.message];
  for (const p of r.restored) lines.push(`  restored  ${p}`);
  for (const p of r.removed) lines.push(`  removed   ${p}`);
  for (const p of r.removedDirs) lines.push(`  removed   ${p}/ (an empty directory the apply had created)`);
  for (const s of r.sysctls) lines.push(`  ${s.ok ? 'set' : 'FAILED'}       ${s.key} = ${fmt(s.value)}${s.error ? `: ${s.error}` : ''}`);
  const changed = [...r.restored, ...r.removed].flatMap((p) => unitOfDropIn(p) ?? []);
  const follow = systemdFollowUp(args.root, { changed, inPlace: changed });
  lines.push(...follow.lines);
  writeOut(`${lines.join('\n')}\n`);
  return r.ok && follow.ok ? EXIT.ok : EXIT.predictedFailure;
}
