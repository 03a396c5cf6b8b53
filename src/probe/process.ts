import { accessSync, existsSync, constants as fsConstants, readdirSync } from 'node:fs';
import {
  type Avail,
  type Capabilities,
  type Credentials,
  type DescriptorTable,
  type LibcFamily,
  type Namespace,
  type Rlimit,
  type RlimValue,
  type Sourced,
  type ConfiguredLimits,
  type Surroundings,
  type TargetProcess,
  have,
  unavailable,
} from '../snapshot.js';
import { effectiveLimits } from './config-files.js';
import { errorReason, parseKeyValues, readLink, readText } from './procfs.js';
import { ipcOwnerOf, userChainOf } from './userns.js';

import { PROC_IPC_INIT_INO, PROC_PID_INIT_INO, PROC_USER_INIT_INO } from './initial-ns.js';

export { PROC_IPC_INIT_INO, PROC_USER_INIT_INO };

const CAP_DAC_OVERRIDE = 1n;
const CAP_DAC_READ_SEARCH = 2n;
const CAP_SYS_RESOURCE = 24n;
const CAP_IPC_OWNER = 15n;
const CAP_SYS_ADMIN = 21n;

function parseRlimValue(text: string): RlimValue | undefined {
  if (text === 'unlimited') return 'unlimited';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Picks one row of /proc/PID/limits, e.g. "Max msgqueue size". */
export function parseLimitsRow(limitsText: string, row: string): Rlimit | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith(row));
  if (!line) return undefined;
  const [soft, hard] = line.slice(row.length).trim().split(/\s+/);
  const s = parseRlimValue(soft ?? '');
  const h = parseRlimValue(hard ?? '');
  return s === undefined || h === undefined ? undefined : { soft: s, hard: h };
}

function limitFrom(limits: Avail<string>, path: string, row: string): Avail<Sourced<Rlimit>> {
  if (!limits.ok) return limits;
  const value = parseLimitsRow(limits.value, row);
  return value ? have({ value, source: path }) : unavailable(`no parsable "${row}" row in ${path}`);
}

export function parseCredentials(status: Map<string, string>): Credentials | undefined {
  const ids = (key: string) => (status.get(key) ?? '').split(/\s+/).filter(Boolean).map(Number);
  const uid = ids('Uid');
  const gid = ids('Gid');
  if (uid.length < 4 || gid.length < 4 || [...uid, ...gid].some((n) => !Number.isInteger(n))) return undefined;
  return {
    realUid: uid[0]!,
    effectiveUid: uid[1]!,
    fsUid: uid[3]!,
    effectiveGid: gid[1]!,
    fsGid: gid[3]!,
    groups: ids('Groups'),
  };
}

export function parseNamespaceLink(link: string, initialInode: number): Namespace | undefined {
  const m = /^[a-z]+:\[(\d+)\]$/.exec(link);
  if (!m) return undefined;
  const inode = Number(m[1]);
  return { inode, initial: inode === initialInode };
}

export function namespaceOf(pid: string, kind: 'ipc' | 'user' | 'pid', initialInode: number): Avail<Namespace> {
  const path = `/proc/${pid}/ns/${kind}`;
  const link = readLink(path);
  if (!link.ok) return link;
  const ns = parseNamespaceLink(link.value, initialInode);
  return ns ? have(ns) : unavailable(`${path} reads "${link.value}", not a namespace`);
}

export function parseCapabilities(capEffHex: string, userNs: Avail<Namespace>): Capabilities | undefined {
  if (!/^[0-9a-f]+$/i.test(capEffHex)) return undefined;
  const eff = BigInt(`0x${capEffHex}`);
  const bit = (n: bigint) => ((eff >> n) & 1n) === 1n;
  // capable() checks against the initial user namespace: root inside a
  // container's user namespace holds the bit but not the capability.
  const initialUserNs = userNs.ok ? userNs.value.initial : false;
  return {
    sysResourceInOwnNs: bit(CAP_SYS_RESOURCE),
    dacOverride: bit(CAP_DAC_OVERRIDE),
    dacReadSearch: bit(CAP_DAC_READ_SEARCH),
    // ns_capable() in the IPC namespace's user namespace: the process's own, unless it setns'd.
    ipcOwner: bit(CAP_IPC_OWNER),
    sysAdmin: bit(CAP_SYS_ADMIN),
    initialUserNs,
    sysResource: bit(CAP_SYS_RESOURCE) && initialUserNs,
  };
}

