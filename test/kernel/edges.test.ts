// The other places where the model used to be certain and wrong (issue 9),
// each against the real kernel: inherited high descriptors (the lowest free
// number decides, not the count), a creator whose ids the IPC namespace's user
// namespace does not map (EOVERFLOW), a launcher mq-doctor cannot read (the
// soft RLIMIT_NOFILE is unknown, not Node's raised one), and no mqueue mount.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { buildStaticOracle, cliPath, inFreshNamespace, kernelSkipReason, shellQuote as q } from './lib/scenario.js';
import { asUid, testUids, userNamespaceSkipReason } from './lib/uids.js';
import { expectMeasuredRight, expectModelNeverWrong } from './lib/verdicts.js';

const dynamicOracle = await buildOracle().catch(() => null);
const staticOracle = dynamicOracle ? buildStaticOracle() : { path: null, reason: 'the C oracle could not be built' };
const ORACLE = staticOracle.path ?? '';
const CLI = cliPath();
const [U1, U2, U3, U4] = testUids(4, 3) as [number, number, number, number];
const skipReason = kernelSkipReason({ oracle: dynamicOracle, needAddon: true }) ?? (staticOracle.path === null ? staticOracle.reason : null);
if (skipReason) console.warn(`SKIPPED test/kernel/edges.test.ts: ${skipReason}`);

/** "@@TAG\n…JSON…@@TAGRC n" blocks of a script's output. */
function answers(stdout: string): Record<string, { code: number; json: any }> {
  const out: Record<string, { code: number; json: any }> = {};
  for (const m of stdout.matchAll(/@@([A-Z0-9]+)\n([\s\S]*?)@@\1RC (\d+)/g)) {
    try {
      out[m[1]!] = { code: Number(m[3]), json: JSON.parse(m[2]!) };
    } catch {
      throw new Error(`answer ${m[1]} is not JSON (exit ${m[3]}): ${m[2]!.slice(0, 800)}`);
    }
  }
  return out;
}

function kernelOf(stdout: string, tag = 'KERNEL'): { errno: string | null; opened: number } {
  const m = new RegExp(`^@@${tag} (\\S+) (\\d+)$`, 'm').exec(stdout);
  if (!m) throw new Error(`no @@${tag} line in:\n${stdout.slice(0, 2000)}`);
  return { errno: m[1] === 'OK' ? null : m[1]!, opened: Number(m[2]) };
}

const block = (tag: string, cmd: string) => `echo @@${tag}; ${cmd} </dev/null; echo "@@${tag}RC $?"`;
const openMany = (prefix: string, count: number, attr = '1 128') => `echo "@@KERNEL $(${q(ORACLE)} openmany ${prefix} ${count} ${attr})"`;

