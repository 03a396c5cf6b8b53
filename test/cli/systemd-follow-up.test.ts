// What apply and rollback say and do about systemd after changing a drop-in.
// The reload itself, at boot and before the service's first start, is tested
// under a real systemd in test/boot/boot.test.ts.
import { describe, expect, it } from 'vitest';
import { followUpAfter, type SystemdAccess, systemdFollowUp, unitOfDropIn } from '../../src/cli/systemd-follow-up.js';
import { ceilingOf, isTemplate, parseUnitList, parseUnitShow, type SystemdHere, type UnitState } from '../../src/probe/systemd.js';
import { have, unavailable } from '../../src/snapshot.js';
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
    expect(parseUnitShow('LoadState=loaded\nActiveState=active\nMainPID=812\nNeedDaemonReload=no\n')).toEqual({ active: 'active', mainPid: 812, needsReload: false, load: 'loaded' });
    expect(parseUnitShow('MainPID=0\nNeedDaemonReload=yes\nActiveState=inactive\nLoadState=not-found\n')).toEqual({ active: 'inactive', mainPid: null, needsReload: true, load: 'not-found' });
  });
  it('is undefined without an ActiveState (not systemctl show output)', () => {
    expect(parseUnitShow('')).toBeUndefined();
    expect(parseUnitShow('MainPID=3\n')).toBeUndefined();
  });
});

/** A systemd to talk to: units as systemctl show would describe them, and a log of what was asked. */
function fakeSystemd(units: Record<string, Partial<UnitState> | string>, opts: { here?: SystemdHere; reload?: string; instances?: Record<string, string[] | string> } = {}) {
  const asked: string[] = [];
  let reloaded = false;
  const sys: SystemdAccess = {
    here: () => opts.here ?? 'running',
    unitState: (u) => {
      asked.push(u);
      const s = units[u];
      if (typeof s === 'string') return unavailable(s);
      // As systemctl show answers for a name systemd cannot load as a unit (a template, say).
      if (s === undefined) return unavailable(`systemctl show ${u} failed: Unit name ${u} is missing the instance name.`);
      // After a reload, systemd has what is on disk.
      return have({ active: 'inactive', mainPid: null, load: 'loaded', ...s, needsReload: reloaded ? false : (s?.needsReload ?? false) });
    },
    instances: (t) => {
      asked.push(`instances ${t}`);
      const i = opts.instances?.[t] ?? [];
      return typeof i === 'string' ? unavailable(i) : have(i);
    },
    daemonReload: () => {
      asked.push('daemon-reload');
      if (opts.reload) return { ok: false, error: opts.reload };
      reloaded = true;
      return { ok: true };
    },
  };
  return { sys, asked };
}

