// One combined fix for every blocker, for where the target stands: first what
// can succeed from here, then what only someone else can do (and who), then
// the same settings in each container runtime's words, and, when a limit
// cannot be raised from here, the largest queue that fits it as it is.
import type { Snapshot } from '../snapshot.js';
import { queueCost } from './cost.js';
import { ceilingFixes, LIMITS_D_FILE, SYSCTL_D_FILE } from './fixes.js';
import { kernelModel } from './limits-analysis.js';
import type { Stand } from './stand.js';
import type { Blocker, Fix, LimitBlocker, Prediction } from './types.js';
import { groupDigits as fmt } from './units.js';

export interface Advice {
  /** Commands that can succeed here, now. */
  here: Fix[];
  /** What keeps them (a reboot, a restart) and can also be done from here. */
  persist: Fix[];
  /** What only someone else can do: who, why not from here, and what they run. */
  elsewhere: Array<{ who: string; why?: string; steps: Fix[] }>;
  /** The same settings for a container runtime, one line or snippet each; null when there is nothing to set. */
  containers: { docker: string; compose: string; kubernetes: string | null; notes: string[] } | null;
  /** The largest queue that fits the limits as they are, when a limit cannot be raised from here. */
  alternative: string | null;
  /** Changes to the application itself (request blockers). */
  application: string[];
  notes: string[];
}

const SYSCTL_KEYS = /^(fs\.mqueue\.|kernel\.msg)/;
const RUNTIME = 'whoever starts the container (its run flags or manifest, below)';
export const RLIMITS = { RLIMIT_MSGQUEUE: { flag: 'msgqueue', ulimit: 'q', unit: 'LimitMSGQUEUE' }, RLIMIT_NOFILE: { flag: 'nofile', ulimit: 'n', unit: 'LimitNOFILE' } } as const;
type RlimitName = keyof typeof RLIMITS;

interface Need {
  key: string;
  value: number;
}

/** Per limit the highest value any blocker needs: one setting each, whatever the number of blockers. */
function needs(blockers: Blocker[], match: (b: LimitBlocker) => boolean): LimitBlocker[] {
  const by = new Map<string, LimitBlocker>();
  for (const b of blockers) {
    if (b.kind !== 'limit' || !match(b)) continue;
    const old = by.get(b.limit);
    if (!old || b.needed > old.needed) by.set(b.limit, b);
  }
  return [...by.values()];
}

function sysctlAdvice(sysctls: Need[], s: Stand, a: Advice): void {
  if (sysctls.length === 0) return;
  const set = `sysctl -w ${sysctls.map((x) => `${x.key}=${x.value}`).join(' ')}`;
  const file = `printf '%s\\n' ${sysctls.map((x) => `'${x.key} = ${x.value}'`).join(' ')} > ${SYSCTL_D_FILE} && sysctl --system`;
  if (s.pid !== null && s.ipc === 'private') {
    // Since the IPC sysctls belong to the namespace's owning user namespace (6.9), host root joining
    // only the IPC namespace of a rootless container may read them but not write them.
    const join = s.usernsRootWritesIpcSysctls ? '--user --ipc' : '--ipc';
    a.here.push({ what: `now, in process ${s.pid}'s IPC namespace (as root on the host; gone when it restarts)`, command: `nsenter --target ${s.pid} ${join} ${set}` });
    a.elsewhere.push({ who: RUNTIME, steps: [] });
    return;
  }
  if (s.ipc === 'private') {
    if (s.procSysWritable) a.here.push({ what: "now, in this container's IPC namespace (gone when the container restarts)", command: set });
    if (s.place === 'rootless container' && s.usernsRootWritesIpcSysctls === false) {
      a.notes.push(
        "This kernel (before 6.9, 6.6.45 and 6.1.104) lets only the host's real root set fs.mqueue.* and kernel.msg* of a rootless container: writing them fails with EACCES. Run the container rootful, share the host's values with --ipc=host (the whole host's), or use smaller queues.",
      );
    } else if (s.place === 'rootless container') {
      a.notes.push("On this kernel the root of the container's user namespace may set its IPC namespace's fs.mqueue.* and kernel.msg*: rootless podman run --sysctl works.");
    }
    a.elsewhere.push({ who: RUNTIME, steps: [] });
    return;
  }
  // The host's IPC namespace (or a container sharing it with --ipc=host).
  const hostRoot = s.root && !s.childUserNs;
  if (hostRoot && s.procSysWritable !== false) a.here.push({ what: 'now, for this IPC namespace', command: set });
  else if (!s.root && s.place === 'host') a.here.push({ what: 'now, as root', command: `sudo ${set}` });
  if (s.place === 'host' && (hostRoot || !s.root)) {
    a.persist.push({ what: `at every boot (or: mq-doctor apply --profile FILE)`, command: s.root ? file : `sudo sh -c "${file.replace(/"/g, '\\"')}"` });
  } else {
    a.elsewhere.push({ who: "the host's administrator (this container shares the host's IPC namespace)", steps: [{ what: 'on the host, at every boot', command: file }] });
  }
}