describe.skipIf(!!skipReason)('real kernel: mq_open takes the lowest free descriptor, whatever the count', () => {
  // fds 0-14 open plus an inherited 251, soft RLIMIT_NOFILE 16: fd 15 is free.
  const fds = Array.from({ length: 12 }, (_, i) => `${i + 3}</dev/null`).join(' ');
  for (const count of [1, 2]) {
    it(`--pid: fds 0-14 and 251 under a limit of 16, ${count} queue(s) → ${count === 1 ? 'success on fd 15' : 'EMFILE at the second'}`, () => {
      const r = inFreshNamespace(
        [
          'd=$(mktemp -d); mount -t mqueue none "$d"',
          `bash -c ${q(`exec ${fds} 251</dev/null; exec ${asUid(U1).join(' ')} sleep 600`)} & P=$!`,
          'for i in $(seq 1 500); do [ "$(cat /proc/$P/comm 2>/dev/null)" = sleep ] && break; sleep 0.01; done',
          `${asUid(U1).join(' ')} prlimit --pid $P --nofile=16:16`,
          'echo "@@FDS $(ls /proc/$P/fd | sort -n | tr "\\n" " ")"',
          block('MODEL', `${q(CLI)} check --json --maxmsg 1 --msgsize 128 --count ${count} --pid "$P"`),
          block('MEASURED', `${q(CLI)} check --json --maxmsg 1 --msgsize 128 --count ${count} --measure --pid "$P"`),
          'kill $P',
          // The kernel, under the same descriptors and limit (the oracle is static: it needs no free fd to start).
          `bash -c ${q(`exec ${fds} 251</dev/null; ${asUid(U1).join(' ')} prlimit --nofile=16:16 ${q(ORACLE)} openmany /fd ${count} 1 128`)} | sed 's/^/@@KERNEL /'`,
          'rm -f "$d"/*',
        ].join('\n'),
      );
      expect(r.stdout).toMatch(/@@FDS 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 251 \n/);
      const k = kernelOf(r.stdout);
      expect(k).toEqual(count === 1 ? { errno: null, opened: 1 } : { errno: 'EMFILE', opened: 1 });
      const a = answers(r.stdout);
      expectModelNeverWrong(a.MODEL!, k, count, r.stdout);
      // Descriptors are read exactly: the failure at the second is certain without measuring, and
      // blamed on descriptors (only hidden queue memory could make the first fail already).
      if (count === 2) {
        expect(a.MODEL!.json.outcome).toMatchObject({ verdict: 'failure', errno: 'EMFILE', opened: 1 });
        expect(a.MODEL!.json.blockers[0]).toMatchObject({ limit: 'RLIMIT_NOFILE', actual: 16, needed: 17 });
      }
      expectMeasuredRight(a.MEASURED!, k, count, r.stdout);
    });
  }

  it('itself, through its launcher: inherited fds 3-34 and 251 under a soft limit of 40 (Node raised its own)', () => {
    // Five numbers free below 40 (the launcher and Node need a few to start, then Node raises its own limit).
    const inherited = Array.from({ length: 32 }, (_, i) => `${i + 3}</dev/null`).join(' ');
    const as = asUid(U1).join(' ');
    const r = inFreshNamespace(
      [
        'd=$(mktemp -d); mount -t mqueue none "$d"',
        `echo @@MEASURED; bash -c ${q(`exec ${inherited} 251</dev/null; ${as} prlimit --nofile=40: ${q(CLI)} check --json --maxmsg 1 --msgsize 128 --count 6 --measure </dev/null`)}; echo "@@MEASUREDRC $?"`,
        `bash -c ${q(`exec ${inherited} 251</dev/null; ${as} prlimit --nofile=40: ${q(ORACLE)} openmany /fd 6 1 128`)} | sed 's/^/@@KERNEL /'`,
        'rm -f "$d"/*',
      ].join('\n'),
    );
    const k = kernelOf(r.stdout);
    expect(k).toEqual({ errno: 'EMFILE', opened: 5 });
    const a = answers(r.stdout);
    expectMeasuredRight(a.MEASURED!, k, 6, r.stdout);
    expect(a.MEASURED!.json.blockers[0]).toMatchObject({ limit: 'RLIMIT_NOFILE', actual: 40, needed: 41 });
  });
});

describe.skipIf(!!skipReason || userNamespaceSkipReason(U2) !== null)('real kernel: EOVERFLOW when the IPC namespace\'s user namespace cannot map the creator', () => {
  // Host root entering a rootless container's IPC and mount namespaces: uid 0 has no mapping there.
  const script = (inner: string) =>
    [
      `${asUid(U2).join(' ')} unshare --user --map-root-user --ipc --mount --fork bash -c ${q(
        `d=$(mktemp -d); mount -t mqueue none "$d"; ${q(ORACLE)} create /existing 2 128 >/dev/null; sleep 600 & echo $! > /tmp/mqd-ovf.$PPID; wait`,
      )} & C=$!`,
      'for i in $(seq 1 500); do [ -s /tmp/mqd-ovf.$C ] && break; sleep 0.01; done; P=$(cat /tmp/mqd-ovf.$C); rm -f /tmp/mqd-ovf.$C',
      inner,
      `nsenter -t $P --ipc ${q(ORACLE)} unlink /existing >/dev/null 2>&1 || nsenter -t $P --user --ipc --preserve-credentials ${q(ORACLE)} unlink /existing >/dev/null`,
      'kill $C',
    ].join('\n');

  it('creating fails with EOVERFLOW before any limit is checked, even with an invalid attr; opening an existing queue works', () => {
    const en = 'nsenter -t $P --ipc --mount';
    const r = inFreshNamespace(
      script(
        [
          block('NEW', `${en} ${q(CLI)} check --json --maxmsg 1 --msgsize 128`),
          block('NEWM', `${en} ${q(CLI)} check --json --maxmsg 1 --msgsize 128 --measure`),
          block('ZERO', `${en} ${q(CLI)} check --json --maxmsg 0 --msgsize 128`),
          block('EXISTING', `${en} ${q(CLI)} check --json --name /existing --no-create`),
          `echo "@@KNEW $(${en} ${q(ORACLE)} openmany /new 1 1 128)"`,
          `echo "@@KZERO $(${en} ${q(ORACLE)} openmany /zero 1 0 128)"`,
          `echo "@@KEXISTING $(${en} ${q(ORACLE)} open /existing 2 0600 null null)"`,
          // A running process in that state, asked about with --pid from outside.
          `${en} sleep 600 & S=$!; sleep 0.2`,
          block('PID', `${q(CLI)} check --json --maxmsg 1 --msgsize 128 --pid $S`),
          'kill $S',
        ].join('\n'),
      ),
    );
    const a = answers(r.stdout);
    expect(kernelOf(r.stdout, 'KNEW')).toEqual({ errno: 'EOVERFLOW', opened: 0 });
    expect(kernelOf(r.stdout, 'KZERO')).toEqual({ errno: 'EOVERFLOW', opened: 0 });
    expect(/^@@KEXISTING OK$/m.test(r.stdout), r.stdout).toBe(true);
    for (const tag of ['NEW', 'NEWM', 'ZERO', 'PID']) {
      expect(a[tag]!.json.outcome, `${tag}\n${r.stdout}`).toMatchObject({ verdict: 'failure', errno: 'EOVERFLOW', errnoCertain: true });
      expect(a[tag]!.json.blockers[0], tag).toMatchObject({ kind: 'request', rule: 'unmapped-ids' });
      expect(a[tag]!.code).toBe(1);
    }
    expect(a.EXISTING!.json.outcome).toMatchObject({ verdict: 'success', errno: null });
  });
});

