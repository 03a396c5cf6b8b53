// Reads the configuration that decides what wins at boot: sysctl.d ordering,
// logind's RemoveIPC, users. Everything is read under --root so image trees work.
import { closeSync, constants as C, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Account, type ConfigFile, type EffectiveLimits, pamLimits, systemdLimits, unitFilesInOrder } from '../tune/limits-rules.js';

/** sysctl.d(5): same-named files in earlier directories mask later ones. */
const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

export interface SysctlFile {
  path: string;
  values: Map<string, string>;
}

/**
 * A configuration file's text, or null. O_NONBLOCK and a regular-file check: a
 * FIFO or a device planted among the files must not hang mq-doctor, and is not
 * configuration anyway. Symlinks are followed, as the tools reading them do.
 */
export const read = (root: string, path: string): string | null => {
  let fd: number;
  try {
    fd = openSync(join(root, path), C.O_RDONLY | C.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    return readFileSync(fd, 'utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
};

const list = (root: string, dir: string): string[] => {
  try {
    return readdirSync(join(root, dir));
  } catch {
    return [];
  }
};

/** "fs/mqueue/msg_max = 10" and "fs.mqueue.msg_max=10" name the same key; "-key" only silences errors. */
export function parseSysctlConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().replace(/^-/, '').replace(/\//g, '.');
    out.set(key, line.slice(eq + 1).trim());
  }
  return out;
}

/** Every file systemd-sysctl and `sysctl --system` read, in the order they apply (last wins). */
export function sysctlFilesInOrder(root: string): SysctlFile[] {
  const chosen = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    for (const name of list(root, dir)) {
      if (name.endsWith('.conf') && !chosen.has(name)) chosen.set(name, `${dir}/${name}`);
    }
  }
  const files = [...chosen.keys()].sort().map((name) => chosen.get(name)!);
  // `sysctl --system` reads /etc/sysctl.conf last; systemd-sysctl sees it through 99-sysctl.conf.
  files.push('/etc/sysctl.conf');
  return files.flatMap((path) => {
    const text = read(root, path);
    return text === null ? [] : [{ path, values: parseSysctlConf(text) }];
  });
}

/** logind's RemoveIPC= (default yes): a non-system user's queues vanish when its last session ends. */
export function logindRemoveIpc(root: string): { value: boolean; source: string } {
  let result = { value: true, source: 'systemd default (RemoveIPC=yes)' };
  const files = [
    '/etc/systemd/logind.conf',
    ...['/usr/lib/systemd/logind.conf.d', '/etc/systemd/logind.conf.d'].flatMap((d) =>
      list(root, d)
        .filter((f) => f.endsWith('.conf'))
        .sort()
        .map((f) => `${d}/${f}`),
    ),
  ];
  for (const path of files) {
    const text = read(root, path);
    const m = text && [...text.matchAll(/^\s*RemoveIPC\s*=\s*(\S+)/gm)].pop();
    if (m) result = { value: /^(1|yes|true|on)$/i.test(m[1]!), source: path };
  }
  return result;
}

/** uid of a user in <root>/etc/passwd, or null. */
export function uidOf(root: string, user: string): number | null {
  const passwd = read(root, '/etc/passwd') ?? '';
  const line = passwd.split('\n').find((l) => l.split(':')[0] === user);
  const uid = line ? Number(line.split(':')[2]) : NaN;
  return Number.isInteger(uid) ? uid : null;
}

/** SYS_UID_MAX from login.defs (999 unless changed): above it, logind treats a user as a regular one. */
export function sysUidMax(root: string): number {
  const m = /^\s*SYS_UID_MAX\s+(\d+)/m.exec(read(root, '/etc/login.defs') ?? '');
  return m ? Number(m[1]) : 999;
}

/** Whether --root names an existing directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The highest value each key has in any sysctl file: what a raise-only apply must not undercut. */
export function highestConfiguredSysctls(root: string): Map<string, { value: number; source: string }> {
  const out = new Map<string, { value: number; source: string }>();
  for (const f of sysctlFilesInOrder(root)) {
    for (const [key, text] of f.values) {
      const value = /^\d+$/.test(text) ? Number(text) : NaN;
      if (Number.isSafeInteger(value) && value > (out.get(key)?.value ?? -1)) out.set(key, { value, source: f.path });
    }
  }
  return out;
}

/**
 * limits.conf, then limits.d/*.conf in order: what pam_limits reads. `planned`
 * stands in for the file at its path (an apply about to write it), present or not.
 */
export function limitsFiles(root: string, planned?: ConfigFile): ConfigFile[] {
  const dir = '/etc/security/limits.d';
  const names = new Set(list(root, dir).filter((f) => f.endsWith('.conf')));
  if (planned && dirname(planned.path) === dir) names.add(basename(planned.path));
  const paths = ['/etc/security/limits.conf', ...[...names].sort().map((f) => `${dir}/${f}`)];
  return paths.flatMap((path) => {
    const text = path === planned?.path ? planned.text : read(root, path);
    return text === null ? [] : [{ path, text }];
  });
}

/** A user as pam_limits matches it: its uid and every group it is in (from <root>/etc/passwd and group). */
export function accountOf(root: string, user: string): Account {
  const passwd = (read(root, '/etc/passwd') ?? '').split('\n').map((l) => l.split(':'));
  const entry = passwd.find((f) => f[0] === user);
  const uid = entry && /^\d+$/.test(entry[2] ?? '') ? Number(entry[2]) : null;
  const gid = entry && /^\d+$/.test(entry[3] ?? '') ? Number(entry[3]) : null;
  const groups = (read(root, '/etc/group') ?? '').split('\n').flatMap((l) => {
    const f = l.split(':');
    const members = (f[3] ?? '').split(',').filter(Boolean);
    return f[0] && (members.includes(user) || (gid !== null && Number(f[2]) === gid)) ? [f[0]] : [];
  });
  return { user, uid, groups };
}

/** The files systemd reads for a unit under root, with their text; `planned` as for limitsFiles. */
export function unitFiles(root: string, unit: string, planned?: ConfigFile): ConfigFile[] {
  const text = (p: string) => (p === planned?.path ? planned.text : read(root, p));
  const names = (dir: string) => {
    const found = list(root, dir);
    return planned && dirname(planned.path) === dir && !found.includes(basename(planned.path)) ? [...found, basename(planned.path)] : found;
  };
  return unitFilesInOrder(unit, names, (p) => text(p) !== null).flatMap((path) => {
    const t = text(path);
    return t === null ? [] : [{ path, text: t }];
  });
}

/**
 * The limits an owner ends up with: pam_limits for a login user, systemd for a
 * service. With `planned`: as they will be once that file is written.
 */
export function effectiveLimits(
  root: string,
  owner: { kind: 'user'; user: string } | { kind: 'service'; service: string } | { kind: 'none' },
  planned?: ConfigFile,
): EffectiveLimits {
  switch (owner.kind) {
    case 'user':
      return pamLimits(limitsFiles(root, planned), accountOf(root, owner.user));
    case 'service':
      return systemdLimits(unitFiles(root, owner.service, planned));
    case 'none':
      return { soft: {}, hard: {} };
    default: {
      const never: never = owner;
      throw new Error(`unknown owner ${JSON.stringify(never)}`);
    }
  }
}
