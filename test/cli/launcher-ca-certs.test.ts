// The launcher (bin/mq-doctor.cjs's /bin/sh line) starts every command but the
// daemon without NODE_EXTRA_CA_CERTS, which Node 20 loads before any JavaScript
// runs, and the command puts it back before it starts anything: what the
// preflight execs sees the environment it was given. Node says on stderr when
// it could not load the file; a path that does not exist shows whether it tried.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('a value that is not printable ASCII stays in place, byte for byte (process.env would put back invalid UTF-8 as U+FFFD)', () => {
    // Through sh: a JavaScript string cannot hold the byte 0xE9 alone. od shows what the application got.
    const script = `NODE_EXTRA_CA_CERTS="$(printf '/nonexistent/caf\\351.pem')" exec "$0" preflight --no-measure --ignore MQ-RLIMIT-MSGQUEUE --maxmsg 1 --msgsize 64 -- sh -c 'printf %s "$NODE_EXTRA_CA_CERTS" | od -An -tx1'`;
    const r = run('sh', ['-c', script, BIN], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ').trim()).toBe(Buffer.from('/nonexistent/caf\xe9.pem', 'latin1').toString('hex').replace(/(..)(?!$)/g, '$1 '));
    // Node was given it at start-up, as without the launcher.
    expect(r.stderr).toMatch(TRIED);
  });

  it('with NODE_OPTIONS preloading code it stays in place: the preload runs before the command puts it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqd-ca-preload-'));
    try {
      const preload = join(dir, 'preload.cjs');
      writeFileSync(preload, "require('node:fs').writeSync(2, 'PRELOAD_SEES=' + process.env.NODE_EXTRA_CA_CERTS + '\\n');");
      for (const opts of [`--require ${preload}`, `-r ${preload}`]) {
        const r = run(BIN, ['explain', 'EMFILE'], { NODE_EXTRA_CA_CERTS: MISSING, NODE_OPTIONS: opts });
        expect(r.stderr, opts).toContain(`PRELOAD_SEES=${MISSING}\n`);
        expect(r.stderr, opts).toMatch(TRIED);
      }
      // Options that load nothing leave the launcher free to move it.
      const plain = run(BIN, ['explain', 'EMFILE'], { NODE_EXTRA_CA_CERTS: MISSING, NODE_OPTIONS: '--max-old-space-size=200' });
      expect(plain.stderr).not.toMatch(TRIED);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
