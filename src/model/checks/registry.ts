// Every mq_open check, in the order the kernel makes them:
//   do_mq_open: getname, get_unused_fd_flags, lookup_one_len
//   prepare_open: the existing queue (O_EXCL, permission) or O_CREAT
//   do_create → vfs_mkobj → mqueue_create_attr → mqueue_get_inode (since 4.16);
//   before 4.16 do_create validated the attr first, then created the file.
// A new check is one file in this directory and one line in CHECKS.
import { type CheckResult, tagged } from '../check-result.js';
import type { KernelEra } from '../era.js';
import type { AnyCheckId, CheckId, CheckRecord, CheckStatus } from '../types.js';
import { attrCheck } from './attr.js';
import type { MqOpenCheck } from './check.js';
import type { MqOpenContext } from './context.js';
import { defaultAttrCheck } from './default-attr.js';
import { descriptors } from './descriptors.js';
import { existingCheck } from './existing.js';
import { idMapping } from './id-mapping.js';
import { kernelRulesCheck } from './kernel-rules.js';
import { lookupCheck } from './lookup.js';
import { nameCheck } from './name.js';
import { overflowCheck } from './overflow.js';
import { queuesMaxCheck } from './queues-max.js';
import { rlimitMsgqueue } from './rlimit-msgqueue.js';

/** The kernel's order since 4.16. */
export const CHECKS: readonly MqOpenCheck[] = [
  nameCheck,
  descriptors,
  lookupCheck,
  existingCheck,
  kernelRulesCheck,
  idMapping,
  queuesMaxCheck,
  defaultAttrCheck,
  attrCheck,
  overflowCheck,
  rlimitMsgqueue,
];

/** Before 4.16, do_create() checked the attr before it created the file (and so before queues_max). */
const BEFORE_4_16: readonly CheckId[] = [
  'MQ-NAME',
  'MQ-DESCRIPTOR',
  'MQ-LOOKUP',
  'MQ-EXISTING',
  'MQ-KERNEL-RULES',
  'MQ-DEFAULT-ATTR',
  'MQ-ATTR',
  'MQ-OVERFLOW',
  'MQ-ID-MAPPING',
  'MQ-QUEUES-MAX',
  'MQ-RLIMIT-MSGQUEUE',
];

const byId = new Map(CHECKS.map((c) => [c.id, c]));

export const checkSpec = (id: CheckId): MqOpenCheck => byId.get(id)!;

export function checkOrder(era: KernelEra): readonly MqOpenCheck[] {
  return era.einvalBeforeEnospc ? BEFORE_4_16.map(checkSpec) : CHECKS;
}

/** Runs the checks the call meets, in the era's order; each result is tagged with its check's id. */
export function runChecks(c: MqOpenContext): Array<{ check: MqOpenCheck; results: CheckResult[] }> {
  const done = new Map<CheckId, CheckResult[]>();
  const out: Array<{ check: MqOpenCheck; results: CheckResult[] }> = [];
  for (const check of checkOrder(c.era)) {
    const results = check.run(c, done).map((r) => tagged(check.id, r));
    done.set(check.id, results);
    if (results.length) out.push({ check, results });
  }
  return out;
}

const SEVERITY: Record<CheckStatus, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };

const statusOf = (r: CheckResult): CheckStatus => (r.kind === 'pass' ? (r.reading?.warn ? 'warn' : 'pass') : r.kind === 'unknown' ? 'unknown' : 'fail');

/** One line per check made: its worst result decides the status, the first failure its numbers. */
export function checkRecord<Id extends AnyCheckId>(check: { id: Id; title: string; doc: string }, results: CheckResult[]): CheckRecord<Id> {
  const status = results.map(statusOf).reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), 'pass' as CheckStatus);
  const failed = results.find((r) => r.kind === 'fail');
  const lead = failed ?? results.find((r) => r.kind === 'unknown') ?? results[0]!;
  const detail = results
    .map((r) => (r.kind === 'fail' ? r.blocker.summary : r.kind === 'unknown' ? `could not be told: ${r.reason}` : [r.reading?.detail ?? 'ok', r.reading?.warn].filter(Boolean).join('; ')))
    .join(' ');
  const values =
    lead.kind === 'fail'
      ? lead.blocker.kind === 'limit'
        ? { actual: lead.blocker.actual, needed: lead.blocker.needed }
        : { actual: null, needed: null }
      : lead.kind === 'pass'
        ? { actual: lead.reading?.actual ?? null, needed: lead.reading?.needed ?? null }
        : { actual: null, needed: null };
  return { id: check.id, title: check.title, status, errno: failed?.kind === 'fail' ? failed.blocker.errno : null, ...values, detail, doc: check.doc };
}