describe.skipIf(!!skipReason)('real kernel: the soft RLIMIT_NOFILE of a launcher mq-doctor cannot read is unknown, not Node\'s', () => {
  // A parent that changed its uid without exec is not dumpable: its /proc files are root's.
  const parent = (cmd: string) =>
    `python3 -c ${q(`import os, subprocess, sys\nos.setgroups([]); os.setgid(${U3}); os.setuid(${U3})\nsys.exit(subprocess.call(${JSON.stringify(['sh', '-c', cmd])}))`)}`;
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)('node bin/mq-doctor.cjs: indeterminate, and the mq-doctor command is the fix; through the launcher: definite', () => {
    const r = inFreshNamespace(
      [
        'd=$(mktemp -d); chmod 1777 "$d"; mount -t mqueue none "$d"',
        // exec: the shell becomes node, so node's parent is the non-dumpable python.
        block('DIRECT', parent(`exec ${process.execPath} ${CLI} check --json --maxmsg 1 --msgsize 128 --measure`)),
        block('LAUNCHER', parent(`exec ${CLI} check --json --maxmsg 1 --msgsize 128 --measure`)),
      ].join('\n'),
    );
    const a = answers(r.stdout);
    expect(a.DIRECT!.json.outcome, r.stdout).toMatchObject({ verdict: 'indeterminate', certainWith: { launcher: true } });
    expect(a.DIRECT!.json.outcome.unknowns.join(' ')).toMatch(/RLIMIT_NOFILE: .*launching process cannot be read/);
    expect(a.DIRECT!.code).toBe(3);
    expect(a.LAUNCHER!.json.outcome, r.stdout).toMatchObject({ verdict: 'success', errnoCertain: true });
    expect(a.LAUNCHER!.code).toBe(0);
  });
});

