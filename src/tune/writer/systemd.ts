// systemd reads unit files and drop-ins only when it loads units (at boot and on
// daemon-reload): a drop-in apply wrote is not in effect until then. Part of the
// writer, the only code that changes the system.
import { spawnSync } from 'node:child_process';
import { log } from '../../log.js';

export function daemonReload(): { ok: true } | { ok: false; error: string } {
  const r = spawnSync('systemctl', ['daemon-reload'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, error: `systemctl could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, error: r.stderr.trim() || `systemctl daemon-reload exited ${r.status ?? `on ${r.signal}`}` };
  log.info({ command: 'systemctl daemon-reload' }, 'systemd reloaded its units');
  return { ok: true };
}
