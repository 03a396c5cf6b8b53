// The boot path on a real systemd (PID 1 of a systemd-nspawn container, its own
// IPC namespace): the shipped units as installed, booted, and what each boot
// saw, recorded from inside by a unit of the test's own. Each test boots a fresh
// copy of one Debian root made for the whole run (test/boot/lib/machine.ts).
//
// This machine's PID 1 has no CAP_SYS_RESOURCE, and neither has the container's:
// a service cannot start with a hard RLIMIT_MSGQUEUE above 819200 here. Where
// the profile needs more, `systemctl show -p LimitMSGQUEUE` is what the service
// would get; RLIMIT_NOFILE (within the hard limit) is seen in a running
// service's own /proc/self/limits.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testUids } from '../kernel/lib/uids.js';
import { bootSkipReason, debianRoot, Machine, PKG, PKG_IN } from './lib/machine.js';

const skip = bootSkipReason();
const APP = 'ipcqueue-app.service';
const SHIPPED = JSON.parse(readFileSync(`${PKG}/profiles/ipcqueue-3600x16384.json`, 'utf8')) as { owner: { service: string } };
const [QUEUE_UID, TRAP_UID, SESSION_UID] = testUids(3, 9);

/** props of `systemctl show` output as a map. */
const props = (text: string) => new Map(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));

/** The shell lines that record a unit's state and its journal of this boot. */
const recordUnit = (unit: string, as: string) =>
  `systemctl show -p ActiveState -p Result -p ExecMainStatus ${unit} > ${as}-state\njournalctl -b -q -o cat -u ${unit} > ${as}-journal || true`;

/** The lines mq-doctor printed (its journal without pino's JSON records and systemd's own lines). */
const printed = (journal: string) => journal.split('\n').filter((l) => !l.startsWith('{') && !/^(Starting|Finished|Started|Stopped) /.test(l) && !/: (Main process exited|Failed with result)/.test(l));

