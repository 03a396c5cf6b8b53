// The check report where the user stands: the same 3600 × 16384 queue on a host
// (a login user, root with and without CAP_SYS_RESOURCE), in a container, in a
// rootless container on kernels before and after 6.9, and in a systemd service.
// Golden files to review; the README's example is the first one, verbatim.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkArgs, fastParse } from '../../src/cli/args.js';
import { runCheckOn } from '../../src/cli/check.js';
import { CHECKS } from '../../src/model/checks/registry.js';
import type { Snapshot, Surroundings } from '../../src/snapshot.js';
import { schemaErrors, validateCheck } from '../support/schemas.js';
import { type Overrides, snapshot } from '../support/snapshot-builder.js';

const login = { loginUid: 1000, containerMarkers: [], procSysWritable: false };
function granted(by: 'systemd' | 'pam_limits', owner: string, file: string): NonNullable<Surroundings['configured']> {
  const limit = { value: 65_536_000, source: `${file}:2` };
  return { by, owner, soft: { msgqueue: limit }, hard: { msgqueue: { ...limit, source: `${file}:3` } } };
}
const CONTEXTS: Array<[string, Overrides]> = [
  ['host-login-user', { uid: 1000, userName: 'alice', surroundings: login }],
  ['host-root', { uid: 0, sysResource: true, surroundings: { loginUid: 1000, containerMarkers: [], procSysWritable: true } }],
  ['host-root-no-cap-sys-resource', { uid: 0, sysResource: false, surroundings: { loginUid: null, containerMarkers: [], procSysWritable: true } }],
  ['container', { uid: 0, privateIpc: true, surroundings: { loginUid: null, containerMarkers: ['/.dockerenv'], procSysWritable: false } }],
  ['rootless-6.8', { uid: 0, privateIpc: true, initialUserNs: false, release: '6.8.12', surroundings: { loginUid: null, containerMarkers: ['/run/.containerenv'], procSysWritable: false } }],
  ['rootless-6.18', { uid: 0, privateIpc: true, initialUserNs: false, surroundings: { loginUid: null, containerMarkers: ['/run/.containerenv'], procSysWritable: false } }],
  ['systemd-unit', { uid: 998, userName: 'orders', unit: 'orders.service', surroundings: { loginUid: null, containerMarkers: [], procSysWritable: false } }],
  // limits.d grants it, but the process did not come through a PAM login (a shell from before, cron, a daemon).
  ['host-limits-d-granted', { uid: 1000, userName: 'alice', surroundings: { ...login, configured: granted('pam_limits', 'alice', '/etc/security/limits.d/90-mqueue.conf') } }],
  // The unit's drop-in grants it, but the service runs since before it was written.
  ['systemd-unit-granted', { uid: 998, userName: 'orders', unit: 'orders.service', surroundings: { loginUid: null, containerMarkers: [], procSysWritable: false, configured: granted('systemd', 'orders.service', '/etc/systemd/system/orders.service.d/60-mq-doctor.conf') } }],
  // A service of the container's own systemd (an nspawn or podman --systemd container): a drop-in there works.
  ['container-systemd-unit', { uid: 998, userName: 'orders', unit: 'orders.service', privateIpc: true, surroundings: { loginUid: null, containerMarkers: [], procSysWritable: false, systemdInit: true } }],
];
const ARGV = ['--maxmsg', '3600', '--msgsize', '16384'];

const run = (snap: Snapshot, argv: string[]) => runCheckOn(snap, checkArgs(fastParse('check', argv)), null);

