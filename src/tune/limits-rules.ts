// Pure: which RLIMIT_MSGQUEUE / RLIMIT_NOFILE a user's login session, or a
// systemd service, ends up with, by the rules of the programs that set them.
// apply and verify both read the files through this, so they always agree.
//
// pam_limits (limits.conf(5)): /etc/security/limits.conf first, then every
// limits.d/*.conf in order; a line for the user beats one for its group, which
// beats "*"; among equals the later line wins; "-" sets soft and hard; "*" and
// groups never apply to root. systemd (systemd.unit(5)): the unit file, then
// its drop-ins sorted by file name over /etc, /run and /usr/lib (a name in an
// earlier directory masks the same name later); the last assignment wins;
// "LimitX=soft:hard", or one value for both.

export type LimitItem = 'msgqueue' | 'nofile';
export const LIMIT_ITEMS: readonly LimitItem[] = ['msgqueue', 'nofile'];

/** A limit value: bytes or descriptors, or no limit. */
export type LimitValue = number | 'unlimited';

export interface Effective {
  value: LimitValue;
  /** The file (and line) it comes from. */
  source: string;
}

export interface EffectiveLimits {
  soft: Partial<Record<LimitItem, Effective>>;
  hard: Partial<Record<LimitItem, Effective>>;
}

export interface ConfigFile {
  path: string;
  text: string;
}

export function parseLimitValue(text: string): LimitValue | undefined {
  if (/^(unlimited|infinity|-1)$/i.test(text)) return 'unlimited';
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface LimitsLine {
  domain: string;
  type: 'soft' | 'hard' | '-';
  item: string;
  value: string;
  line: number;
}

export function parseLimitsLines(text: string): LimitsLine[] {
  const out: LimitsLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [domain, type, item, value] = line.split(/\s+/);
    if (!domain || !item || value === undefined || (type !== 'soft' && type !== 'hard' && type !== '-')) return;
    out.push({ domain, type, item, value, line: i + 1 });
  });
  return out;
}

export interface Account {
  user: string;
  uid: number | null;
  /** Every group the user is in (primary and supplementary), by name. */
  groups: string[];
}

/** How specific a line's domain is for this account (lower wins); undefined: it does not apply. */
function specificity(domain: string, who: Account): number | undefined {
  if (domain === who.user) return 0;
  const range = /^(\d*):(\d*)$/.exec(domain);
  if (range && who.uid !== null) {
    // "uid" and "uid:uid" name the user; a real range is like a group.
    const lo = range[1] === '' ? 0 : Number(range[1]);
    const hi = range[2] === '' ? Infinity : Number(range[2]);
    if (who.uid >= lo && who.uid <= hi) return lo === hi ? 0 : 1;
    return undefined;
  }
  // Groups and "*" never apply to root (limits.conf(5)).
  if (who.uid === 0 || who.user === 'root') return undefined;
  if (domain.startsWith('@') && who.groups.includes(domain.slice(1))) return 1;
  if (domain === '*') return 3;
  return undefined;
}

/** A user's limits after pam_limits reads `files` (limits.conf first, then limits.d in order). */
export function pamLimits(files: ConfigFile[], who: Account): EffectiveLimits {
  const out: EffectiveLimits = { soft: {}, hard: {} };
  const rank: Record<'soft' | 'hard', Partial<Record<LimitItem, number>>> = { soft: {}, hard: {} };
  for (const f of files) {
    for (const l of parseLimitsLines(f.text)) {
      if (!(LIMIT_ITEMS as readonly string[]).includes(l.item)) continue;
      const item = l.item as LimitItem;
      const spec = specificity(l.domain, who);
      const value = parseLimitValue(l.value);
      if (spec === undefined || value === undefined) continue;
      for (const kind of l.type === '-' ? (['soft', 'hard'] as const) : [l.type]) {
        const seen = rank[kind][item];
        // A more specific domain wins; among equals the later line does.
        if (seen !== undefined && spec > seen) continue;
        rank[kind][item] = spec;
        out[kind][item] = { value, source: `${f.path}:${l.line}` };
      }
    }
  }
  return out;
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** The files systemd reads for a unit, in order: the unit file (first found), then its drop-ins by name. */
export function unitFilesInOrder(unit: string, list: (dir: string) => string[], exists: (path: string) => boolean): string[] {
  const unitFile = UNIT_DIRS.map((d) => `${d}/${unit}`).find(exists);
  const dropIns = new Map<string, string>();
  for (const d of UNIT_DIRS) {
    for (const name of list(`${d}/${unit}.d`).filter((n) => n.endsWith('.conf')).sort()) if (!dropIns.has(name)) dropIns.set(name, `${d}/${unit}.d/${name}`);
  }
  return [...(unitFile ? [unitFile] : []), ...[...dropIns.keys()].sort().map((n) => dropIns.get(n)!)];
}

/** A service's LimitMSGQUEUE= / LimitNOFILE= after every file in `files` (in systemd's order). */
export function systemdLimits(files: ConfigFile[]): EffectiveLimits {
  const out: EffectiveLimits = { soft: {}, hard: {} };
  for (const f of files) {
    let section = '';
    f.text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) return;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        section = sec[1]!;
        return;
      }
      const m = /^Limit(MSGQUEUE|NOFILE)\s*=\s*(.*)$/.exec(line);
      if (!m || section !== 'Service') return;
      const item: LimitItem = m[1] === 'MSGQUEUE' ? 'msgqueue' : 'nofile';
      const source = `${f.path}:${i + 1}`;
      if (m[2] === '') {
        // An empty assignment resets to the default.
        delete out.soft[item];
        delete out.hard[item];
        return;
      }
      const [softText, hardText] = m[2]!.includes(':') ? m[2]!.split(':') : [m[2]!, m[2]!];
      const soft = parseLimitValue(softText!.trim());
      const hard = parseLimitValue(hardText!.trim());
      if (soft !== undefined) out.soft[item] = { value: soft, source };
      if (hard !== undefined) out.hard[item] = { value: hard, source };
    });
  }
  return out;
}

/** Whether a limit value meets a need. */
export const atLeast = (v: LimitValue | undefined, need: number): boolean => v !== undefined && (v === 'unlimited' || v >= need);
