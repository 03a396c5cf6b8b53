// The container entrypoint: check what the container really got, raise what
// may be raised from inside, refuse (exit 78) or warn, then become the application.
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { log } from '../log.js';
import type { AnyCheckId, LimitBlocker } from '../model/types.js';
import { groupDigits as n } from '../model/units.js';
import { describeKinds, evaluateWorkload, type Evaluation, type QueueKind } from '../preflight/evaluate.js';
import { failedChecksReport } from '../preflight/report.js';
import { loadNative } from '../probe/native.js';
import { launchNofileSoft, ownNofileNow, parseLaunchFds } from '../probe/process.js';
import type { Snapshot } from '../snapshot.js';
import { setSoftRlimit, setSysctlNow } from '../tune/writer/live.js';
import type { PreflightArgs } from './args.js';
import { UsageError } from './exit-codes.js';
import { writeErr } from './output.js';
import { takeSnapshot } from './snapshot.js';

/** sysexits.h EX_CONFIG: the container's configuration cannot run the application. */
export const EX_CONFIG = 78;

async function workloadKinds(args: PreflightArgs): Promise<QueueKind[]> {
  const w = args.workload;
  switch (w.kind) {
    case 'queues':
      return [{ attr: { maxmsg: w.maxmsg, msgsize: w.msgsize }, count: w.count }];
    case 'profile': {
      // Profiles need the schema validator, which the hot bundle does not carry.
      const { loadProfile } = await import('./profile-input.js');
      const profile = loadProfile({ kind: 'file', path: w.path }, undefined);
      const queues = profile.workload?.queues ?? [];
      // Checking nothing and starting would pass a workload that was never looked at.
      if (queues.length === 0) {
        throw new UsageError(
          `profile ${w.path} has no POSIX queues (workload.queues) for the preflight to check${profile.workload?.sysv ? '; its System V part: mq-doctor check --sysv' : ''}`,
        );
      }
      return queues.map((q) => ({ attr: { maxmsg: q.maxmsg, msgsize: q.msgsize }, count: q.count ?? 1 }));
    }
    case 'default':
      return [{ attr: null, count: 1 }];
    default: {
      const never: never = w;
      throw new Error(`unknown workload ${JSON.stringify(never)}`);
    }
  }
}

