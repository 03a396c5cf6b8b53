// What apply and rollback say and do about systemd after changing a drop-in.
// The reload itself, at boot and before the service's first start, is tested
// under a real systemd in test/boot/boot.test.ts.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { systemdFollowUp, unitOfDropIn } from '../../src/cli/systemd-follow-up.js';
import { parseUnitShow } from '../../src/probe/systemd.js';
import { FILES } from '../../src/tune/render/common.js';

describe('unitOfDropIn', () => {
  it('is the unit of mq-doctor\'s own drop-in path, and null for any other file', () => {
    expect(unitOfDropIn(FILES.dropIn('ipcqueue-app.service'))).toBe('ipcqueue-app.service');
    expect(unitOfDropIn(FILES.dropIn('app@worker.service'))).toBe('app@worker.service');
    expect(unitOfDropIn('/etc/systemd/system/a.service.d/50-other.conf')).toBeNull();
    expect(unitOfDropIn('/etc/systemd/system/a/b.service.d/60-mq-doctor.conf')).toBeNull();
    expect(unitOfDropIn(FILES.sysctl)).toBeNull();
    expect(unitOfDropIn(FILES.limits)).toBeNull();
  });
});

describe('parseUnitShow', () => {
  it('reads ActiveState, MainPID and NeedDaemonReload as systemctl show prints them', () => {
    expect(parseUnitShow('ActiveState=active\nMainPID=812\nNeedDaemonReload=no\n')).toEqual({ active: 'active', mainPid: 812, needsReload: false });
    expect(parseUnitShow('MainPID=0\nNeedDaemonReload=yes\nActiveState=inactive\n')).toEqual({ active: 'inactive', mainPid: null, needsReload: true });
  });
  it('is undefined without an ActiveState (not systemctl show output)', () => {
    expect(parseUnitShow('')).toBeUndefined();
    expect(parseUnitShow('MainPID=3\n')).toBeUndefined();
  });
});

describe('systemdFollowUp', () => {
  it('says nothing when no drop-in of mq-doctor\'s is involved', () => {
    expect(systemdFollowUp('/', [], [])).toEqual({ lines: [], ok: true });
  });
  it('never reloads for another root: that system loads the drop-in at its own boot', () => {
    expect(systemdFollowUp('/srv/image', ['a.service'], ['a.service'])).toEqual({
      lines: ['systemd:', "  no reload  /srv/image is not this system: a.service gets the drop-in when that system's systemd loads its units (boot, daemon-reload)"],
      ok: true,
    });
  });
  it.skipIf(existsSync('/run/systemd/system'))('without systemd as init (here): says so, and that the next boot loads it (skipped where systemd is PID 1)', () => {
    expect(systemdFollowUp('/', ['a.service'], ['a.service', 'b.service'])).toEqual({
      lines: ['systemd:', '  no reload  systemd is not running here (no /run/systemd/system): a.service, b.service get the drop-in when systemd next loads its units (boot)'],
      ok: true,
    });
  });
});
