// Reads the configuration that decides what wins at boot: sysctl.d ordering,
// logind's RemoveIPC, users. Everything is read under --root so image trees work.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** sysctl.d(5): same-named files in earlier directories mask later ones. */
const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

export interface SysctlFile {
  path: string;
  values: Map<string, string>;
}

const read = (root: string, path: string): string | null => {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return null;
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

type RlimitKey = 'RLIMIT_MSGQUEUE' | 'RLIMIT_NOFILE';
const ITEM: Record<string, RlimitKey> = { msgqueue: 'RLIMIT_MSGQUEUE', nofile: 'RLIMIT_NOFILE', LimitMSGQUEUE: 'RLIMIT_MSGQUEUE', LimitNOFILE: 'RLIMIT_NOFILE' };

/** "unlimited", "infinity" and "-1" all mean no limit. */
const limitNumber = (v: string): number => (/^(unlimited|infinity|-1)$/i.test(v) ? Infinity : /^\d+$/.test(v) ? Number(v) : NaN);

/**
 * The highest hard RLIMIT_MSGQUEUE / RLIMIT_NOFILE already configured for an
 * owner: limits.conf and limits.d lines for a user (its name or "*"), the unit
 * file and its drop-ins for a service.
 */
export function highestConfiguredRlimits(
  root: string,
  owner: { kind: 'user'; user: string } | { kind: 'service'; service: string } | { kind: 'none' },
): Partial<Record<RlimitKey, { value: number; source: string }>> {
  const out: Partial<Record<RlimitKey, { value: number; source: string }>> = {};
  const note = (key: RlimitKey | undefined, value: number, source: string) => {
    if (key && !Number.isNaN(value) && value > (out[key]?.value ?? -1)) out[key] = { value, source };
  };
  if (owner.kind === 'user') {
    const files = ['/etc/security/limits.conf', ...list(root, '/etc/security/limits.d').filter((f) => f.endsWith('.conf')).sort().map((f) => `/etc/security/limits.d/${f}`)];
    for (const path of files) {
      for (const line of (read(root, path) ?? '').split('\n')) {
        const [domain, type, item, value] = line.trim().split(/\s+/);
        if (!value || line.trim().startsWith('#') || (domain !== owner.user && domain !== '*') || (type !== 'hard' && type !== '-')) continue;
        note(ITEM[item!], limitNumber(value), path);
      }
    }
  } else if (owner.kind === 'service') {
    const dirs = ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
    const files = dirs.flatMap((d) => [
      `${d}/${owner.service}`,
      ...list(root, `${d}/${owner.service}.d`).filter((f) => f.endsWith('.conf')).map((f) => `${d}/${owner.service}.d/${f}`),
    ]);
    for (const path of files) {
      for (const m of (read(root, path) ?? '').matchAll(/^\s*(LimitMSGQUEUE|LimitNOFILE)\s*=\s*(?:[^:\s]+:)?(\S+)\s*$/gm)) note(ITEM[m[1]!], limitNumber(m[2]!), path);
    }
  }
  return out;
}