/** Raises soft limits up to the hard ones and, in a private IPC namespace, the sysctls: what needs no help from outside. */
function fixFromInside(snap: Snapshot, ev: Evaluation): string[] {
  const done: string[] = [];
  const privateIpc = snap.target.ipcNamespace.ok && !snap.target.ipcNamespace.value.initial;
  for (const b of ev.blockers.filter((x): x is LimitBlocker => x.kind === 'limit')) {
    switch (b.limit) {
      case 'RLIMIT_MSGQUEUE':
      case 'RLIMIT_NOFILE': {
        const hard = b.hard ?? 0;
        if (hard !== 'unlimited' && hard < b.needed) break; // only the runtime can raise the hard limit
        const resource = b.limit === 'RLIMIT_MSGQUEUE' ? 'msgqueue' : 'nofile';
        const r = setSoftRlimit(resource, b.needed, hard);
        if (r.ok) {
          done.push(`soft ${b.limit} ${typeof b.actual === 'number' ? n(b.actual) : b.actual} → ${n(b.needed)} (hard ${typeof hard === 'number' ? n(hard) : hard})`);
          // What the application will inherit, for the second look and for the exec.
          if (resource === 'nofile') process.env.MQ_DOCTOR_LAUNCH_NOFILE = String(b.needed);
        } else log.warn({ limit: b.limit, error: r.error }, 'could not raise the soft limit');
        break;
      }
      case 'RLIMIT_MSGQUEUE ceiling':
        break; // recorded when the user namespace was made: nothing inside can lift it
      case 'fs.mqueue.msg_max':
      case 'fs.mqueue.msgsize_max':
      case 'fs.mqueue.queues_max':
      case 'kernel.msgmax':
      case 'kernel.msgmnb':
      case 'kernel.msgmni': {
        // Never the host's: with --ipc=host these are the whole machine's values.
        if (!privateIpc) break;
        const r = setSysctlNow(b.limit, b.needed);
        if (r.ok) done.push(`${b.limit} ${n(r.old)} → ${n(b.needed)} (this container's IPC namespace)`);
        else log.info({ key: b.limit, error: r.error }, 'cannot set the sysctl from inside (read-only /proc/sys?)');
        break;
      }
      default: {
        const never: never = b.limit;
        throw new Error(`unknown limit ${String(never)}`);
      }
    }
  }
  return done;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Without the addon there is no execvp: run the command as a child and pass signals on. */
function runAsChild(command: string[]): Promise<number> {
  return new Promise((resolve) => {
    // Required here, not at the top: node:child_process loads net, stream and dgram (~5 ms of every
    // container start), and with the addon the preflight execs instead.
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
    for (const sig of SIGNALS) process.on(sig, () => child.kill(sig));
    child.on('error', (err: NodeJS.ErrnoException) => {
      writeErr(`mq-doctor: preflight: ${command[0]}: ${err.code === 'ENOENT' ? 'command not found' : `cannot execute (${err.code})`}\n`);
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  });
}

function execCommand(command: string[]): Promise<number> | number {
  if (command.length === 0) {
    writeErr('mq-doctor: preflight: no command to run: give it after "--" (or as the image\'s CMD)\n');
    return 127;
  }
  const addon = loadNative();
  const nofile = launchNofileSoft();
  // Undo Node's raise of its own soft RLIMIT_NOFILE: the application gets what
  // it was launched with, or what was raised for it above.
  if (nofile !== undefined) {
    const now = ownNofileNow();
    if (now.ok && (now.value.hard === 'unlimited' || nofile <= now.value.hard)) setSoftRlimit('nofile', nofile, now.value.hard);
  }
  const inherited = parseLaunchFds(process.env.MQ_DOCTOR_LAUNCH_FDS, process.pid)?.filter((fd) => fd > 2) ?? [];
  delete process.env.MQ_DOCTOR_LAUNCH_NOFILE;
  delete process.env.MQ_DOCTOR_LAUNCH_FDS;
  if (!addon.ok) {
    log.warn({ reason: addon.reason }, 'no execvp without the native addon: running the command as a child');
    return runAsChild(command);
  }
  log.flush();
  const failed = addon.value.execvp(command[0]!, command, inherited);
  writeErr(`mq-doctor: preflight: ${command[0]}: ${failed.errno === 'ENOENT' ? 'command not found' : `cannot execute (${failed.errno}: ${failed.message})`}\n`);
  return failed.errno === 'ENOENT' ? 127 : 126;
}

export async function runPreflight(args: PreflightArgs): Promise<number> {
  let snap = takeSnapshot(undefined, { scanNamespaces: true, holders: true, measure: args.measure });
  const kinds = await workloadKinds(args);
  let ev = evaluateWorkload(snap, kinds);
  let fixed: string[] = [];
  if (ev.blockers.length > 0) {
    fixed = fixFromInside(snap, ev);
    if (fixed.length > 0) {
      snap = takeSnapshot(undefined, { scanNamespaces: true, holders: true, measure: args.measure });
      ev = evaluateWorkload(snap, kinds);
    }
  }
  const workload = describeKinds(kinds);
  // Like a bootstrap check: what failed, or could not be told, stops the start unless named in --ignore.
  // A blocker's id type also spans System V's checks; preflight's blockers are mq_open's.
  const ignored = (id: AnyCheckId | undefined) => args.ignore === 'all' || (id !== undefined && (args.ignore as readonly AnyCheckId[]).includes(id));
  const blocking = ev.blockers.filter((b) => !ignored(b.id));
  const unknown = ev.unknownChecks.filter((u) => !ignored(u.id));
  const skipped = [...ev.blockers.filter((b) => ignored(b.id)).map((b) => `${b.id ?? 'check'}: ${b.summary}`), ...ev.unknownChecks.filter((u) => ignored(u.id)).map((u) => `${u.id}: could not be told (${u.reason})`)];
  if (blocking.length > 0 || unknown.length > 0) {
    // The report below says it all at the default level; a log collector (MQ_DOCTOR_LOG_LEVEL=info) gets each check as a record.
    for (const b of blocking) log.info(b.kind === 'limit' ? { check: b.id, limit: b.limit, actual: b.actual, needed: b.needed, errno: b.errno } : { check: b.id, rule: b.rule, errno: b.errno }, 'preflight check failed');
    for (const u of unknown) log.info({ check: u.id, reason: u.reason }, 'preflight check could not be told');
    writeErr(failedChecksReport(blocking, fixed, unknown, skipped));
    if (args.mode === 'enforce') return EX_CONFIG;
    writeErr('mq-doctor: preflight: MQ_DOCTOR_MODE=warn: starting the application anyway; its mq_open calls may fail as described\n');
  } else {
    if (skipped.length) writeErr(`mq-doctor: preflight: ignored (--ignore), starting anyway:\n${skipped.map((l) => `  ${l}`).join('\n')}\n`);
    log.info({ workload, fixed, ignored: skipped }, 'preflight checks passed');
  }
  return execCommand(args.command);
}
