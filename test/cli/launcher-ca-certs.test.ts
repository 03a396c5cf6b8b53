// The launcher (bin/mq-doctor.cjs's /bin/sh line) starts every command but the
// daemon without NODE_EXTRA_CA_CERTS, which Node 20 loads before any JavaScript
// runs, and the command puts it back before it starts anything: what the
// preflight execs sees the environment it was given. Node says on stderr when
// it could not load the file; a path that does not exist shows whether it tried.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../support/run-cli.js';

const MISSING = '/nonexistent/mq-doctor-test-ca.pem';
const TRIED = /Ignoring extra certs from/;

function run(file: string, args: string[], env: Record<string, string | undefined>) {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  delete merged.NODE_EXTRA_CA_CERTS;
  delete merged.MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 30_000, env: merged });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// What a command started by the preflight sees: the variable's value, or "unset"; and the launcher's own variable.
const CHILD = ['sh', '-c', 'printf "%s|%s" "${NODE_EXTRA_CA_CERTS-unset}" "${MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS-unset}"'];
const preflight = (env: Record<string, string | undefined>) =>
  run(BIN, ['preflight', '--no-measure', '--ignore', 'MQ-RLIMIT-MSGQUEUE', '--maxmsg', '1', '--msgsize', '64', '--', ...CHILD], env);

describe('the launcher and NODE_EXTRA_CA_CERTS', () => {
  it('node itself loads the file at start-up (so the checks below can tell)', () => {
    expect(run(process.execPath, ['-e', '0'], { NODE_EXTRA_CA_CERTS: MISSING }).stderr).toMatch(TRIED);
  });

  it('check starts without it', () => {
    const r = run(BIN, ['check', '--maxmsg', '1', '--msgsize', '64'], { NODE_EXTRA_CA_CERTS: MISSING });
    expect([0, 1, 3], r.stderr).toContain(r.code);
    expect(r.stderr).not.toMatch(TRIED);
  });

  it('the daemon keeps it (its TLS server may verify clients against the default store)', () => {
    const r = run(BIN, ['watch', '--help'], { NODE_EXTRA_CA_CERTS: MISSING });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(TRIED);
  });

  it('what the preflight starts gets it back as it was', () => {
    const r = preflight({ NODE_EXTRA_CA_CERTS: MISSING });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(TRIED);
    expect(r.stdout).toBe(`${MISSING}|unset`);
  });

  it('set and empty stays set and empty', () => {
    const r = preflight({ NODE_EXTRA_CA_CERTS: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('|unset');
  });

  it('unset stays unset, whatever the caller put in the launcher\'s own variable', () => {
    const r = preflight({ MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS: MISSING });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('unset|unset');
  });
});
