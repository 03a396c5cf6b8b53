// Predicts mq_open() the way ipc/mqueue.c decides it (see shared/reference/kernel-facts.md):
// libc name rules, getname, the descriptor, the lookup, then either the existing
// queue's checks or the creation checks, in the order the running kernel makes them.
import type { Avail, QueueInfo, Snapshot } from '../snapshot.js';
import { uidCharges } from './charges.js';
import { type CheckResult, fail, firstOver, PASS, tagged, unknown } from './check-result.js';
import { descriptorCheck } from './checks/descriptors.js';
import { idMappingCheck } from './checks/id-mapping.js';
import { rlimitMsgqueueCheck } from './checks/rlimit-msgqueue.js';
import { HARD_MSGMAX, HARD_MSGSIZEMAX, queueCost } from './cost.js';
import { kernelModel } from './limits-analysis.js';
import { fixContextOf, sysctlFixes, sysctlOrigin } from './fixes.js';
import { headroomFor } from './headroom.js';
import { namespaceUsage } from './usage.js';
import { groupDigits as fmt } from './units.js';
import type { Certainty, EffectiveAttr, Errno, MqAttr, MqOpenRequest, Outcome, Prediction } from './types.js';

const PATH_MAX = 4096;
const NAME_MAX = 255;

/** Queues (and their bytes, charged to the target's uid) the application already holds beyond the snapshot. */
export interface Held {
  queues: number;
  bytes: number;
}

function mayAccess(q: QueueInfo, req: MqOpenRequest, snap: Snapshot): Avail<boolean> {
  const { credentials, capabilities } = snap.target;
  if (!credentials.ok) return credentials;
  if (!capabilities.ok) return capabilities;
  const c = credentials.value;
  const want = { rdonly: 4, wronly: 2, rdwr: 6 }[req.access];
  const bits =
    c.fsUid === q.uid ? (q.mode >> 6) & 7 : c.fsGid === q.gid || c.groups.includes(q.gid) ? (q.mode >> 3) & 7 : q.mode & 7;
  if ((bits & want) === want) return { ok: true, value: true };
  // generic_permission(): CAP_DAC_OVERRIDE opens anything for read/write, CAP_DAC_READ_SEARCH for read.
  if (capabilities.value.dacOverride) return { ok: true, value: true };
  return { ok: true, value: want === 4 && capabilities.value.dacReadSearch };
}