function rlimitAdvice(b: LimitBlocker, s: Stand, user: string | null, a: Advice): void {
  const r = RLIMITS[b.limit as RlimitName];
  const hard = b.hard ?? 'unlimited';
  const n = b.needed;
  const hardTooLow = hard !== 'unlimited' && hard < n;
  const pair = `${n}:${hardTooLow ? n : hard === 'unlimited' ? 'unlimited' : hard}`;
  if (!hardTooLow || s.sysResource) {
    // Within the hard limit anyone may raise the soft one; above it, CAP_SYS_RESOURCE is here.
    if (s.pid !== null) a.here.push({ what: `now, for process ${s.pid}`, command: `prlimit --pid ${s.pid} --${r.flag}=${hardTooLow ? pair : `${n}:`}` });
    a.here.push({
      what: 'in the shell that starts the application',
      command: hardTooLow ? `ulimit -H${r.ulimit} ${n} && ulimit -S${r.ulimit} ${n}` : `ulimit -S${r.ulimit} ${n}`,
    });
  }
  const why =
    hardTooLow && !s.sysResource
      ? `${b.limit}: its hard limit ${fmt(hard as number)} is below ${fmt(n)}, and raising a hard limit needs CAP_SYS_RESOURCE, which ${s.root ? 'this root' : 'this process'} does not hold${s.place !== 'host' ? ' (containers drop it)' : ''}: it cannot be raised from here`
      : undefined;
  const keep: Fix[] = [];
  const granted = grantedAlready(b, s, r.flag);
  if (granted && s.place === 'host') {
    // The configuration is right already: what is wrong is how the process was started.
    if (granted.by === 'systemd') {
      a.notes.push(`${granted.source} already sets ${r.unit}=${granted.value} for ${granted.owner}, but the process has ${fmt(b.actual as number)}: systemd applies it when the service starts again.`);
      const sudo = s.root ? '' : 'sudo ';
      keep.push({ what: `${granted.owner} picks up its own setting when it restarts`, command: `${sudo}systemctl daemon-reload && ${sudo}systemctl restart ${granted.owner}` });
    } else {
      a.notes.push(
        `${granted.source} already grants ${granted.owner} ${r.flag} ${granted.value}, but this process has ${fmt(b.actual as number)}: pam_limits applies it only at a PAM login (ssh, login, su -l, sudo -i), and this process ${s.login === false ? 'does not descend from one (no loginuid)' : 'was not started through one since'}. The same lines again would change nothing.`,
      );
      keep.push({ what: 'start the application from a new login session (ssh, su -l, sudo -i: pam_limits sets the limit there)', command: `sudo -iu ${granted.owner} <the application's command>` });
    }
    a.persist.push(...keep);
    return;
  }
  if (s.unit) keep.push({ what: `${s.unit}: a drop-in (systemctl edit ${s.unit}), then restart it`, command: `[Service]\n${r.unit}=${pair}` });
  else if (s.place === 'host' && s.login !== false) {
    keep.push({ what: `login sessions (pam_limits): ${LIMITS_D_FILE}, then log in again`, command: `${user ?? '<user>'} soft ${r.flag} ${n}\n${user ?? '<user>'} hard ${r.flag} ${hardTooLow ? n : hard}` });
  } else if (s.place === 'host') {
    // No login above it: limits.d never reached it; what starts it sets its limits.
    keep.push({ what: 'start the application under the limit (its parent decides: a unit\'s ' + `${r.unit}=, or prlimit)`, command: `prlimit --${r.flag}=${pair} <the application's command>` });
    a.notes.push(`This process does not descend from a login session (no loginuid): limits.d does not reach it, only what starts it does.`);
  }
  if (s.place !== 'host' && s.unit && s.ownSystemd) {
    // The container runs a systemd of its own (a unit of a systemd on the host
    // that runs the container, a quadlet say, is not this case), and that
    // systemd sets the service's limits at each start from its own: a
    // drop-in works up to the hard limit it runs with (seen in a boot test:
    // above it, systemd silently sets the highest it may). The run flags only
    // matter beyond that.
    a.notes.push(
      `${s.unit} is a service of the container's own systemd, which sets its limits each time it starts it (limits.conf and limits.d do not apply to it): a drop-in raises ${r.unit} up to the hard limit that systemd itself runs with (the "Max" line of /proc/1/limits in the container); above that, systemd sets the highest it may, without an error.`,
    );
    const dropIn = keep.slice(0, 1);
    if (s.root) a.persist.push(...dropIn);
    else a.elsewhere.push({ who: "the container's administrator (root in it)", steps: dropIn });
    const beyond = `${b.limit} beyond the hard limit that the container's systemd runs with`;
    a.elsewhere.push({ who: RUNTIME, why: why ? `${beyond}; ${why}` : beyond, steps: [] });
  } else if (s.place !== 'host') {
    a.elsewhere.push({ who: RUNTIME, why, steps: [] });
  } else if (keep.length) {
    if (s.root && !s.childUserNs && !why) a.persist.push(...keep);
    else a.elsewhere.push({ who: s.root ? "the host's administrator (root with CAP_SYS_RESOURCE)" : "the host's administrator", why, steps: keep });
  }
}