describe('check where the user stands', () => {
  it.each(CONTEXTS)('%s: text', async (name, o) => {
    const r = run(snapshot(o), ARGV);
    expect(r.code).toBe(1);
    await expect(r.stdout).toMatchFileSnapshot(`../fixtures/golden/context-${name}.txt`);
  });

  it.each(CONTEXTS)('%s: JSON matches the schema, every check is listed', (_name, o) => {
    const doc = JSON.parse(run(snapshot(o), [...ARGV, '--json']).stdout);
    expect(schemaErrors(validateCheck, doc)).toBe('');
    const ids = doc.checks.map((c: { id: string }) => c.id);
    // The registry's order, each check once: the name checks are not made without --name.
    expect(ids).toEqual(CHECKS.map((c) => c.id).filter((id) => ids.includes(id)));
    expect(ids).toEqual(expect.arrayContaining(['MQ-DESCRIPTOR', 'MQ-EXISTING', 'MQ-KERNEL-RULES', 'MQ-ID-MAPPING', 'MQ-QUEUES-MAX', 'MQ-ATTR', 'MQ-RLIMIT-MSGQUEUE']));
    for (const b of doc.blockers) expect(doc.checks.find((c: { id: string }) => c.id === b.id)?.status).toBe('fail');
  });

  it('the README example is the login user on a host, verbatim, and fits in 30 lines', () => {
    const out = run(snapshot(CONTEXTS[0]![1]), ARGV).stdout;
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```text\n\$ mq-doctor check --maxmsg 3600 --msgsize 16384\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(out);
    expect(out.trimEnd().split('\n').length).toBeLessThanOrEqual(30);
  });

  it('leads with what works here: no sysctl.d inside a container, no raise of a hard limit without CAP_SYS_RESOURCE', () => {
    const container = run(snapshot(CONTEXTS[3]![1]), ARGV).stdout;
    expect(container).not.toMatch(/\/etc\/sysctl\.d\//);
    expect(container).not.toMatch(/^ {2}sysctl -w/m);
    expect(container).toMatch(/^Only whoever starts the container .* can set them/m);
    const noCap = run(snapshot(CONTEXTS[2]![1]), ARGV).stdout;
    const fromHere = /^Fix, from here:\n((?: {2}.*\n)*)/m.exec(noCap)![1]!;
    expect(fromHere).toMatch(/sysctl -w/);
    expect(fromHere).not.toMatch(/ulimit -Hq|prlimit .*--msgqueue/);
    expect(noCap).toMatch(/cannot be raised from here/);
    expect(noCap).toMatch(/queues of at most 49 × 16,384 fit the hard RLIMIT_MSGQUEUE/);
    const withCap = run(snapshot(CONTEXTS[1]![1]), ARGV).stdout;
    expect(withCap).toMatch(/ulimit -Hq 59328000 && ulimit -Sq 59328000/);
    expect(withCap).not.toMatch(/queues of at most/);
  });

  it('rootless: by kernel release, whether the container may set its own fs.mqueue sysctls', () => {
    expect(run(snapshot(CONTEXTS[4]![1]), ARGV).stdout).toMatch(/before 6\.9, 6\.6\.45 and 6\.1\.104\) lets only the host's real root set fs\.mqueue\.\*/);
    expect(run(snapshot(CONTEXTS[5]![1]), ARGV).stdout).toMatch(/rootless podman run --sysctl works/);
  });

  it('a systemd service gets a drop-in, not limits.d', () => {
    const out = run(snapshot(CONTEXTS[6]![1]), ARGV).stdout;
    expect(out).toMatch(/orders\.service: a drop-in \(systemctl edit orders\.service\)/);
    expect(out).toMatch(/LimitMSGQUEUE=59328000:59328000/);
    expect(out).not.toMatch(/limits\.d/);
  });

  it('what the configuration grants already is not offered again: the start is what is wrong', () => {
    const pam = run(snapshot(CONTEXTS[7]![1]), ARGV).stdout;
    expect(pam).toContain('/etc/security/limits.d/90-mqueue.conf:2 already grants alice msgqueue 65536000, but this process has 819,200: pam_limits applies it only at a PAM login');
    expect(pam).not.toMatch(/alice (soft|hard) msgqueue/);
    const unit = run(snapshot(CONTEXTS[8]![1]), ARGV).stdout;
    expect(unit).toContain('/etc/systemd/system/orders.service.d/60-mq-doctor.conf:2 already sets LimitMSGQUEUE=65536000 for orders.service, but the process has 819,200');
    expect(unit).toContain("sudo systemctl daemon-reload && sudo systemctl restart orders.service");
    expect(pam).toContain("sudo -iu alice <the application's command>");
    expect(unit).not.toMatch(/^\s+LimitMSGQUEUE=/m);
  });

  it("a service of the container's own systemd: its drop-in, by root in the container; the runtime only beyond systemd's hard limit", () => {
    const own = run(snapshot(CONTEXTS[9]![1]), ARGV).stdout;
    expect(own).toContain("orders.service is a service of the container's own systemd");
    expect(own).toMatch(/^Only the container's administrator \(root in it\) can:\n {2}# orders\.service: a drop-in.*\n {2}\[Service\]\n {2}LimitMSGQUEUE=59328000:59328000$/m);
    expect(own).toMatch(/can set them \(RLIMIT_MSGQUEUE beyond the hard limit that the container's systemd runs with; RLIMIT_MSGQUEUE: its hard limit 819,200/);
    // The same process without a systemd of the container's own: its unit is not the container's to change.
    const plain = run(snapshot({ ...CONTEXTS[9]![1], surroundings: { loginUid: null, containerMarkers: [], procSysWritable: false } }), ARGV).stdout;
    expect(plain).not.toContain("container's own systemd");
    expect(plain).not.toMatch(/LimitMSGQUEUE=59328000/);
  });
});

describe('the check registry', () => {
  it('every check is one file in src/model/checks and has a README section at its anchor', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const c of CHECKS) {
      expect(c.doc).toBe(`README.md#${c.id.toLowerCase()}`);
      expect(readme, c.id).toMatch(new RegExp(`^#### ${c.id}$`, 'm'));
    }
    const headings = [...readme.matchAll(/^#### (MQ-[A-Z-]+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(CHECKS.map((c) => c.id));
  });
});

describe('check ids', () => {
  it('CHECK_IDS (preflight --ignore, the schema) are the registry, in its order', async () => {
    const { CHECK_IDS } = await import('../../src/model/types.js');
    expect([...CHECK_IDS]).toEqual(CHECKS.map((c) => c.id));
    const schema = JSON.parse(readFileSync(new URL('../../schema/check.schema.json', import.meta.url), 'utf8'));
    expect(schema.definitions.checkId.enum).toEqual([...CHECK_IDS]);
  });
});