describe.skipIf(skip !== null)(`the boot path on a real systemd${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let base: string;
  const machines: Machine[] = [];
  const fresh = () => {
    const m = new Machine(base);
    machines.push(m);
    return m;
  };

  beforeAll(() => {
    const r = debianRoot();
    if ('error' in r) throw new Error(`no Debian root to boot: ${r.error}`);
    base = r.dir;
    if (r.built) console.log(`boot tests: Debian root made by debootstrap in ${(r.ms / 1000).toFixed(1)} s`);
  }, 660_000);

  afterAll(() => {
    // MQ_DOCTOR_BOOT_KEEP=1 keeps each machine's files (and its overlay mounted) to look at.
    if (process.env.MQ_DOCTOR_BOOT_KEEP === '1') return console.log(`boot tests: machines kept in ${machines.map((m) => m.root).join(' ')}`);
    for (const m of machines) m.dispose();
    if (base && !process.env.MQ_DOCTOR_BOOT_ROOT) Machine.removeRoot(base);
  });

  /** The shipped apply unit and profile, its owner service enabled as services are. */
  function withApply(m: Machine, profile: object, appScript = 'exec true'): void {
    m.write('/etc/mq-doctor/profile.json', JSON.stringify(profile, null, 2));
    m.installUnit('mq-doctor-apply.service');
    m.write(`/etc/systemd/system/${APP}`, `[Unit]\nDescription=The application that opens the queues\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c '${appScript}'\n[Install]\nWantedBy=multi-user.target\n`);
    m.enable('mq-doctor-apply.service', APP);
  }

  it('the apply unit: sysctls set, drop-in written and the owner service\'s LimitMSGQUEUE in effect in the same boot; a second boot changes nothing', () => {
    const m = fresh();
    withApply(m, JSON.parse(readFileSync(`${PKG}/profiles/ipcqueue-3600x16384.json`, 'utf8')), 'grep -E "^Max (msgqueue|open files)" /proc/self/limits > /var/lib/probe/app-limits');
    expect(SHIPPED.owner.service).toBe(APP);
    m.probe(
      [
        'cat /proc/sys/fs/mqueue/msg_max /proc/sys/fs/mqueue/msgsize_max > sysctls',
        `systemctl show -p LimitMSGQUEUE ${APP} > app-show`,
        'grep "^Max msgqueue" /proc/1/limits > pid1-limits',
        recordUnit(APP, 'app'),
        recordUnit('mq-doctor-apply.service', 'apply'),
      ].join('\n'),
      [APP, 'mq-doctor-apply.service'],
    );
    const first = m.boot();
    expect(first.status, first.console).toBe(0);
    expect(m.recorded('sysctls')).toBe('3600\n16384\n');
    const dropIn = m.read(`/etc/systemd/system/${APP}.d/60-mq-doctor.conf`);
    expect(dropIn).toMatch(/^LimitMSGQUEUE=65260800$/m);
    // What systemd holds for the service in this boot: the drop-in's value, not the default.
    expect(props(m.recorded('app-show')).get('LimitMSGQUEUE')).toBe('65260800');
    expect(props(m.recorded('apply-state')).get('Result')).toBe('success');
    const said = printed(m.recorded('apply-journal'));
    expect(said).toContain(`  created   /etc/systemd/system/${APP}.d/60-mq-doctor.conf`);
    expect(said).toContain(`  reloaded   systemctl daemon-reload (the drop-in of ${APP} changed)`);
    expect(said).toContain(`  ok         ${APP} is inactive: its next start gets the new limits`);
    // Started after the reload, with the drop-in's limit as far as systemd can
    // set it: up to its own hard limit (here 819200, no CAP_SYS_RESOURCE), above
    // which it sets the highest it may and starts the service anyway.
    const app = props(m.recorded('app-state'));
    expect(app.get('Result')).toBe('success');
    const pid1Hard = Number(/^Max msgqueue size\s+\S+\s+(\d+)/.exec(m.recorded('pid1-limits'))![1]);
    const got = Math.min(65_260_800, pid1Hard);
    expect(m.recorded('app-limits')).toMatch(new RegExp(`^Max msgqueue size\\s+${got}\\s+${got}\\s`, 'm'));
    expect(said.join('\n')).toMatch(pid1Hard < 65_260_800 ? /LimitMSGQUEUE=65,260,800 for ipcqueue-app\.service is above the hard limit systemd itself runs with/ : /^(?![\s\S]*above the hard limit systemd itself runs with)/);
    console.log(`boot 1: ${first.ms} ms; ${APP}: LimitMSGQUEUE=${props(m.recorded('app-show')).get('LimitMSGQUEUE')}; it ran with ${got} (PID 1's hard limit ${pid1Hard})`);

    const files = [`/etc/systemd/system/${APP}.d/60-mq-doctor.conf`, '/etc/sysctl.d/60-mq-doctor.conf'].map((p) => m.read(p));
    const second = m.boot();
    expect(second.status, second.console).toBe(0);
    const again = printed(m.recorded('apply-journal'));
    expect(again).toContain('Nothing changed.');
    expect(again).toContain(`  no reload  the drop-in of ${APP} is unchanged, and systemd has it loaded`);
    expect(again.join('\n')).not.toMatch(/created|replaced|reloaded/);
    expect([`/etc/systemd/system/${APP}.d/60-mq-doctor.conf`, '/etc/sysctl.d/60-mq-doctor.conf'].map((p) => m.read(p))).toEqual(files);
    expect(props(m.recorded('app-show')).get('LimitMSGQUEUE')).toBe('65260800');
    expect(m.recorded('sysctls')).toBe('3600\n16384\n');
    console.log(`boot 2: ${second.ms} ms, nothing changed`);
  });

  it('a limit the apply unit writes is the one the owner service runs with, in the same boot (RLIMIT_NOFILE, seen by the service)', () => {
    const m = fresh();
    withApply(m, { name: 'nofile', owner: { service: APP }, settings: { RLIMIT_NOFILE: 4096 } }, 'grep "^Max open files" /proc/self/limits > /var/lib/probe/app-limits');
    m.probe(recordUnit(APP, 'app'), [APP, 'mq-doctor-apply.service']);
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    expect(m.read(`/etc/systemd/system/${APP}.d/60-mq-doctor.conf`)).toMatch(/^LimitNOFILE=4096$/m);
    expect(props(m.recorded('app-state')).get('Result')).toBe('success');
    // Without the reload it would be systemd's default (1024 soft) until the next boot.
    expect(m.recorded('app-limits')).toMatch(/^Max open files\s+4096\s+4096\s+files/m);
    console.log(`boot: ${b.ms} ms; ${APP} ran with: ${m.recorded('app-limits').trim()}`);
  });

  it("a template owner (worker@.service): its instances start with the drop-in's limit in the same boot; apply on the running system names the running instance to restart", () => {
    const m = fresh();
    const W = 'worker@.service';
    m.write('/etc/mq-doctor/profile.json', JSON.stringify({ name: 'workers', owner: { service: W }, settings: { RLIMIT_NOFILE: 4096 } }));
    m.installUnit('mq-doctor-apply.service');
    m.write(`/etc/systemd/system/${W}`, `[Unit]\nDescription=Worker %i\n[Service]\nExecStart=/bin/sh -c 'grep "^Max open files" /proc/self/limits > /var/lib/probe/worker-%i-limits; exec sleep infinity'\n[Install]\nWantedBy=multi-user.target\n`);
    m.enable('mq-doctor-apply.service', 'worker@1.service');
    m.probe(
      [
        recordUnit('mq-doctor-apply.service', 'apply'),
        // The same host later: a higher limit for the workers, applied while worker@1 runs.
        `echo '{"name":"workers","owner":{"service":"${W}"},"settings":{"RLIMIT_NOFILE":8192}}' > /etc/mq-doctor/more.json`,
        'mq-doctor apply --profile /etc/mq-doctor/more.json > apply-live 2>&1; echo $? > apply-live-status',
      ].join('\n'),
      ['worker@1.service', 'mq-doctor-apply.service'],
    );
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    expect(m.recorded('worker-1-limits')).toMatch(/^Max open files\s+4096\s+4096\s+files/m);
    const atBoot = printed(m.recorded('apply-journal'));
    expect(atBoot).toContain(`  reloaded   systemctl daemon-reload (the drop-in of ${W} changed)`);
    expect(atBoot.join('\n')).toMatch(/^ {2}ok {9}worker@1\.service is \w+: its next start gets the new limits$/m);
    const live = m.recorded('apply-live');
    expect(m.recorded('apply-live-status').trim(), live).toBe('0');
    expect(live).toContain(`  reloaded   systemctl daemon-reload (the drop-in of ${W} changed)`);
    expect(live).toMatch(/^ {2}restart {4}worker@1\.service is active \(PID \d+\) with the limits it started with: systemctl restart worker@1\.service$/m);
    console.log(`boot: ${b.ms} ms; worker@1 ran with ${m.recorded('worker-1-limits').trim()}; live apply: ${live.split('\n').filter((l) => /restart|reloaded/.test(l)).join(' / ').replace(/\s+/g, ' ')}`);
  });

  it('the verify unit: a later sysctl.d file that lowers a value fails it, naming the key and the file', () => {
    const m = fresh();
    withApply(m, JSON.parse(readFileSync(`${PKG}/profiles/ipcqueue-3600x16384.json`, 'utf8')));
    m.installUnit('mq-doctor-verify.service');
    m.enable('mq-doctor-verify.service');
    m.write('/etc/sysctl.d/99-lower.conf', 'fs.mqueue.msg_max = 100\n');
    m.probe([recordUnit('mq-doctor-verify.service', 'verify'), recordUnit('mq-doctor-apply.service', 'apply')].join('\n'), ['mq-doctor-verify.service']);
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    const state = props(m.recorded('verify-state'));
    expect(state.get('ActiveState')).toBe('failed');
    expect(state.get('Result')).toBe('exit-code');
    const said = printed(m.recorded('verify-journal')).join('\n');
    const line = said.split('\n').find((l) => l.includes('fs.mqueue.msg_max'));
    expect(line, said).toBeDefined();
    expect(said).toContain('/etc/sysctl.d/99-lower.conf');
    // apply saw it too: the later file wins at boot.
    expect(printed(m.recorded('apply-journal')).join('\n')).toContain('/etc/sysctl.d/99-lower.conf sets fs.mqueue.msg_max = 100 and is read after /etc/sysctl.d/60-mq-doctor.conf');
    console.log(`boot: ${b.ms} ms; mq-doctor-verify.service ${state.get('ActiveState')} (${state.get('Result')}, status ${state.get('ExecMainStatus')}): ${line?.trim()}`);
  });

  it('the daemon unit under its hardening: serves /metrics on the container\'s loopback, sees its queues, and cannot write /etc', () => {
    const m = fresh();
    m.write('/etc/mq-doctor/profile.json', readFileSync(`${PKG}/profiles/ipcqueue-3600x16384.json`, 'utf8'));
    m.installUnit('mq-doctor.service');
    m.enable('mq-doctor.service');
    const fetchLoop = `const go=async()=>{for(let i=0;i<100;i++){try{const r=await fetch('http://127.0.0.1:9469/metrics');if(r.ok){process.stdout.write(await r.text());return}}catch{}await new Promise(r=>setTimeout(r,200))}process.exit(1)};go()`;
    const openQueue = `const a=require('${PKG_IN}/native/getrlimit/build/Release/getrlimit.node');const c=a.constants;const r=a.mqOpen('/boot-probe',c.O_CREAT|c.O_RDWR,0o600,{maxmsg:2,msgsize:128});if(!r.ok){console.error(r.errno);process.exit(1)}a.mqSend(r.fd,Buffer.from('hello'),0)`;
    // The queue exists before the daemon starts: its first probe sees it.
    m.write('/usr/local/sbin/make-queue', `#!/bin/sh\nsetpriv --reuid=${QUEUE_UID} --regid=${QUEUE_UID} --clear-groups node -e "${openQueue}" 2> /var/lib/probe/queue-error\n`, 0o755);
    m.write('/etc/systemd/system/make-queue.service', '[Unit]\nBefore=mq-doctor.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/local/sbin/make-queue\n[Install]\nWantedBy=multi-user.target\n');
    m.enable('make-queue.service');
    // A reload as soon as the daemon's process exists: with Type=exec its SIGHUP
    // came before Node had a handler and killed it. With Type=notify the unit is
    // still starting, and systemd folds the reload into the start.
    m.write(
      '/usr/local/sbin/early-reload',
      '#!/bin/sh\nuntil [ "$(systemctl show -p MainPID --value mq-doctor.service)" -gt 0 ] 2>/dev/null; do sleep 0.02; done\nsystemctl reload mq-doctor.service; echo $? > /var/lib/probe/early-reload\n',
      0o755,
    );
    m.write('/etc/systemd/system/early-reload.service', '[Service]\nType=oneshot\nExecStart=/usr/local/sbin/early-reload\n[Install]\nWantedBy=multi-user.target\n');
    m.enable('early-reload.service');
    m.probe(
      [
        `node -e "${fetchLoop}" > metrics`,
        'pid=$(systemctl show -p MainPID --value mq-doctor.service); echo $pid > pid',
        'grep -E "^Cap(Eff|Bnd|Amb):" /proc/$pid/status > caps',
        'nsenter -t $pid -m -- touch /etc/mq-doctor-was-here 2> etc-write; echo $? >> etc-write',
        'nsenter -t $pid -m -- touch /var/lib/probe/x 2> var-write; echo $? >> var-write',
        // A reload once it runs: SIGHUP reads the profile again.
        'systemctl reload mq-doctor.service',
        'for i in $(seq 50); do journalctl -b -q -o cat -u mq-doctor.service | grep -q "SIGHUP: profile reloaded" && break; sleep 0.1; done',
        recordUnit('mq-doctor.service', 'daemon'),
        'node -e "require(\'' + PKG_IN + '/native/getrlimit/build/Release/getrlimit.node\').mqUnlink(\'/boot-probe\')"',
      ].join('\n'),
      ['mq-doctor.service', 'early-reload.service'],
    );
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    expect(m.recorded('queue-error')).toBe('');
    expect(m.recorded('early-reload')).toBe('0\n');
    expect(printed(m.recorded('daemon-journal')).join('\n')).not.toMatch(/Deactivated|Failed/);
    expect(m.recorded('daemon-journal')).toMatch(/"msg":"SIGHUP: profile reloaded"/);
    const metrics = m.recorded('metrics');
    expect(metrics).toMatch(/^mqdoctor_queue_messages\{[^}]*queue="\/boot-probe"[^}]*\} 1$/m);
    expect(metrics).toMatch(new RegExp(`^mqdoctor_uid_charged_bytes\\{[^}]*uid="${QUEUE_UID}"[^}]*\\} [1-9]`, 'm'));
    expect(props(m.recorded('daemon-state')).get('ActiveState')).toBe('active');
    expect(props(m.recorded('daemon-state')).get('ExecMainStatus')).toBe('0');
    // ProtectSystem=strict: /etc is read-only in its mount namespace, as is the rest.
    expect(m.recorded('etc-write')).toMatch(/Read-only file system\n1\n$/);
    expect(m.recorded('var-write')).toMatch(/Read-only file system\n1\n$/);
    expect(m.exists('/etc/mq-doctor-was-here')).toBe(false);
    // Exactly the three capabilities the unit grants: CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_SYS_ADMIN (21).
    const want = ((1n << 2n) | (1n << 19n) | (1n << 21n)).toString(16).padStart(16, '0');
    const caps = props(m.recorded('caps').replace(/:\s+/g, '='));
    expect([caps.get('CapEff'), caps.get('CapBnd'), caps.get('CapAmb')]).toEqual([want, want, want]);
    console.log(`boot: ${b.ms} ms; /metrics: ${metrics.length} bytes, /boot-probe seen; /etc write refused; CapEff ${caps.get('CapEff')}`);
  });

  it('the limits.conf trap: limits.d does not reach a service, and check --pid says so and names the drop-in that would', () => {
    const m = fresh();
    m.chroot('useradd', '--system', '--no-create-home', '--uid', String(TRAP_UID), 'trapuser');
    // The service starts from the system default (here lowered, as a distribution may set it), whatever limits.d says.
    m.write('/etc/systemd/system.conf.d/50-low.conf', '[Manager]\nDefaultLimitMSGQUEUE=40000\n');
    m.write('/etc/security/limits.d/90-trap.conf', 'trapuser soft msgqueue 409600\ntrapuser hard msgqueue 409600\n');
    m.write('/etc/systemd/system/trap-app.service', '[Service]\nUser=trapuser\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n');
    m.enable('trap-app.service');
    m.probe(
      [
        'pid=$(systemctl show -p MainPID --value trap-app.service)',
        'grep "^Max msgqueue" /proc/$pid/limits > app-limits',
        'mq-doctor check --pid $pid --maxmsg 10 --msgsize 8192 > check 2> check-err; echo $? > check-status',
      ].join('\n'),
      ['trap-app.service'],
    );
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    expect(m.recorded('app-limits')).toMatch(/^Max msgqueue size\s+40000\s+40000/m);
    const out = m.recorded('check');
    expect(m.recorded('check-status').trim(), `${out}\n${m.recorded('check-err')}`).toBe('1');
    expect(out).toMatch(/FAILS with EMFILE/);
    expect(out).toContain('trap-app.service');
    expect(out).toContain("trap-app.service is a service of the container's own systemd, which sets its limits each time it starts it (limits.conf and limits.d do not apply to it)");
    expect(out).toMatch(/Only the container's administrator \(root in it\) can:\n {2}# trap-app\.service: a drop-in.*\n {2}\[Service\]\n {2}LimitMSGQUEUE=82880:82880\n/);
    console.log(`boot: ${b.ms} ms; trap-app.service: ${m.recorded('app-limits').trim()}; check --pid exit ${m.recorded('check-status').trim()}`);
  });

  /** A regular user's session makes a queue; what is left of it once the session ended. */
  function sessionQueue(removeIpc: 'default' | 'no'): { m: Machine; ms: number } {
    const m = fresh();
    m.chroot('useradd', '--uid', String(SESSION_UID), '--create-home', '--shell', '/bin/sh', 'sessionuser');
    // logind finalizes a user (and removes their IPC) once user@.service stops, UserStopDelaySec= (10 s) after the last session.
    m.write('/etc/systemd/logind.conf.d/50-fast.conf', `[Login]\nUserStopDelaySec=0\n${removeIpc === 'no' ? 'RemoveIPC=no\n' : ''}`);
    const make = `node -e \\"const a=require('${PKG_IN}/native/getrlimit/build/Release/getrlimit.node');const c=a.constants;const r=a.mqOpen('/session-q',c.O_CREAT|c.O_RDWR,0o600,{maxmsg:2,msgsize:128});process.exit(r.ok?0:1)\\"`;
    m.probe(
      [
        'mkdir -m 1777 session',
        `su -l sessionuser -c "${make} && ls /dev/mqueue > /var/lib/probe/session/in-session 2>&1; echo \\$XDG_SESSION_ID > /var/lib/probe/session/id; loginctl show-session \\$XDG_SESSION_ID -p Class -p Type -p Name > /var/lib/probe/session/show 2>&1" 2> su-err`,
        // logind removes the user's IPC once their last session is gone.
        'for i in $(seq 100); do loginctl list-users --no-legend | grep -q sessionuser || break; sleep 0.1; done',
        'for i in $(seq 20); do [ -e /dev/mqueue/session-q ] || break; sleep 0.1; done',
        'ls /dev/mqueue > after-session',
        'loginctl list-sessions --no-legend > sessions 2>&1 || true',
        // What is left is removed here, not by logind: nothing stays charged to the uid.
        `node -e "require('${PKG_IN}/native/getrlimit/build/Release/getrlimit.node').mqUnlink('/session-q')"`,
      ].join('\n'),
    );
    const b = m.boot();
    expect(b.status, b.console).toBe(0);
    return { m, ms: b.ms };
  }

  it("logind's RemoveIPC=yes (the default): a regular user's queues are removed when their last session ends", () => {
    const { m, ms } = sessionQueue('default');
    expect(m.read('/var/lib/probe/session/in-session'), m.recorded('su-err')).toContain('session-q');
    expect(m.recorded('session/id').trim()).toMatch(/^\w+$/);
    expect(props(m.recorded('session/show')).get('Name')).toBe('sessionuser');
    expect(m.recorded('after-session')).not.toContain('session-q');
    console.log(`boot: ${ms} ms; /session-q of uid ${SESSION_UID}: present in the session, gone after it`);
  });

  it('… and with RemoveIPC=no the same queue outlives the session (the control)', () => {
    const { m, ms } = sessionQueue('no');
    expect(m.read('/var/lib/probe/session/in-session'), m.recorded('su-err')).toContain('session-q');
    expect(m.recorded('after-session')).toContain('session-q');
    console.log(`boot: ${ms} ms; with RemoveIPC=no, /session-q is still there after the session`);
  });
});
