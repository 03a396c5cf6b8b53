// systemd-logind's RemoveIPC= (default yes): when a regular user's last
// session ends, logind removes every System V object and POSIX queue that user
// owns. Read from logind.conf and its drop-ins, in systemd's order; absent
// when systemd is not running (a container, another init).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Avail, have, type RemoveIpc, unavailable } from '../snapshot.js';
import { read } from './config-files.js';

/** systemd's drop-in directories for logind.conf, lowest priority first. */
const CONF = '/etc/systemd/logind.conf';
const DROP_IN_DIRS = ['/usr/lib/systemd/logind.conf.d', '/usr/local/lib/systemd/logind.conf.d', '/run/systemd/logind.conf.d', '/etc/systemd/logind.conf.d'];

function lastRemoveIpc(text: string): boolean | undefined {
  let v: boolean | undefined;
  let inLogin = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inLogin = line === '[Login]';
    const m = inLogin ? /^RemoveIPC\s*=\s*(\S+)/i.exec(line) : null;
    if (m) v = /^(1|yes|true|on)$/i.test(m[1]!);
  }
  return v;
}

/** SYS_UID_MAX of /etc/login.defs: logind spares uids up to it (system users). */
function systemUidMax(root: string): number {
  const defs = read(root, '/etc/login.defs') ?? '';
  const m = /^\s*SYS_UID_MAX\s+(\d+)/m.exec(defs);
  return m ? Number(m[1]) : 999;
}

export function probeRemoveIpc(root = '/'): Avail<RemoveIpc> {
  if (!existsSync(join(root, '/run/systemd/system'))) return unavailable('systemd is not running here');
  let removeIpc = true;
  let source = 'systemd-logind default';
  const files = [CONF];
  const byName = new Map<string, string>();
  for (const dir of DROP_IN_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, dir)).filter((n) => n.endsWith('.conf'));
    } catch {
      // no such directory
    }
    for (const n of names) byName.set(n, `${dir}/${n}`);
  }
  files.push(...[...byName.keys()].sort().map((n) => byName.get(n)!));
  for (const f of files) {
    const v = lastRemoveIpc(read(root, f) ?? '');
    if (v !== undefined) {
      removeIpc = v;
      source = f;
    }
  }
  return have({ removeIpc, systemUidMax: systemUidMax(root), source });
}