describe.skipIf(!!skipReason)('real kernel: no mqueue mount', () => {
  it('root reads the namespace\'s queues through a detached mount, and leaves the mount table as it was', () => {
    const r = inFreshNamespace(
      [
        'umount -l /dev/mqueue 2>/dev/null; grep -c " - mqueue " /proc/self/mountinfo | sed "s/^/@@MOUNTS /"',
        `${q(ORACLE)} create /held 3 100 >/dev/null`,
        block('LIMITS', `${q(CLI)} limits --json`),
        block('CHECK', `${q(CLI)} check --json --maxmsg 10 --msgsize 100 --measure`),
        'grep -c " - mqueue " /proc/self/mountinfo | sed "s/^/@@MOUNTSAFTER /"',
        `echo "@@KERNEL $(${q(ORACLE)} openmany /new 1 10 100)"`,
        `${q(ORACLE)} unlink /held >/dev/null`,
      ].join('\n'),
    );
    const a = answers(r.stdout);
    expect(r.stdout).toMatch(/@@MOUNTS 0\n/);
    expect(r.stdout).toMatch(/@@MOUNTSAFTER 0\n/);
    const listing = a.LIMITS!.json.snapshot.queues;
    expect(listing.value.mountPath).toMatch(/detached mqueue mount/);
    expect(listing.value.queues.map((x: { name: string; attr: any }) => [x.name, x.attr.value.maxmsg])).toEqual([['held', 3]]);
    expectMeasuredRight(a.CHECK!, kernelOf(r.stdout), 1, r.stdout);
    expect(a.CHECK!.json.outcome.unknowns).toEqual([]);
  });

  it('unprivileged: one line says what is unknown and one command makes it definite, once', () => {
    const as = asUid(U4).join(' ');
    const r = inFreshNamespace(
      [
        'umount -l /dev/mqueue 2>/dev/null',
        `echo @@TEXT; ${as} ${q(CLI)} check --maxmsg 10 --msgsize 100; echo "@@TEXTRC $?"`,
        `echo @@LIMITS; ${as} ${q(CLI)} limits; echo @@LIMITSEND`,
      ].join('\n'),
    );
    const text = /@@TEXT\n([\s\S]*?)@@TEXTRC (\d+)/.exec(r.stdout)!;
    expect(text[2]).toBe('3');
    const definite = text[1]!.split('\n').filter((l) => l.startsWith('For a definite answer:'));
    expect(definite).toEqual(['For a definite answer: sudo mq-doctor check --maxmsg 10 --msgsize 100 --measure --pid $$']);
    const limits = /@@LIMITS\n([\s\S]*?)@@LIMITSEND/.exec(r.stdout)![1]!;
    expect(limits.match(/no mqueue filesystem is mounted/g), limits).toHaveLength(1);
  });
});

describe.skipIf(!!skipReason || userNamespaceSkipReason(U2) !== null)('real kernel: --measure where it can make no namespace of its own', () => {
  it("measures in the target's own IPC namespace (as in a Docker container: no CAP_SYS_ADMIN, no user namespaces), and leaves nothing there", () => {
    // A rootless container created under 200,000 bytes, its soft limit raised inside; then CAP_SYS_ADMIN
    // dropped and user namespaces forbidden, so only the shared namespace is left.
    const inner = [
      'prlimit --pid $$ --msgqueue=819200:819200',
      'd=$(mktemp -d); mount -t mqueue none "$d"',
      `${q(ORACLE)} create /held 10 8192 >/dev/null`,
      'echo 0 > /proc/sys/user/max_user_namespaces',
      'echo "@@BEFORE $(ls "$d" | tr "\\n" " ")"',
      block('MEASURED', `setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin ${q(CLI)} check --json --maxmsg 10 --msgsize 8192 --count 2 --measure`),
      'echo "@@AFTER $(ls "$d" | tr "\\n" " ")"',
      `echo "@@KERNEL $(${q(ORACLE)} openmany /new 2 10 8192)"`,
      'rm -f "$d"/*',
    ].join('\n');
    const r = inFreshNamespace(`${asUid(U2).join(' ')} prlimit --msgqueue=200000:819200 unshare --user --map-root-user --ipc --mount --fork bash -c ${q(inner)}`);
    const a = answers(r.stdout);
    const k = kernelOf(r.stdout);
    // 82,880 held, 200,000 the ceiling: one more fits, the second does not.
    expect(k).toEqual({ errno: 'EMFILE', opened: 1 });
    expect(a.MEASURED!.json.measurement.value.mode, r.stdout).toBe('shared-ipc');
    expectMeasuredRight(a.MEASURED!, k, 2, r.stdout);
    expect(/@@BEFORE (.*)\n/.exec(r.stdout)![1]).toBe(/@@AFTER (.*)\n/.exec(r.stdout)![1]);
  });

  it("says why it cannot measure another uid's process without privileges, and stays uncertain", () => {
    const r = inFreshNamespace(
      [
        'd=$(mktemp -d); mount -t mqueue none "$d"',
        `${asUid(U2).join(' ')} sleep 600 & P=$!; sleep 0.1`,
        block('OTHER', `${asUid(U1).join(' ')} ${q(CLI)} check --json --maxmsg 10 --msgsize 100 --measure --pid $P`),
        'kill $P',
      ].join('\n'),
    );
    const a = answers(r.stdout).OTHER!;
    expect(a.json.measurement.ok).toBe(false);
    expect(a.json.measurement.reason).toMatch(/process \d+'s user namespace cannot be read \(entering it to measure needs root\)/);
    expect(a.json.outcome.verdict).toBe('indeterminate');
    expect(a.json.outcome.unknowns.join(' ')).toMatch(/the measurement could not run/);
  });
});
