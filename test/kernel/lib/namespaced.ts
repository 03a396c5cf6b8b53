// One queue-memory scenario across namespaces, against the real kernel: a
// target process (optionally in a rootless user namespace created under a
// lowered soft limit and raised inside), the same uid's queues in other IPC
// namespaces (the host level, a sibling rootless container) and in the target's
// own. mq-doctor answers four ways: from inside (as the target) and with --pid
// from outside (as root), each with and without --measure; then the C oracle,
// with the target's credentials, creates the queues for real.
//
// Everything runs as PID 1's descendants of a private PID namespace with
// --kill-child, so no holder outlives a scenario; each scenario has a uid of
// its own, so nothing one leaves behind can shift another's budget.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, kernelCost, shellQuote as q } from './scenario.js';

export type Attr = { maxmsg: number; msgsize: number };

export interface NamespacedScenario {
  title: string;
  uid: number;
  /** A rootless user namespace, created under `ceiling` (the soft limit at unshare time); none: only a private IPC namespace. */
  userns: { ceiling: number } | null;
  /** The target's soft RLIMIT_MSGQUEUE (raised to it inside, after the unshare). */
  soft: number;
  /** Held by the same uid in a private IPC namespace of the initial user namespace. */
  hostQueues?: Attr[];
  /** Held by the same uid in another rootless container (another user namespace of its). */
  siblingQueues?: Attr[];
  /** Already in the target's own IPC namespace, created as the target. */
  innerQueues?: Attr[];
  /** null: attr NULL. */
  attr: Attr | null;
  count: number;
}

export interface Answer {
  code: number;
  json: any;
}

export interface NamespacedResult {
  inside: Answer;
  insideMeasured: Answer;
  host: Answer;
  hostMeasured: Answer;
  kernel: { opened: number; errno: string | null };
  stdout: string;
  stderr: string;
}

const OFLAG_CREATE_EXCL_RDWR = 0o100 | 0o200 | 2;

/** What the kernel will charge at each level, as kernel-facts.md says: for the sweep's expectations. */
export function levelCharges(s: NamespacedScenario): { own: number; up: number; each: number } {
  const sum = (qs: Attr[] | undefined) => (qs ?? []).reduce((n, a) => n + kernelCost(a.maxmsg, a.msgsize), 0);
  const own = sum(s.innerQueues);
  const each = s.attr ? kernelCost(s.attr.maxmsg, s.attr.msgsize) : kernelCost(10, 8192);
  return { own, up: own + sum(s.hostQueues) + sum(s.siblingQueues), each };
}

