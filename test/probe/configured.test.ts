// What the configuration grants the target, read the way pam_limits reads it: in a
// private mount namespace, a tmpfs over /etc/security/limits.d holds the lines, and
// mq-doctor (as root, uid 0 matched by name) reports them with file and line.
// What the check report makes of them: test/cli/contexts.test.ts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, namespaceSkipReason, ROOT } from '../support/run-cli.js';

const WHY = namespaceSkipReason() ?? (spawnSync('test', ['-d', '/etc/security/limits.d']).status === 0 ? null : 'no /etc/security/limits.d to mount over');
if (WHY) console.log(`configured.test.ts skipped: ${WHY}`);

/** mq-doctor under a private mount namespace whose limits.d holds `conf`. */
function withLimitsD(conf: string, args: string[]) {
  const script = `mount -t tmpfs none /etc/security/limits.d && printf '%s' "$CONF" > /etc/security/limits.d/90-mqueue.conf && exec "$NODE" "$BIN" "$@"`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--fork', 'sh', '-c', script, 'sh', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, CONF: conf, NODE: process.execPath, BIN },
  });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe.skipIf(WHY !== null)('the limits the configuration grants, from the real files', () => {
  const conf = '# the application\nroot soft msgqueue 65536000\nroot hard msgqueue unlimited\n* soft nofile 4096\n';

  it('limits --json: pam_limits\' values for the user, each with its file and line', () => {
    const r = withLimitsD(conf, ['limits', '--json']);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    const s = doc.snapshot.target.surroundings.value;
    if (doc.snapshot.target.systemdUnit.ok) {
      // Run from a service: its unit decides, and limits.d is not what it reads.
      expect(s.configured.by).toBe('systemd');
      return;
    }
    expect(s.configured).toEqual({
      by: 'pam_limits',
      owner: 'root',
      soft: { msgqueue: { value: 65_536_000, source: '/etc/security/limits.d/90-mqueue.conf:2' } },
      // "*" never applies to root (limits.conf(5)): no nofile.
      hard: { msgqueue: { value: 'unlimited', source: '/etc/security/limits.d/90-mqueue.conf:3' } },
    });
  });
});