/** The unit's or pam_limits' own setting, when it already allows what the process lacks. */
function grantedAlready(b: LimitBlocker, s: Stand, flag: 'msgqueue' | 'nofile'): { by: 'systemd' | 'pam_limits'; owner: string; value: string; source: string } | null {
  const c = s.configured;
  if (!c || typeof b.actual !== 'number') return null;
  const soft = c.soft[flag];
  const hard = c.hard[flag] ?? soft;
  const fits = (v: { value: number | 'unlimited' } | undefined) => v !== undefined && (v.value === 'unlimited' || v.value >= b.needed);
  if (!fits(soft) || !fits(hard)) return null;
  const word = (v: number | 'unlimited') => (c.by === 'systemd' && v === 'unlimited' ? 'infinity' : String(v));
  const value = c.by === 'systemd' ? (soft!.value === hard!.value ? word(soft!.value) : `${word(soft!.value)}:${word(hard!.value)}`) : word(soft!.value);
  return { by: c.by, owner: c.owner, value, source: soft!.source };
}

/** What `count` queues of `maxmsg` messages of the request's size cost together. */
function costFor(model: ReturnType<typeof kernelModel>, p: Prediction, maxmsg: number, msgsize: number): number {
  return queueCost(maxmsg, msgsize, model.era, model.wordBits).bytes * p.request.count;
}

