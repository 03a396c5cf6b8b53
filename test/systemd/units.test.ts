// Real systemd-analyze verify on every shipped unit and on rendered drop-ins.
// It exits 0 even for a bad value and only warns, so stderr must be empty.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelEra } from '../../src/model/era.js';
import { deriveSettings } from '../../src/tune/derive.js';
import { ownerOf, parseProfile } from '../../src/tune/profile.js';
import { renderSystemd } from '../../src/tune/render/systemd.js';
import { ROOT } from '../support/run-cli.js';
import { ok } from '../support/snapshot-builder.js';

const analyze = spawnSync('systemd-analyze', ['--version']);
const skip = analyze.error ? `systemd-analyze is not installed (${analyze.error.message})` : null;
if (skip) console.warn(`skipping systemd unit verification: ${skip}`);

function verify(unitPath: string, unitDir?: string) {
  const env = unitDir ? { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:` } : process.env;
  const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8', env });
  return { code: r.status, stderr: r.stderr.trim() };
}

const units = readdirSync(join(ROOT, 'systemd')).filter((f) => f.endsWith('.service'));

describe.skipIf(skip !== null)('systemd units', () => {
  it.each(units)('%s passes systemd-analyze verify with no warning', (unit) => {
    expect(verify(join(ROOT, 'systemd', unit))).toEqual({ code: 0, stderr: '' });
  });

  it('the verification notices a bad value (so a clean result means something)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqd-unit-'));
    writeFileSync(join(dir, 'bad.service'), '[Service]\nExecStart=/bin/true\nLimitMSGQUEUE=abc\n');
    expect(verify(join(dir, 'bad.service')).stderr).toMatch(/Failed to parse resource value/);
  });

  it.each(readdirSync(join(ROOT, 'profiles')).filter((f) => f.endsWith('.json')))(
    'the drop-in rendered for %s is accepted on a real service',
    (file) => {
      const parsed = parseProfile(readFileSync(join(ROOT, 'profiles', file), 'utf8'));
      if (!parsed.ok) throw new Error(file);
      const profile = { ...parsed.profile, owner: { service: 'app.service' } };
      const d = deriveSettings(profile, { era: kernelEra(ok('6.18.44')), wordBits: 64, queuesInUse: 0 });
      if (!d.ok) throw new Error(file);
      const dropIn = renderSystemd({ profile, settings: d.settings, owner: ownerOf(profile), producer: 'test' });
      const dir = mkdtempSync(join(tmpdir(), 'mqd-unit-'));
      writeFileSync(join(dir, 'app.service'), '[Unit]\nDescription=app\n[Service]\nExecStart=/bin/true\n');
      mkdirSync(join(dir, 'app.service.d'));
      writeFileSync(join(dir, 'app.service.d', '60-mq-doctor.conf'), dropIn ?? '[Service]\n');
      expect(verify(join(dir, 'app.service'), dir)).toEqual({ code: 0, stderr: '' });
    },
  );
});

describe('the boot unit', () => {
  const unit = readFileSync(join(ROOT, 'systemd', 'mq-doctor-apply.service'), 'utf8');
  it('runs after systemd-sysctl and before ordinary services', () => {
    expect(unit).toMatch(/^After=.*systemd-sysctl\.service/m);
    expect(unit).toMatch(/^Before=.*sysinit\.target/m);
  });
  it('leaves /proc/sys writable (no ProtectKernelTunables=)', () => {
    expect(unit).not.toMatch(/^ProtectKernelTunables=/m);
  });
});
