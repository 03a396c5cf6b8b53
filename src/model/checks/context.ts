// What every mq_open check reads: the snapshot and the request, and what the
// kernel has established by the time the check runs (the name it looks up, the
// queue it found, the attr a new queue gets). Derived once, purely.
import type { QueueInfo, Snapshot } from '../../snapshot.js';
import { type UidCharges, uidCharges } from '../charges.js';
import type { KernelEra } from '../era.js';
import { type FixContext, fixContextOf, sysctlOrigin } from '../fixes.js';
import { kernelModel } from '../limits-analysis.js';
import type { EffectiveAttr, MqAttr, MqOpenRequest } from '../types.js';
import { namespaceUsage, type NamespaceUsage } from '../usage.js';

/** Queues (and their bytes, charged to the target's uid) the application already holds beyond the snapshot. */
export interface Held {
  queues: number;
  bytes: number;
}

/** The attr a new queue gets: the request's, the namespace's defaults, or unknown (why). */
export type CreationAttr = { ok: true; attr: MqAttr; source: EffectiveAttr['source'] } | { ok: false; reason: string };

export interface MqOpenContext {
  snap: Snapshot;
  req: MqOpenRequest;
  held: Held;
  count: number;
  era: KernelEra;
  wordBits: 32 | 64;
  /** CAP_SYS_RESOURCE in the initial user namespace: lifts queues_max and msg_max/msgsize_max. */
  sysResource: boolean;
  fix: FixContext;
  sysctlOrigin: (key: string) => string;
  usage: NamespaceUsage;
  charges: UidCharges;
  /** The name the kernel looks up: the request's without libc's leading "/"; null without a name. */
  kernelName: string | null;
  /** The queue of that name, when the listing has it. */
  existing: QueueInfo | undefined;
  /** Whether the listing could not be read, so existence is unknown. */
  existenceUnknown: boolean;
  /** Whether the call creates a queue: O_CREAT and no existing one found. */
  creates: boolean;
  creationAttr: CreationAttr | null;
  /** Collected while checking; they become the prediction's. */
  assumptions: string[];
  warnings: string[];
}

function creationAttr(snap: Snapshot, req: MqOpenRequest, era: KernelEra): CreationAttr {
  if (req.attr) return { ok: true, attr: req.attr, source: 'requested' };
  const m = snap.mqueue;
  // attr NULL: min(max, default) of the namespace; before 3.5 there were no
  // *_default sysctls and attr NULL meant the maxima themselves.
  const pick = (max: typeof m.msg_max, def: typeof m.msg_default): number | string =>
    !max.ok ? max.reason : !era.hasDefaultSysctls ? max.value : def.ok ? Math.min(max.value, def.value) : def.reason;
  const maxmsg = pick(m.msg_max, m.msg_default);
  const msgsize = pick(m.msgsize_max, m.msgsize_default);
  if (typeof maxmsg === 'string' || typeof msgsize === 'string') return { ok: false, reason: typeof maxmsg === 'string' ? maxmsg : (msgsize as string) };
  return { ok: true, attr: { maxmsg, msgsize }, source: 'namespace defaults' };
}

export function mqOpenContext(snap: Snapshot, req: MqOpenRequest, held: Held): MqOpenContext {
  const { era, wordBits } = kernelModel(snap);
  const caps = snap.target.capabilities;
  const fix = fixContextOf(snap);
  const kernelName = req.name === null ? null : req.name.startsWith('/') ? req.name.slice(1) : req.name;
  const existenceUnknown = Boolean(kernelName) && !snap.queues.ok;
  const existing = kernelName && snap.queues.ok ? snap.queues.value.queues.find((q) => q.name === kernelName) : undefined;
  const creates = req.create && !existing;
  return {
    snap,
    req,
    held,
    count: req.count,
    era,
    wordBits,
    sysResource: caps.ok ? caps.value.sysResource : false,
    fix,
    sysctlOrigin: (key) => sysctlOrigin(key, fix.privateIpc),
    usage: namespaceUsage(snap, era, wordBits),
    charges: uidCharges(snap, era, wordBits),
    kernelName,
    existing,
    existenceUnknown,
    creates,
    creationAttr: creates ? creationAttr(snap, req, era) : null,
    assumptions: [],
    warnings: [],
  };
}