describe('systemdFollowUp', () => {
  it('says nothing when no drop-in of mq-doctor\'s is involved', () => {
    expect(systemdFollowUp('/', { changed: [], inPlace: [] })).toEqual({ lines: [], ok: true });
  });

  it('never reloads for another root: that system loads the drop-in at its own boot', () => {
    const { sys, asked } = fakeSystemd({});
    expect(systemdFollowUp('/srv/image', { changed: ['a.service'], inPlace: ['a.service'] }, sys)).toEqual({
      lines: ['systemd:', "  no reload  /srv/image is not this system: a.service gets the drop-in when that system's systemd loads its units (boot, daemon-reload)"],
      ok: true,
    });
    expect(asked).toEqual([]);
  });

  it.each([
    ['absent', 'systemd is not running here (no /run/systemd/system)'],
    ['chroot', 'this is a chroot (/ is not the root of PID 1, and systemctl ignores requests from one)'],
  ] as const)('systemd %s: no reload, and says when the drop-in is read', (here, why) => {
    const { sys, asked } = fakeSystemd({}, { here });
    expect(systemdFollowUp('/', { changed: ['a.service'], inPlace: ['a.service', 'b.service'] }, sys).lines).toEqual([
      'systemd:',
      `  no reload  ${why}: a.service, b.service get the drop-in when systemd next loads its units (boot)`,
    ]);
    expect(asked).toEqual([]);
  });

  it('a changed drop-in: reloads, then names the running service to restart and the stopped one that is fine', () => {
    const { sys, asked } = fakeSystemd({ 'a.service': { active: 'active', mainPid: 812 }, 'b.service': { active: 'inactive' } });
    expect(systemdFollowUp('/', { changed: ['a.service'], inPlace: ['a.service', 'b.service'] }, sys)).toEqual({
      lines: [
        'systemd:',
        '  reloaded   systemctl daemon-reload (the drop-in of a.service changed)',
        '  restart    a.service is active (PID 812) with the limits it started with: systemctl restart a.service',
        '  ok         b.service is inactive: its next start gets the new limits',
      ],
      ok: true,
    });
    expect(asked).toContain('daemon-reload');
  });

  it('nothing changed but systemd holds older unit files (NeedDaemonReload=yes): reloads for that', () => {
    const { sys } = fakeSystemd({ 'a.service': { needsReload: true } });
    expect(systemdFollowUp('/', { changed: [], inPlace: ['a.service'] }, sys).lines.slice(1, 2)).toEqual([
      '  reloaded   systemctl daemon-reload (a.service: unit files changed on disk since systemd loaded them)',
    ]);
  });

  it('nothing changed and nothing stale: no reload; a unit systemd could not be asked about is said to be unknown', () => {
    const { sys, asked } = fakeSystemd({ 'a.service': {}, 'b.service': 'systemctl show b.service failed: exit 1' });
    expect(systemdFollowUp('/', { changed: [], inPlace: ['a.service', 'b.service'] }, sys).lines).toEqual([
      'systemd:',
      '  no reload  the drop-in of a.service is unchanged, and systemd has it loaded',
      '  unknown    whether systemd has the drop-in of b.service loaded: systemctl show b.service failed: exit 1; `systemctl daemon-reload` makes sure',
    ]);
    expect(asked).not.toContain('daemon-reload');
  });

  it('a unit systemd does not know: says so, not that its next start is fine', () => {
    const { sys } = fakeSystemd({ 'typo.service': { load: 'not-found' } });
    expect(systemdFollowUp('/', { changed: ['typo.service'], inPlace: ['typo.service'] }, sys).lines.at(-1)).toBe(
      '  missing    typo.service: systemd has no such unit (a typo in the profile\'s owner, or a unit not installed yet): the drop-in applies once it exists',
    );
  });

  it("a template's drop-in is its instances': each running one is to restart; without instances, each gets it at its start", () => {
    const { sys } = fakeSystemd(
      { 'w@1.service': { active: 'active', mainPid: 41 }, 'w@2.service': { active: 'failed' } },
      { instances: { 'w@.service': ['w@1.service', 'w@2.service'], 'idle@.service': [], 'odd@.service': 'systemctl list-units odd@*.service failed: exit 1' } },
    );
    expect(systemdFollowUp('/', { changed: ['w@.service', 'idle@.service', 'odd@.service'], inPlace: [] }, sys).lines.slice(2)).toEqual([
      '  restart    w@1.service is active (PID 41) with the limits it started with: systemctl restart w@1.service',
      '  ok         w@2.service is failed: its next start gets the new limits',
      '  ok         no instance of idle@.service is loaded: each gets the new limits at its start',
      '  unknown    which instances of odd@.service run: systemctl list-units odd@*.service failed: exit 1',
    ]);
  });

  it("a template's unchanged drop-in: stale or not by its instances (systemd loads no template), never by asking for the template", () => {
    const instances = { 'w@.service': ['w@1.service'] };
    const fresh = fakeSystemd({ 'w@1.service': { active: 'active', mainPid: 41 } }, { instances });
    expect(systemdFollowUp('/', { changed: [], inPlace: ['w@.service'] }, fresh.sys).lines).toEqual(['systemd:', '  no reload  the drop-in of w@.service is unchanged, and systemd has it loaded']);
    expect(fresh.asked).not.toContain('w@.service');
    const stale = fakeSystemd({ 'w@1.service': { active: 'active', mainPid: 41, needsReload: true } }, { instances });
    expect(systemdFollowUp('/', { changed: [], inPlace: ['w@.service'] }, stale.sys).lines.slice(1)).toEqual([
      '  reloaded   systemctl daemon-reload (w@.service: unit files changed on disk since systemd loaded them)',
      '  restart    w@1.service is active (PID 41) with the limits it started with: systemctl restart w@1.service',
    ]);
  });

  it('an instance named beside its template is listed once', () => {
    const { sys } = fakeSystemd({ 'w@1.service': {} }, { instances: { 'w@.service': ['w@1.service'] } });
    expect(systemdFollowUp('/', { changed: ['w@.service', 'w@1.service'], inPlace: [] }, sys).lines.filter((l) => l.includes('w@1.service') && !l.startsWith('  reloaded'))).toHaveLength(1);
  });

  it('unchanged, but the unit is unknown to systemd or masked: says that, not that it is loaded', () => {
    const { sys } = fakeSystemd({ 'typo.service': { load: 'not-found' }, 'off.service': { load: 'masked' } });
    expect(systemdFollowUp('/', { changed: [], inPlace: ['typo.service', 'off.service'] }, sys).lines).toEqual([
      'systemd:',
      "  missing    typo.service: systemd has no such unit (a typo in the profile's owner, or a unit not installed yet): the drop-in applies once it exists",
      '  masked     off.service: it does not start at all until unmasked (systemctl unmask off.service); then it gets the new limits',
    ]);
  });

  it('parseUnitList and isTemplate read systemctl list-units and unit names as systemd writes them', () => {
    expect(parseUnitList('w@1.service loaded active running Worker 1\nw@2.service loaded failed failed Worker 2\n')).toEqual(['w@1.service', 'w@2.service']);
    expect(parseUnitList('')).toEqual([]);
    expect(['w@.service', 'w@1.service', 'w.service', 'a/b@.service'].map(isTemplate)).toEqual([true, false, false, false]);
  });

  it('a failed reload fails the run and says what to run by hand, for the changed drop-in alone', () => {
    const { sys } = fakeSystemd({ 'a.service': {}, 'b.service': {} }, { reload: 'Access denied' });
    expect(systemdFollowUp('/', { changed: ['a.service'], inPlace: ['a.service', 'b.service'] }, sys)).toEqual({
      lines: ['systemd:', '  FAILED     systemctl daemon-reload: Access denied. Until it runs, a.service starts with the old limits: run it by hand'],
      ok: false,
    });
  });

  it('--no-live: the files only, no reload, and what that leaves for the changed drop-in alone', () => {
    const { sys, asked } = fakeSystemd({ 'a.service': {}, 'b.service': {} });
    expect(systemdFollowUp('/', { changed: ['a.service'], inPlace: ['a.service', 'b.service'], reload: false }, sys).lines).toEqual([
      'systemd:',
      '  no reload  --no-live (the files only): until `systemctl daemon-reload`, a.service gets the old limits at its next start',
    ]);
    expect(systemdFollowUp('/', { changed: [], inPlace: ['b.service'], reload: false }, sys).lines).toEqual(['systemd:', '  no reload  --no-live, and the drop-in of b.service is unchanged']);
    expect(asked).toEqual([]);
  });

  it('a drop-in the run did not write is not reported as loaded', () => {
    const { sys, asked } = fakeSystemd({});
    expect(systemdFollowUp('/', { changed: [], inPlace: [], notWritten: ['a.service'] }, sys).lines).toEqual([
      'systemd:',
      '  no reload  the drop-in of a.service was not written (above): nothing of it for systemd to load',
    ]);
    expect(asked).toEqual([]);
  });
});