export function predictMqOpen(snap: Snapshot, req: MqOpenRequest, held: Held = { queues: 0, bytes: 0 }): Prediction {
  const { era, wordBits } = kernelModel(snap);
  const assumptions: string[] = [];
  const warnings: string[] = [];
  if (!snap.kernel.release.ok || era.basis.startsWith('assumed')) assumptions.push(`Kernel rules: ${era.basis}.`);
  if (!snap.kernel.wordBits.ok) assumptions.push(`Assumed a 64-bit kernel (${snap.kernel.wordBits.reason}).`);
  const { target } = snap;
  const caps = target.capabilities;
  const sysResource = caps.ok ? caps.value.sysResource : false;
  if (!caps.ok) assumptions.push(`Assumed no CAP_SYS_RESOURCE (${caps.reason}).`);
  if (caps.ok && caps.value.sysResourceInOwnNs && !caps.value.initialUserNs) {
    warnings.push(
      'The process holds CAP_SYS_RESOURCE only inside its own user namespace; the kernel checks it in the initial one, so it does not lift any queue limit.',
    );
  }
  const libc = target.libc.ok ? target.libc.value : null;
  const ctx = fixContextOf(snap);
  const privateIpc = ctx.privateIpc;
  const sysctlOriginOf = (key: string) => sysctlOrigin(key, privateIpc);
  const usage = namespaceUsage(snap, era, wordBits);
  const charges = uidCharges(snap, era, wordBits);
  const uid = target.credentials.ok ? target.credentials.value.realUid : null;
  const count = req.count;

  // --- libc and getname -------------------------------------------------------
  const nameChecks: CheckResult[] = [];
  let kernelName: string | null = null;
  if (req.name !== null) {
    // glibc and musl disagree only on a name without the leading '/'.
    if (libc === null && !req.name.startsWith('/')) {
      nameChecks.push(unknown(`whether libc accepts "${req.name}" without a leading "/" (glibc refuses it, musl does not): ${!target.libc.ok ? target.libc.reason : ''}`));
    } else if (libc === 'glibc' && !req.name.startsWith('/')) {
      nameChecks.push(
        fail({
          kind: 'request',
          errno: 'EINVAL',
          rule: 'libc-name',
          summary: `glibc's mq_open rejects "${req.name}": the name must start with "/" (musl would accept it).`,
          remedy: `Name the queue "/${req.name}".`,
        }),
      );
    }
    kernelName = req.name.startsWith('/') ? req.name.slice(1) : req.name;
    if (kernelName === '') {
      nameChecks.push(
        fail({ kind: 'request', errno: 'ENOENT', rule: 'empty-name', summary: 'The name "/" is empty once libc strips the slash.', remedy: 'Give the queue a name after the "/".' }),
      );
    } else if (Buffer.byteLength(kernelName) >= PATH_MAX) {
      nameChecks.push(
        fail({ kind: 'request', errno: 'ENAMETOOLONG', rule: 'name-too-long', summary: `The name is ${Buffer.byteLength(kernelName)} bytes; the kernel copies at most ${PATH_MAX - 1}.`, remedy: `Use a name of at most ${NAME_MAX} bytes after the "/".` }),
      );
    }
  }

  // --- a free descriptor, taken before the name is looked up -----------------------
  const nofileCheck = tagged('MQ-DESCRIPTOR', descriptorCheck(snap, count, held.queues, ctx, assumptions));

  // --- lookup_one_len() on the stripped name -------------------------------------
  const lookupChecks: CheckResult[] = [];
  if (kernelName) {
    if (kernelName === '.' || kernelName === '..' || kernelName.includes('/')) {
      lookupChecks.push(
        fail({ kind: 'request', errno: 'EACCES', rule: 'name-component', summary: `"${req.name}" is not a single name: "." , ".." and a further "/" are refused with EACCES.`, remedy: 'Use one "/" followed by a name without "/".' }),
      );
    } else if (Buffer.byteLength(kernelName) > NAME_MAX) {
      lookupChecks.push(
        fail({ kind: 'request', errno: 'ENAMETOOLONG', rule: 'name-too-long', summary: `The name is ${Buffer.byteLength(kernelName)} bytes after the "/"; the limit is ${NAME_MAX}.`, remedy: `Shorten it to at most ${NAME_MAX} bytes after the "/".` }),
      );
    }
  }

  // --- does the queue exist? -----------------------------------------------------
  let existing: QueueInfo | undefined;
  const existenceChecks: CheckResult[] = [];
  let existenceUnknown = false;
  if (kernelName) {
    if (!snap.queues.ok) {
      existenceUnknown = true;
      existenceChecks.push(unknown(`whether ${req.name} exists: ${snap.queues.reason}`, { root: true }));
    } else {
      existing = snap.queues.value.queues.find((q) => q.name === kernelName);
    }
  }
  let effectiveAttr: EffectiveAttr | null = null;
  const creationChecks: CheckResult[] = [];

  if (existing) {
    if (req.create && req.exclusive) {
      existenceChecks.push(
        fail({ kind: 'request', errno: 'EEXIST', rule: 'queue-exists', summary: `${req.name} already exists and O_EXCL was given.`, remedy: `Unlink it first (mq_unlink("${req.name}")) or open it without O_EXCL.` }),
      );
    } else {
      const access = mayAccess(existing, req, snap);
      if (!access.ok) existenceChecks.push(unknown(`permission on ${req.name}: ${access.reason}`));
      else if (!access.value) {
        existenceChecks.push(
          fail({ kind: 'request', errno: 'EACCES', rule: 'permission', summary: `${req.name} is owned by uid ${existing.uid} with mode ${existing.mode.toString(8).padStart(4, '0')}: ${req.access} access is denied.`, remedy: `Have its owner chmod it, or open it ${req.access === 'rdwr' ? 'read-only or write-only as its mode allows' : 'as a user its mode allows'}.` }),
        );
      }
    }
    if (existing.attr.ok) effectiveAttr = { maxmsg: existing.attr.value.maxmsg, msgsize: existing.attr.value.msgsize, source: 'existing queue' };
    if (req.attr) {
      const old = existing.attr.ok ? `${existing.attr.value.maxmsg} × ${existing.attr.value.msgsize}` : 'unknown (its attrs could not be read)';
      warnings.push(
        `${req.name} already exists: the kernel ignores the requested attr ${req.attr.maxmsg} × ${req.attr.msgsize}; the queue keeps its own ${old}. Unlink it to recreate it with the new size.`,
      );
    }
  } else if (!req.create && !existenceUnknown) {
    existenceChecks.push(
      fail({ kind: 'request', errno: 'ENOENT', rule: 'queue-missing', summary: `${req.name ?? 'The queue'} does not exist and O_CREAT was not given.`, remedy: 'Create it first, or pass O_CREAT.' }),
    );
  } else if (req.create) {
    // The order of the creation checks, the defaults and the cost all changed
    // with kernel versions: without the release, none of them is certain.
    if (era.basis.startsWith('assumed')) creationChecks.push(tagged('MQ-KERNEL-RULES', unknown(`which kernel's rules apply: ${era.basis}`)));
    const c = creationPath();
    creationChecks.push(...c.checks);
    effectiveAttr = c.attr;
  }

  function creationPath(): { checks: CheckResult[]; attr: EffectiveAttr | null } {
    const m = snap.mqueue;
    const checks: CheckResult[] = [];
    // The VFS refuses a file whose owner the superblock's user namespace cannot map (since 4.8).
    const mapping = tagged('MQ-ID-MAPPING', era.idMappingCheck ? idMappingCheck(snap) : PASS);
    // queues_max (ENOSPC), counted per IPC namespace over all users.
    const enospc = tagged('MQ-QUEUES-MAX', ((): CheckResult => {
      if (sysResource) return PASS;
      if (!m.queues_max.ok) return unknown(`fs.mqueue.queues_max: ${m.queues_max.reason}`, { root: true });
      if (usage.queuesInUse === undefined) {
        // Even the queues known to exist (the application's own) may already be too many.
        const why = `queues in use: ${usage.unknownReason}`;
        return enospcFail(held.queues, m.queues_max.value, why) ?? unknown(why, { root: true });
      }
      return liftable(enospcFail(usage.queuesInUse + held.queues, m.queues_max.value)) ?? PASS;
    })());
    function enospcFail(inUse: number, max: number, bound?: string): CheckResult | undefined {
      const failsAt = firstOver(inUse, 1, max);
      if (failsAt > count) return undefined;
      const needed = inUse + count;
      const inUseText = bound ? `at least ${fmt(inUse)} of ${fmt(max)} queues are in use (the rest is unknown)` : `${fmt(inUse)} of ${fmt(max)} queues are in use`;
      return fail(
        {
          kind: 'limit',
          errno: 'ENOSPC',
          limit: 'fs.mqueue.queues_max',
          origin: sysctlOriginOf('fs.mqueue.queues_max'),
          actual: max,
          needed,
          summary: `ENOSPC: ${inUseText} in this IPC namespace; ${count} more need queues_max ≥ ${fmt(needed)}.`,
          fixes: sysctlFixes('fs.mqueue.queues_max', needed, ctx),
        },
        failsAt,
        bound,
        bound ? { root: true } : undefined,
      );
    }

    // attr NULL: min(max, default) of the namespace.
    let attr: MqAttr | null = req.attr;
    let attrSource: EffectiveAttr['source'] = 'requested';
    if (!attr) {
      attrSource = 'namespace defaults';
      const pick = (max: Avail<number>, def: Avail<number>): number | string =>
        // Before 3.5 there were no *_default sysctls: attr NULL meant the maxima themselves.
        !max.ok ? max.reason : !era.hasDefaultSysctls ? max.value : def.ok ? Math.min(max.value, def.value) : def.reason;
      const maxmsg = pick(m.msg_max, m.msg_default);
      const msgsize = pick(m.msgsize_max, m.msgsize_default);
      if (typeof maxmsg === 'string' || typeof msgsize === 'string') {
        const noDefault = tagged('MQ-DEFAULT-ATTR', unknown(`the default attr: ${typeof maxmsg === 'string' ? maxmsg : msgsize}`, { root: true }));
        return { checks: era.einvalBeforeEnospc ? [noDefault, mapping, enospc] : [mapping, enospc, noDefault], attr: null };
      }
      attr = { maxmsg, msgsize };
    }
    const validity = attrChecks(attr, req.attr !== null).map((c) => tagged(c.kind === 'fail' && c.blocker.kind === 'request' && c.blocker.rule === 'size-overflow' ? 'MQ-OVERFLOW' : 'MQ-ATTR', c));
    const charge = tagged('MQ-RLIMIT-MSGQUEUE', rlimitCheck(attr));
    // Before 4.16 do_create() validated attr before the VFS create; since, the create comes first.
    const ordered = era.einvalBeforeEnospc ? [...validity, mapping, enospc] : [mapping, enospc, ...validity];
    checks.push(...ordered, charge);
    return { checks, attr: { ...attr, source: attrSource } };
  }

  /** CAP_SYS_RESOURCE lifts queues_max and msg_max/msgsize_max: unknown capabilities make their failures uncertain. */
  function liftable(c: CheckResult | undefined): CheckResult | undefined {
    if (!c || caps.ok || c.kind !== 'fail') return c;
    return unknown(`${c.blocker.kind === 'limit' ? c.blocker.limit : 'the limit'} would refuse, unless the target holds CAP_SYS_RESOURCE (${caps.reason})`);
  }

  function attrChecks(attr: MqAttr, requested: boolean): CheckResult[] {
    const out: CheckResult[] = [];
    const m = snap.mqueue;
    for (const [field, value] of [['maxmsg', attr.maxmsg], ['msgsize', attr.msgsize]] as const) {
      if (value <= 0) {
        out.push(fail({ kind: 'request', errno: 'EINVAL', rule: 'attr-not-positive', summary: `mq_${field} is ${value}: it must be at least 1.`, remedy: `Pass a positive mq_${field}.` }));
      }
    }
    if (out.length > 0) return out;
    // Defaults are clamped to the maxima, so only an explicit attr can exceed them.
    if (!requested) return out;
    const rows = [
      { field: 'maxmsg', value: attr.maxmsg, hard: HARD_MSGMAX, key: 'fs.mqueue.msg_max', limit: m.msg_max },
      { field: 'msgsize', value: attr.msgsize, hard: HARD_MSGSIZEMAX, key: 'fs.mqueue.msgsize_max', limit: m.msgsize_max },
    ] as const;
    for (const r of rows) {
      if (r.value > r.hard) {
        out.push(
          fail({
            kind: 'request',
            errno: 'EINVAL',
            rule: 'attr-over-hard-cap',
            summary: `mq_${r.field} ${fmt(r.value)} is over the kernel's hard cap of ${fmt(r.hard)}: no sysctl or capability allows it.`,
            remedy: `Use mq_${r.field} ≤ ${fmt(r.hard)}${r.field === 'maxmsg' ? ', or spread the messages over several queues' : ', or send larger payloads another way (shared memory, a file)'}.`,
          }),
        );
      } else if (sysResource) {
        continue; // with CAP_SYS_RESOURCE only the hard caps apply
      } else if (!r.limit.ok) {
        out.push(unknown(`${r.key}: ${r.limit.reason}`, { root: true }));
      } else if (r.value > r.limit.value) {
        out.push(
          liftable(fail({
            kind: 'limit',
            errno: 'EINVAL',
            limit: r.key,
            origin: sysctlOriginOf(r.key),
            actual: r.limit.value,
            needed: r.value,
            summary: `EINVAL: mq_${r.field} ${fmt(r.value)} is over ${r.key} = ${fmt(r.limit.value)}.`,
            fixes: sysctlFixes(r.key, r.value, ctx),
          }))!,
        );
      }
    }
    if (out.length === 0) out.push(overflowCheck(attr));
    return out;
  }

  function overflowCheck(attr: MqAttr): CheckResult {
    if (era.costFormula !== 'tree') return PASS;
    if (!snap.kernel.wordBits.ok && attr.maxmsg * attr.msgsize >= 2 ** 32) return unknown(`whether ${attr.maxmsg} × ${attr.msgsize} overflows: the kernel's word size is unknown`);
    const ulongMax = 2 ** wordBits - 1;
    const cost = queueCost(attr.maxmsg, attr.msgsize, era, wordBits);
    if (attr.msgsize <= Math.floor(ulongMax / attr.maxmsg) && cost.bytes <= ulongMax) return PASS;
    return fail({
      kind: 'request',
      errno: 'EOVERFLOW',
      rule: 'size-overflow',
      summary: `${attr.maxmsg} × ${attr.msgsize} bytes overflows the ${wordBits}-bit kernel's size computation.`,
      remedy: 'Use a smaller maxmsg or msgsize.',
    });
  }

  function rlimitCheck(attr: MqAttr): CheckResult {
    if (attr.maxmsg <= 0 || attr.msgsize <= 0) return PASS;
    // sizeof(struct msg_msg) is 24 or 48 bytes: the cost is unknown without the kernel's word size.
    if (!snap.kernel.wordBits.ok) return unknown(`the cost of each queue: the kernel's word size is unknown (${snap.kernel.wordBits.reason})`);
    return rlimitMsgqueueCheck(snap, {
      each: queueCost(attr.maxmsg, attr.msgsize, era, wordBits).bytes,
      count,
      heldBytes: held.bytes,
      attrText: `${attr.maxmsg} × ${attr.msgsize}`,
      errno: era.rlimitErrno,
      charges,
      ctx,
    });
  }

  const ordered = [
    ...nameChecks.map((c) => tagged('MQ-NAME', c)),
    nofileCheck,
    ...lookupChecks.map((c) => tagged('MQ-LOOKUP', c)),
    ...existenceChecks.map((c) => tagged('MQ-EXISTING', c)),
    ...creationChecks,
  ];
  const outcome = decide(ordered, count);
  const blockers = ordered.flatMap((c) => (c.kind === 'fail' ? [c.blocker] : []));

  const costAttr = existing ? null : req.attr ?? (effectiveAttr?.source === 'namespace defaults' ? effectiveAttr : null);
  const noCharge = (why: string) => ({ bytes: 0, messageBytes: 0, headerBytes: 0, treeNodeBytes: 0, formula: `nothing: ${why}` });
  const cost = existing
    ? noCharge('opening an existing queue charges nothing')
    : !req.create
      ? noCharge('without O_CREAT no queue is created')
      : costAttr
        ? queueCost(costAttr.maxmsg, costAttr.msgsize, era, wordBits)
        : noCharge('the default attr could not be read');
  const measuredOwn = snap.measurement?.ok && snap.measurement.value.chargedAtOwnLevel.ok ? snap.measurement.value.chargedAtOwnLevel.value : null;
  const level0 = charges.levels[0]!;
  const chargedBytes =
    measuredOwn && measuredOwn.min === measuredOwn.max
      ? measuredOwn.min + held.bytes
      : charges.gaps.length === 0 && uid !== null
        ? level0.bytes + held.bytes
        : null;
  const limit = target.rlimitMsgqueue.ok ? target.rlimitMsgqueue.value.value.soft : null;
  if (uid !== null && !snap.measurement?.ok) {
    assumptions.push(
      'Each queue is counted for its file owner, as if created in the user namespace that owns its IPC namespace; a queue created by a set-uid program is charged to the creator\'s real uid, which the mqueue filesystem does not show (--measure sees it).',
    );
  }
  if (privateIpc && target.self) {
    warnings.push('This runs in a private IPC namespace (a container?): its fs.mqueue values started from the kernel defaults, whatever the host\'s sysctl.d says.');
  }
  return {
    request: req,
    effectiveAttr,
    cost: { ...cost, wordBits, era: era.basis, totalForCount: cost.bytes * count },
    charge: {
      uid,
      chargedBytes,
      limit,
      afterBytes: chargedBytes === null || existing ? null : chargedBytes + cost.bytes * count,
    },
    outcome,
    blockers,
    charges,
    headroom: existing
      ? { byRlimit: null, byQueuesMax: null, total: null, notes: ['Opening an existing queue charges nothing and takes no queue slot.'] }
      : headroomFor(snap, usage, charges, costAttr ? cost.bytes : 0, sysResource, held),
    warnings,
    assumptions,
  };
}