export function buildNamespacedScript(s: NamespacedScenario, oracle: string, dir: string): string {
  const cli = cliPath();
  const as = `setpriv --reuid=${s.uid} --regid=${s.uid} --clear-groups`;
  const args = ['check', '--json', ...(s.attr ? ['--maxmsg', String(s.attr.maxmsg), '--msgsize', String(s.attr.msgsize)] : []), ...(s.count > 1 ? ['--count', String(s.count)] : [])];
  const argv = args.map(q).join(' ');
  const creates = (prefix: string, qs: Attr[] | undefined, who = '') =>
    (qs ?? []).map((a, i) => `r=$(${who}${q(oracle)} create /${prefix}${i} ${a.maxmsg} ${a.msgsize}); [ "$r" = OK ] || { echo "@@FATAL ${prefix}${i}: $r"; exit 90; }`).join('\n');
  const unlinks = (prefix: string, qs: Attr[] | undefined) => (qs ?? []).map((_, i) => `${q(oracle)} unlink /${prefix}${i} >/dev/null`).join('; ') || ':';
  // Gives up at once when the process that should make the file has exited.
  const waitFor = (f: string, pid = '') =>
    `for i in $(seq 1 1000); do [ -e ${q(f)} ] && break; ${pid ? `kill -0 ${pid} 2>/dev/null || break; ` : ''}sleep 0.01; done; [ -e ${q(f)} ] || { echo "@@FATAL no ${f}"; exit 91; }`;
  const D = (f: string) => join(dir, f);
  const names = Array.from({ length: s.count }, (_, i) => `/new${i}`);
  const attrArgs = s.attr ? `${s.attr.maxmsg} ${s.attr.msgsize}` : 'null null';
  // What the target runs once it may: mq-doctor from inside, then the kernel.
  const inner = [
    `prlimit --pid $$ --msgqueue=${s.soft}:819200 || { echo "@@FATAL prlimit"; exit 92; }`,
    // Root of the user namespace mounts its own; without one, root mounted it before becoming the uid.
    s.userns ? 'd=$(mktemp -d); mount -t mqueue none "$d" || { echo "@@FATAL mount"; exit 93; }' : ':',
    creates('i', s.innerQueues),
    `sleep 600 & echo $! > ${q(D('target.pid'))}`,
    waitFor(D('go')),
    `echo @@IN; ${q(cli)} ${argv} </dev/null; echo "@@INRC $?"`,
    `echo @@INM; ${q(cli)} ${argv} --measure </dev/null; echo "@@INMRC $?"`,
    'opened=0; err=',
    `for n in ${names.join(' ')}; do r=$(${q(oracle)} open "$n" ${OFLAG_CREATE_EXCL_RDWR} 0600 ${attrArgs} --keep); if [ "$r" = OK ]; then opened=$((opened+1)); else err=$r; break; fi; done`,
    'echo "@@KERNEL $opened ${err:-null}"',
    'rm -f "$d"/*',
  ].join('\n');
  const container = s.userns
    ? `${as} prlimit --msgqueue=${s.userns.ceiling}:819200 unshare --user --map-root-user --ipc --mount --fork bash -c ${q(inner)}`
    : `unshare --ipc --mount --fork bash -c ${q(`export d=$(mktemp -d); chmod 755 "$d"; mount -t mqueue none "$d" && ${as} bash -c ${q(inner)}; rm -f "$d"/*`)}`;
  const lines = [
    'set -u',
    // The same uid's queues elsewhere: in a private IPC namespace of the host, and in a sibling rootless container.
    s.hostQueues?.length
      ? `unshare --ipc bash -c ${q(`${creates('h', s.hostQueues, `${as} `)}\ntrap ${q(`${unlinks('h', s.hostQueues)}; exit 0`)} TERM\ntouch ${q(D('host.ready'))}\nsleep 600 & wait`)} & HP=$!`
      : 'HP=',
    s.hostQueues?.length ? waitFor(D('host.ready'), '$HP') : ':',
    s.siblingQueues?.length
      ? `${as} unshare --user --map-root-user --ipc bash -c ${q(`${creates('s', s.siblingQueues)}\ntrap ${q(`${unlinks('s', s.siblingQueues)}; exit 0`)} TERM\ntouch ${q(D('sibling.ready'))}\nsleep 600 & wait`)} & SP=$!`
      : 'SP=',
    s.siblingQueues?.length ? waitFor(D('sibling.ready'), '$SP') : ':',
    `${container} & CP=$!`,
    waitFor(D('target.pid'), '$CP'),
    `P=$(cat ${q(D('target.pid'))})`,
    `echo @@HOST; ${q(cli)} ${argv} --pid "$P" </dev/null; echo "@@HOSTRC $?"`,
    `echo @@HOSTM; ${q(cli)} ${argv} --measure --pid "$P" </dev/null; echo "@@HOSTMRC $?"`,
    `touch ${q(D('go'))}`,
    'wait $CP',
    '[ -n "$HP" ] && kill -TERM $HP && wait $HP; [ -n "$SP" ] && kill -TERM $SP && wait $SP',
    'echo @@END',
  ];
  return lines.join('\n');
}

function answer(stdout: string, stderr: string, tag: string): Answer {
  const m = new RegExp(`@@${tag}\\n([\\s\\S]*?)@@${tag}RC (\\d+)`).exec(stdout);
  if (!m) throw new Error(`no ${tag} answer`);
  try {
    return { code: Number(m[2]), json: JSON.parse(m[1]!) };
  } catch {
    throw new Error(`the ${tag} answer is not JSON (exit ${m[2]}): ${m[1]!.slice(0, 500)}\n--- stderr\n${stderr.slice(0, 3000)}`);
  }
}

export function runNamespaced(s: NamespacedScenario, oracle: string): NamespacedResult {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-ns-'));
  chmodSync(dir, 0o777); // the target (a fresh uid) signals through it
  try {
    const script = buildNamespacedScript(s, oracle, dir);
    const r = spawnSync('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', 'bash', '-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: '/',
    });
    const stdout = String(r.stdout ?? '');
    const stderr = String(r.stderr ?? '');
    const fatal = /@@FATAL (.*)/.exec(stdout);
    if (fatal || !stdout.includes('@@END')) throw new Error(`${s.title}: setup failed: ${fatal?.[1] ?? 'did not finish'}\n${stdout.slice(0, 3000)}\n${stderr.slice(0, 3000)}`);
    const k = /^@@KERNEL (\d+) (\S+)$/m.exec(stdout);
    if (!k) throw new Error(`${s.title}: no kernel answer\n${stdout.slice(0, 3000)}`);
    return {
      inside: answer(stdout, stderr, 'IN'),
      insideMeasured: answer(stdout, stderr, 'INM'),
      host: answer(stdout, stderr, 'HOST'),
      hostMeasured: answer(stdout, stderr, 'HOSTM'),
      kernel: { opened: Number(k[1]), errno: k[2] === 'null' ? null : k[2]! },
      stdout,
      stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