/** Which libc the process has mapped: glibc and musl disagree on names without a leading '/'. */
export function libcFromMaps(maps: string): LibcFamily | undefined {
  if (/\/ld-musl-[^/\s]*\.so|\/libc\.musl-/.test(maps)) return 'musl';
  if (/\/libc\.so\.6\b|\/libc-2\.\d+\.so/.test(maps)) return 'glibc';
  return undefined;
}

function listFds(pid: string): Avail<number[]> {
  try {
    return have(readdirSync(`/proc/${pid}/fd`).map(Number).filter(Number.isInteger).sort((a, b) => a - b));
  } catch (err) {
    return unavailable(`cannot list /proc/${pid}/fd (${errorReason(err)})`);
  }
}

/** "PID: 0 1 2 251", as bin/mq-doctor.cjs records it before exec'ing node (same PID). */
export function parseLaunchFds(value: string | undefined, pid: number): number[] | undefined {
  const m = value === undefined ? null : /^(\d+):((?: \d+)*)$/.exec(value);
  if (!m || Number(m[1]) !== pid) return undefined; // absent, malformed, or inherited from another launch
  return m[2]!.split(' ').filter(Boolean).map(Number).sort((a, b) => a - b);
}

/** libuv marks fds 0-15, and any open run right after them, close-on-exec at Node's start-up (uv_disable_stdio_inheritance). */
const NODE_CLOEXEC_SWEEP = 16;
const O_CLOEXEC_FDINFO = 0o2000000;

/**
 * What an application started from where mq-doctor was started would hold.
 * The launcher lists the descriptors it passed on; without it, Node's own
 * descriptors and inherited low ones look alike (all close-on-exec), so those
 * are only "maybe".
 */
function ownDescriptors(): Avail<DescriptorTable> {
  const launch = parseLaunchFds(process.env.MQ_DOCTOR_LAUNCH_FDS, process.pid);
  if (launch) return have({ open: launch, maybe: [], source: 'the descriptors mq-doctor was launched with (an application started from the same place inherits them)' });
  const all = listFds('self');
  if (!all.ok) return all;
  const open: number[] = [];
  const maybe: number[] = [];
  let sweepEnd = NODE_CLOEXEC_SWEEP;
  for (const fd of all.value) {
    if (fd === sweepEnd) sweepEnd++;
    if (fd <= 2) {
      open.push(fd);
      continue;
    }
    const info = readText(`/proc/self/fdinfo/${fd}`);
    if (!info.ok) continue; // closed meanwhile: the listing's own descriptor
    const flags = /flags:\s*([0-7]+)/.exec(info.value);
    const cloexec = flags ? (parseInt(flags[1]!, 8) & O_CLOEXEC_FDINFO) !== 0 : true;
    if (!cloexec) open.push(fd);
    else if (fd < sweepEnd) maybe.push(fd);
  }
  return have({
    open,
    maybe,
    source: 'mq-doctor\'s own descriptors (run without its launcher, so the ones below 16 may be Node\'s own or inherited)',
  });
}

function descriptorsOf(pid: string): Avail<DescriptorTable> {
  const fds = listFds(pid);
  return fds.ok ? have({ open: fds.value, maybe: [], source: `/proc/${pid}/fd` }) : fds;
}