describe('followUpAfter', () => {
  it("takes the writer's report: changed drop-ins reload, unchanged ones are in place, failed and skipped ones were not written", () => {
    const { sys } = fakeSystemd({ 'a.service': {}, 'b.service': {}, 'c.service': {}, 'd.service': {} });
    const lines = followUpAfter(
      '/',
      [
        { path: FILES.sysctl, action: 'replaced' },
        { path: FILES.dropIn('a.service'), action: 'created' },
        { path: FILES.dropIn('b.service'), action: 'unchanged' },
        { path: FILES.dropIn('c.service'), action: 'failed', error: 'EROFS: read-only file system' },
        { path: FILES.dropIn('d.service'), action: 'skipped', reason: 'not attempted' },
      ],
      true,
      sys,
    ).lines;
    expect(lines).toEqual([
      'systemd:',
      '  no reload  the drop-in of c.service was not written (above): nothing of it for systemd to load',
      '  no reload  the drop-in of d.service was not written (above): nothing of it for systemd to load',
      '  reloaded   systemctl daemon-reload (the drop-in of a.service changed)',
      '  ok         a.service is inactive: its next start gets the new limits',
      '  ok         b.service is inactive: its next start gets the new limits',
    ]);
  });
});

describe('ceilingOf: what systemd (PID 1) can give a service', () => {
  const limits = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1073741816           1073741816           files\nMax msgqueue size         819200               819200               bytes\n';
  const withCap = 'Name:\tsystemd\nCapEff:\t000001ffffffffff\n';
  const withoutCap = 'Name:\tsystemd\nCapEff:\t00000000a80425fb\n';
  const initial = have({ inode: 0xeffffffd, initial: true });
  const child = have({ inode: 4026532300, initial: false });
  const unreadable = unavailable('cannot read /proc/1/ns/user (EACCES)');

  it('CAP_SYS_RESOURCE counts in the initial user namespace only', () => {
    expect(ceilingOf(limits, withCap, initial, initial)).toEqual(have({ msgqueueHard: 819200, nofileHard: 1073741816, sysResource: true }));
    expect(ceilingOf(limits, withCap, child, child)).toMatchObject({ ok: true, value: { sysResource: false } });
    expect(ceilingOf(limits, withoutCap, initial, initial)).toMatchObject({ ok: true, value: { sysResource: false } });
  });

  it("where PID 1's user namespace cannot be read (no CAP_SYS_PTRACE, as in the apply unit), ours stands for it", () => {
    expect(ceilingOf(limits, withCap, unreadable, initial)).toMatchObject({ ok: true, value: { sysResource: true } });
    expect(ceilingOf(limits, withCap, unreadable, child)).toMatchObject({ ok: true, value: { sysResource: false } });
  });
});
