import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/mq-doctor.cjs`;

export function runCli(args: string[], opts: SpawnSyncOptions = {}) {
  // Room for `limits --json` on a machine where some other IPC namespace holds 10,000 queues (3 MB; spawnSync's default is 1 MB).
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024, ...opts });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs a shell script in a fresh private IPC + mount namespace. */
export function inNamespace(script: string, opts: SpawnSyncOptions = {}) {
  const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'bash', '-c', script], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    cwd: ROOT,
    ...opts,
  });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Why namespace tests cannot run here, or null when they can. */
export function namespaceSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for unshare --ipc --mount';
  const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'true']);
  if (r.error || r.status !== 0) return `unshare --ipc --mount does not work here (${r.error?.message ?? String(r.stderr).trim()})`;
  return null;
}
