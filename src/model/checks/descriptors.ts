// MQ-DESCRIPTOR: mq_open takes a descriptor before it looks at the name. The
// kernel picks the lowest free number and refuses (EMFILE) only when that
// number is not below the soft RLIMIT_NOFILE: what counts is which numbers are
// free below the limit, not how many descriptors are open (fds 0-14 and 251
// under a limit of 16 still leave fd 15).
import type { DescriptorTable, Snapshot } from '../../snapshot.js';
import { type CheckResult, fail, pass, unknown } from '../check-result.js';
import { docAnchor, type MqOpenCheck } from './check.js';
import { type FixContext, rlimitFixes } from '../fixes.js';
import { groupDigits as fmt } from '../units.js';

/** The n-th (1-based) free descriptor number, given the numbers in use. */
export function nthFree(used: ReadonlySet<number>, n: number): number {
  let found = 0;
  for (let fd = 0; ; fd++) {
    if (!used.has(fd) && ++found === n) return fd;
  }
}

/** How many numbers below limit are free. */
export function freeBelow(used: Iterable<number>, limit: number): number {
  let taken = 0;
  for (const fd of new Set(used)) if (fd < limit) taken++;
  return limit - taken;
}

function describe(d: DescriptorTable): string {
  const n = d.open.length;
  const high = d.open[n - 1];
  return `${fmt(n)} descriptor${n === 1 ? '' : 's'} open${high !== undefined && high >= n ? ` (numbers up to ${high})` : ''}`;
}

export function descriptorCheck(snap: Snapshot, count: number, heldQueues: number, ctx: FixContext, assumptions: string[]): CheckResult {
  const t = snap.target;
  const lim = t.rlimitNofile;
  if (!lim.ok) return unknown(`RLIMIT_NOFILE: ${lim.reason}`, t.self ? { launcher: true } : undefined);
  const d = t.descriptors;
  if (!d.ok) return unknown(`the descriptors of process ${t.pid}: ${d.reason}`, { root: true });
  const soft = lim.value.value.soft;
  if (soft === 'unlimited') return pass('RLIMIT_NOFILE is unlimited', 'unlimited', null);
  if (t.self) {
    assumptions.push(
      d.value.maybe.length === 0
        ? `The application starts with the descriptors mq-doctor was launched with: ${d.value.open.join(', ')} (use --pid to check a running one).`
        : `The application starts with descriptors ${d.value.open.join(', ')}, and perhaps ${d.value.maybe.join(', ')} (mq-doctor was not run through its launcher, which records them).`,
    );
  }
  // The batch's own queues (and those opened before it) take the next free numbers.
  const freeMin = freeBelow([...d.value.open, ...d.value.maybe], soft) - heldQueues;
  const freeMax = freeBelow(d.value.open, soft) - heldQueues;
  const failsAtEarliest = Math.max(1, freeMin + 1);
  const failsAtLatest = Math.max(1, freeMax + 1);
  if (failsAtEarliest > count) {
    const needed = nthFree(new Set([...d.value.open, ...d.value.maybe]), heldQueues + count) + 1;
    const warn = needed > 0.9 * soft ? `${fmt(freeMin - count)} free descriptor number${freeMin - count === 1 ? '' : 's'} left below the soft limit afterwards` : undefined;
    return pass(`${describe(d.value)}; ${count === 1 ? 'the queue gets' : `${count} queues get up to`} fd ${needed - 1}, below the soft RLIMIT_NOFILE of ${fmt(soft)}`, soft, needed, warn);
  }
  const maybeNote = `${d.value.maybe.length} descriptor(s) below 16 may or may not be inherited`;
  if (failsAtLatest > count) return unknown(`free descriptors below RLIMIT_NOFILE ${soft}: ${maybeNote}`, { launcher: true });
  const used = new Set(d.value.open);
  const needed = nthFree(used, heldQueues + count) + 1;
  const free = Math.max(0, freeMax);
  return fail(
    {
      kind: 'limit',
      errno: 'EMFILE',
      limit: 'RLIMIT_NOFILE',
      origin: lim.value.source,
      actual: soft,
      hard: lim.value.value.hard,
      needed,
      summary:
        `EMFILE (descriptors): ${describe(d.value)}${heldQueues ? ` plus ${heldQueues} queue(s) opened before` : ''}; ${fmt(free)} free number${free === 1 ? '' : 's'} ` +
        `below the soft RLIMIT_NOFILE of ${fmt(soft)} (mq_open takes the lowest free one); ${count} more need a limit of at least ${fmt(needed)}.`,
      fixes: rlimitFixes('nofile', needed, lim.value.value.hard, ctx),
    },
    failsAtLatest,
    failsAtEarliest < failsAtLatest ? `free descriptors: ${maybeNote}` : undefined,
    failsAtEarliest < failsAtLatest ? { launcher: true } : undefined,
  );
}

export const descriptors: MqOpenCheck = {
  id: 'MQ-DESCRIPTOR',
  title: 'a free descriptor below RLIMIT_NOFILE',
  kernel: 'get_unused_fd_flags() in do_mq_open(), before the name is looked up',
  doc: docAnchor('MQ-DESCRIPTOR'),
  run: (c) => [descriptorCheck(c.snap, c.count, c.held.queues, c.fix, c.assumptions)],
};