function decide(ordered: CheckResult[], count: number): Outcome {
  let chosen: { index: number; failsAt: number; errno: Errno } | undefined;
  ordered.forEach((c, index) => {
    if (c.kind === 'fail' && (!chosen || c.failsAt < chosen.failsAt)) chosen = { index, failsAt: c.failsAt, errno: c.blocker.errno };
  });
  const unknowns = ordered.flatMap((c) => (c.kind === 'unknown' ? [c.reason] : c.kind === 'fail' && c.bound ? [c.bound] : []));
  // An unavailable check the kernel makes earlier, or a partly unknown usage,
  // could make the call fail sooner or with another errno.
  const uncertain = (c: CheckResult) => c.kind === 'unknown' || (c.kind === 'fail' && c.bound !== undefined);
  // A failure at the very first queue cannot come any sooner: only a check the
  // kernel makes before it could still change the errno.
  const errnoCertain =
    unknowns.length === 0 || (chosen !== undefined && chosen.failsAt === 1 && ordered.slice(0, chosen.index).every((c) => !uncertain(c)));
  const base = { call: 'mq_open' as const, count, unknowns, ifUnknownsFavourable: chosen?.errno ?? null };
  const certainWith = certaintyOf(ordered);
  const unknownChecks = ordered.flatMap((c) => (c.id && c.kind === 'unknown' ? [{ id: c.id, reason: c.reason }] : c.id && c.kind === 'fail' && c.bound ? [{ id: c.id, reason: c.bound }] : []));
  const extra = { ...(certainWith ? { certainWith } : {}), ...(unknownChecks.length ? { unknownChecks } : {}) };
  if (chosen) {
    const definite = errnoCertain && (chosen.failsAt === 1 || !uncertain(ordered[chosen.index]!));
    return { ...base, verdict: 'failure', errno: chosen.errno, errnoCertain, opened: chosen.failsAt - 1, ...(definite ? {} : extra) };
  }
  if (unknowns.length > 0) return { ...base, verdict: 'indeterminate', errno: null, errnoCertain: false, opened: 0, ...extra };
  return { ...base, verdict: 'success', errno: null, errnoCertain: true, opened: count };
}

/** What the uncertain checks need, merged: one command line can then make the answer definite. */
export function certaintyOf(checks: CheckResult[]): Certainty | undefined {
  const out: Certainty = {};
  for (const c of checks) {
    const w = c.kind === 'unknown' || (c.kind === 'fail' && c.bound !== undefined) ? c.certainWith : undefined;
    if (w?.measure) out.measure = true;
    if (w?.root) out.root = true;
    if (w?.launcher) out.launcher = true;
  }
  return Object.keys(out).length ? out : undefined;
}