export function probeProcess(pid: number | undefined): TargetProcess {
  const self = pid === undefined;
  const key = self ? 'self' : String(pid);
  const status = readText(`/proc/${key}/status`);
  const statusMap = status.ok ? parseKeyValues(status.value) : undefined;
  const limitsPath = `/proc/${key}/limits`;
  const limits = readText(limitsPath);
  const userNamespace = namespaceOf(key, 'user', PROC_USER_INIT_INO);
  const maps = readText(`/proc/${key}/maps`);

  const credentials: Avail<Credentials> = (() => {
    if (!status.ok) return status;
    const c = parseCredentials(statusMap!);
    return c ? have(c) : unavailable(`no Uid/Gid lines in /proc/${key}/status`);
  })();
  const capabilities: Avail<Capabilities> = (() => {
    if (!status.ok) return status;
    const c = parseCapabilities(statusMap!.get('CapEff') ?? '', userNamespace);
    return c ? have(c) : unavailable(`no CapEff line in /proc/${key}/status`);
  })();
  const libc: Avail<LibcFamily> = (() => {
    if (!maps.ok) return maps;
    const family = libcFromMaps(maps.value);
    return family ? have(family) : unavailable(`neither glibc nor musl is mapped in /proc/${key}/maps (static binary?)`);
  })();
  const comm = readText(`/proc/${key}/comm`);
  const ipcNamespace = namespaceOf(key, 'ipc', PROC_IPC_INIT_INO);
  const userNamespaceChain = userChainOf(key, userNamespace);

  const userName = credentials.ok ? userNameOf(credentials.value.realUid) : credentials;
  const systemdUnit = systemdUnitOf(key);
  return {
    pid: self ? process.pid : pid,
    self,
    command: comm.ok ? have(comm.value.trim()) : comm,
    credentials,
    rlimitMsgqueue: limitFrom(limits, limitsPath, 'Max msgqueue size'),
    rlimitNofile: self ? inheritedNofile(limits, limitsPath) : limitFrom(limits, limitsPath, 'Max open files'),
    descriptors: self ? ownDescriptors() : descriptorsOf(key),
    capabilities,
    ipcNamespace,
    userNamespace,
    userNamespaceChain,
    ipcOwner: ipcOwnerOf(key, ipcNamespace, userNamespaceChain),
    libc,
    userName,
    systemdUnit,
    surroundings: surroundingsOf(key, self, configuredOwner(userName, systemdUnit)),
  };
}

const CONTAINER_CGROUPS = /\b(docker|kubepods|libpod|containerd|crio|lxc)\b/;

/** Where the process stands: a login or not, a container or not, a writable /proc/sys or not. */
/** Whose configuration starts the target: its unit, else its user (pam_limits). */
function configuredOwner(user: Avail<string>, unit: Avail<string>): ConfiguredLimits | undefined {
  if (unit.ok) return { by: 'systemd', owner: unit.value, ...effectiveLimits('/', { kind: 'service', service: unit.value }) };
  if (user.ok) return { by: 'pam_limits', owner: user.value, ...effectiveLimits('/', { kind: 'user', user: user.value }) };
  return undefined;
}

function surroundingsOf(key: string, self: boolean, configured: ConfiguredLimits | undefined): Avail<Surroundings> {
  const login = readText(`/proc/${key}/loginuid`);
  const loginUid = login.ok && /^\d+$/.test(login.value.trim()) && Number(login.value.trim()) !== 4294967295 ? Number(login.value.trim()) : null;
  const root = self ? '' : `/proc/${key}/root`;
  const markers = ['/.dockerenv', '/run/.containerenv'].filter((f) => existsSync(`${root}${f}`));
  const cg = readText(`/proc/${key}/cgroup`);
  const cgMatch = cg.ok ? CONTAINER_CGROUPS.exec(cg.value) : null;
  if (cgMatch) markers.push(`cgroup ${cgMatch[1]}`);
  let procSysWritable: boolean | null = null;
  if (self) {
    try {
      accessSync('/proc/sys/fs/mqueue/msg_max', fsConstants.W_OK);
      procSysWritable = true;
    } catch {
      procSysWritable = false;
    }
  }
  // A container's own systemd is PID 1 of the container's PID namespace, as the
  // target's root's /proc shows it; a host service with PrivateIPC= (or an unshare -i
  // shell) sees the host's /run/systemd too, and with PrivatePIDs= its PID 1 is not systemd.
  const pidNs = namespaceOf(key, 'pid', PROC_PID_INIT_INO);
  const init = readText(`${root}/proc/1/comm`);
  const systemdInit = pidNs.ok && !pidNs.value.initial && init.ok && init.value.trim() === 'systemd' && existsSync(`${root}/run/systemd/system`);
  return have({ loginUid, containerMarkers: markers, procSysWritable, systemdInit, ...(configured ? { configured } : {}) });
}

export function userNameFromPasswd(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && Number(f[2]) === uid && f[2] !== '') return f[0];
  }
  return undefined;
}

function userNameOf(uid: number): Avail<string> {
  const passwd = readText('/etc/passwd');
  if (!passwd.ok) return passwd;
  const name = userNameFromPasswd(passwd.value, uid);
  return name ? have(name) : unavailable(`uid ${uid} has no entry in /etc/passwd`);
}