/** The most messages of the request's size that `count` queues may hold within `room` bytes. */
function largestFit(model: ReturnType<typeof kernelModel>, p: Prediction, room: number): number {
  const attr = p.effectiveAttr;
  if (!attr || room <= 0) return 0;
  const per = (m: number) => costFor(model, p, m, attr.msgsize);
  let lo = 0;
  let hi = attr.maxmsg;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (per(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function alternativeOf(snap: Snapshot, p: Prediction, s: Stand): string | null {
  const b = p.blockers.find((x): x is LimitBlocker => x.kind === 'limit' && x.limit === 'RLIMIT_MSGQUEUE');
  const attr = p.effectiveAttr;
  if (!b || !attr || s.sysResource) return null;
  const hard = b.hard ?? 'unlimited';
  if (hard === 'unlimited' || hard >= b.needed) return null;
  const charged = b.needed - p.cost.bytes * p.request.count;
  const model = kernelModel(snap);
  const fit = largestFit(model, p, hard - charged);
  const each = p.request.count > 1 ? ` each (${p.request.count} queues)` : '';
  const soft = b.actual;
  const softFits = soft === 'unlimited' || soft >= charged + costFor(model, p, fit, attr.msgsize);
  return fit > 0
    ? `without anyone's help, queues of at most ${fmt(fit)} × ${fmt(attr.msgsize)}${each} fit the hard RLIMIT_MSGQUEUE of ${fmt(hard)} bytes (${fmt(charged)} already charged)${softFits ? '.' : '; raise the soft limit to it first.'}`
    : `Not even one message of ${fmt(attr.msgsize)} bytes fits the hard RLIMIT_MSGQUEUE of ${fmt(hard)} bytes with ${fmt(charged)} already charged.`;
}

function containerSettings(sysctls: Need[], rlimits: LimitBlocker[]): Advice['containers'] {
  if (sysctls.length === 0 && rlimits.length === 0) return null;
  const ul = rlimits.map((b) => ({ name: RLIMITS[b.limit as RlimitName].flag, value: b.needed }));
  const docker = ['docker run', ...sysctls.map((x) => `--sysctl ${x.key}=${x.value}`), ...ul.map((u) => `--ulimit ${u.name}=${u.value}:${u.value}`), 'IMAGE'].join(' ');
  // Flow style: one line each, valid YAML to paste under the service or the container.
  const compose = [
    ...(sysctls.length ? [`sysctls: { ${sysctls.map((x) => `${x.key}: ${x.value}`).join(', ')} }`] : []),
    ...(ul.length ? [`ulimits: { ${ul.map((u) => `${u.name}: { soft: ${u.value}, hard: ${u.value} }`).join(', ')} }`] : []),
  ].join('\n');
  const kubernetes = sysctls.length ? `securityContext: { sysctls: [${sysctls.map((x) => `{ name: ${x.key}, value: "${x.value}" }`).join(', ')}] }` : null;
  const notes = [
    ...(sysctls.length ? [`the kubelet must allow ${[...new Set(sysctls.map((x) => (x.key.startsWith('kernel.msg') ? 'kernel.msg*' : 'fs.mqueue.*')))].join(', ')} (--allowed-unsafe-sysctls)`] : []),
    ...(ul.length ? ["pods have no rlimit setting: the runtime's default applies"] : []),
  ];
  return { docker, compose, kubernetes, notes };
}

export function adviceFor(snap: Snapshot, p: Prediction, s: Stand): Advice {
  const a: Advice = { here: [], persist: [], elsewhere: [], containers: null, alternative: null, application: [], notes: [] };
  const user = snap.target.userName.ok ? snap.target.userName.value : null;
  const sysctls = needs(p.blockers, (b) => SYSCTL_KEYS.test(b.limit)).map((b) => ({ key: b.limit, value: b.needed }));
  const rlimits = needs(p.blockers, (b) => b.limit in RLIMITS);
  sysctlAdvice(sysctls, s, a);
  for (const b of rlimits) rlimitAdvice(b, s, user, a);
  for (const b of needs(p.blockers, (x) => x.limit === 'RLIMIT_MSGQUEUE ceiling')) {
    const f = ceilingFixes(b.needed, p.charge.uid ?? 0);
    a.elsewhere.push({ who: 'whoever creates the user namespace (a rootless runtime, unshare)', steps: f.persistent });
    a.notes.push(...f.notes);
  }
  for (const b of p.blockers) if (b.kind === 'request') a.application.push(`${b.id ?? b.errno}: ${b.remedy}`);
  a.containers = containerSettings(sysctls, rlimits);
  a.alternative = alternativeOf(snap, p, s);
  // One "who" once, its reasons and steps merged.
  const merged = new Map<string, { why: string[]; steps: Fix[] }>();
  for (const e of a.elsewhere) {
    const m = merged.get(e.who) ?? { why: [], steps: [] };
    if (e.why) m.why.push(e.why);
    m.steps.push(...e.steps);
    merged.set(e.who, m);
  }
  a.elsewhere = [...merged].map(([who, m]) => (m.why.length ? { who, why: m.why.join('; '), steps: m.steps } : { who, steps: m.steps }));
  a.notes = [...new Set(a.notes)];
  return a;
}