/** The innermost .service in the process's cgroup path, e.g. "0::/system.slice/app.service". */
export function unitFromCgroup(cgroup: string): string | undefined {
  const units = [...cgroup.matchAll(/\/([^/\n]+\.service)(?=\/|$)/gm)].map((m) => m[1]!);
  return units[units.length - 1];
}

function systemdUnitOf(key: string): Avail<string> {
  const cg = readText(`/proc/${key}/cgroup`);
  if (!cg.ok) return cg;
  const unit = unitFromCgroup(cg.value);
  return unit ? have(unit) : unavailable('not running in a systemd service');
}

/** The soft RLIMIT_NOFILE bin/mq-doctor.cjs recorded before Node raised its own; undefined when not launched through it. */
export function launchNofileSoft(): number | undefined {
  const v = process.env.MQ_DOCTOR_LAUNCH_NOFILE;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** This process's RLIMIT_NOFILE as it is now (after Node raised the soft limit). */
export function ownNofileNow(): Avail<Rlimit> {
  const r = limitFrom(readText('/proc/self/limits'), '/proc/self/limits', 'Max open files');
  return r.ok ? have(r.value.value) : r;
}

/** The parent pid from /proc/PID/stat (the field after the parenthesised command, which may hold spaces). */
export function ppidFromStat(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * Node raises its own soft RLIMIT_NOFILE to the hard limit at start-up, so
 * /proc/self/limits does not show what an application started from the same
 * place inherits. bin/mq-doctor.cjs records it before Node starts; when run
 * as `node bin/mq-doctor.cjs`, the nearest ancestor that is not this Node
 * (npx and npm are) still holds it: usually the shell that launched mq-doctor.
 */
function inheritedNofile(ownLimits: Avail<string>, ownPath: string): Avail<Sourced<Rlimit>> {
  const own = limitFrom(ownLimits, ownPath, 'Max open files');
  const launch = parseRlimValue(process.env.MQ_DOCTOR_LAUNCH_NOFILE ?? '');
  // Only a value that could have been ours: a stale variable from elsewhere is ignored.
  if (own.ok && launch !== undefined && (own.value.value.hard === 'unlimited' || (launch !== 'unlimited' && launch <= own.value.value.hard))) {
    return have({ value: { soft: launch, hard: own.value.value.hard }, source: 'the launching environment (ulimit -Sn before Node raised its own)' });
  }
  let pid = ppidOf('self');
  let why = 'the launching process could not be found';
  for (let depth = 0; pid !== undefined && pid > 0 && depth < 8; depth++) {
    const exe = readLink(`/proc/${pid}/exe`);
    if (!exe.ok) {
      why = `the launching process cannot be read (${exe.reason}; a process that changed its uid without exec hides its limits)`;
      break;
    }
    if (exe.value !== process.execPath) {
      const path = `/proc/${pid}/limits`;
      const comm = readText(`/proc/${pid}/comm`);
      const found = limitFrom(readText(path), path, 'Max open files');
      if (!found.ok) {
        why = `the launching process's limits cannot be read (${found.reason})`;
        break;
      }
      const who = comm.ok ? comm.value.trim() : `process ${pid}`;
      return have({ ...found.value, source: `${path} (${who}, which launched mq-doctor: Node raises its own soft limit)` });
    }
    pid = ppidOf(String(pid));
  }
  if (!own.ok) return own;
  // Node has already raised its own soft limit to the hard one: what we could
  // read now says nothing about what an application would start with.
  return unavailable(
    `the soft limit an application started from here would inherit is unknown: Node raised mq-doctor's own to the hard limit (${own.value.value.hard}) at start-up and ${why}; run the mq-doctor command itself (not node bin/mq-doctor.cjs), or use --pid`,
  );
}

function ppidOf(key: string): number | undefined {
  const stat = readText(`/proc/${key}/stat`);
  return stat.ok ? ppidFromStat(stat.value) : undefined;
}

/** Whether --pid names a process we can see; a missing one is a usage error, not an unavailable value. */
export function processExists(pid: number): boolean {
  return readLink(`/proc/${pid}/exe`).ok || readText(`/proc/${pid}/stat`).ok;
}
