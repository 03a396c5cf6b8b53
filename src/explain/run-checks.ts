// Runs, on this machine's snapshot, the checks that can produce each (errno, call)
// the message stands for, through the model's public functions (predictMqOpen,
// predictSysv), and says for each whether it fails here, with the value in force
// and the value the call needs.
import { kernelModel } from '../model/limits-analysis.js';
import { predictMqOpen } from '../model/predict-mq-open.js';
import { predictSysv } from '../model/predict-sysv.js';
import { queueCost } from '../model/cost.js';
import { groupDigits } from '../model/units.js';
import type { AnyCheckId, Blocker, CheckId, CheckRecord, MqAttr, MqOpenRequest, Prediction, SysvCheckId, SysvPrediction, SysvRequest, Verdict } from '../model/types.js';
import type { RlimValue, Snapshot } from '../snapshot.js';
import { CALL_TITLES, ERRNO_CHECKS, type Call, type CheckRef, type ErrnoKey, type RefFlags } from './errno-checks.js';
import type { ErrnoName } from './errnos.js';
import type { Interpretation } from './match.js';

/** The request flags `explain` takes (a subset of `check`'s). */
export interface ExplainRequest {
  /** null: attr NULL (the namespace's defaults). */
  attr: MqAttr | null;
  name: string | null;
  count: number;
  /** System V: bytes per message (null: kernel.msgmax, the largest the namespace takes). */
  msgsize: number | null;
  key: number | null;
  qbytes: number | string | null;
  pid: number | undefined;
  measure: boolean;
}

export type CheckStatusHere = 'fails' | 'passes' | 'unknown' | 'not-run' | 'info';

export interface ValueHere {
  limit: string;
  actual: RlimValue | string | null;
  needed: number | string | null;
}

export interface CheckVerdict {
  id: string;
  role: 'cause' | 'context';
  /** When this check produces the errno. */
  when: string;
  status: CheckStatusHere;
  /** The errno the check gives here when it fails (it may differ: RLIMIT_MSGQUEUE is EMFILE since 2.6.38). */
  errno: ErrnoName | null;
  values: ValueHere[];
  /** What mq-doctor found, in one or two sentences. */
  detail: string;
  /** The first command that fixes it now, for a failed limit. */
  fix: string | null;
}

/** One prediction made for the checks of a call: what the whole call answers here. */
export interface CallRun {
  call: string;
  verdict: Verdict;
  errno: string | null;
  /** The `mq-doctor check …` command with the full report. */
  command: string;
}

export interface CallExplanation {
  call: Call;
  title: string;
  meaning: string;
  checks: CheckVerdict[];
  runs: CallRun[];
}

const SYSV_CALLS: readonly Call[] = ['msgget', 'msgsnd', 'msgrcv', 'msgctl'];
export const isSysvCall = (c: Call) => SYSV_CALLS.includes(c);

/** Whether any interpretation needs the machine looked at (a check to run). */
export function needsSnapshot(interpretations: readonly Interpretation[]): { posix: boolean; sysv: boolean } {
  const refs = interpretations.flatMap((i) => ERRNO_CHECKS[i.call][i.errno]?.checks ?? []);
  return { posix: refs.some((r) => r.kind !== 'sysv'), sysv: refs.some((r) => r.kind === 'sysv') };
}

// --- the adapter: one check's status out of a prediction --------------------------

interface CheckState {
  status: 'fail' | 'pass' | 'unknown' | 'not-reached';
  errno: ErrnoName | null;
  values: ValueHere[];
  detail: string;
  blocker: Blocker | undefined;
}

const LIMIT_OF: Partial<Record<CheckId, string>> = {
  'MQ-DESCRIPTOR': 'RLIMIT_NOFILE',
  'MQ-QUEUES-MAX': 'fs.mqueue.queues_max',
  'MQ-RLIMIT-MSGQUEUE': 'RLIMIT_MSGQUEUE',
  'MQ-ATTR': 'fs.mqueue.msg_max / msgsize_max',
  'MQ-DEFAULT-ATTR': 'attr NULL',
};

function valuesOfBlocker(b: Blocker): ValueHere[] {
  return b.kind === 'limit' ? [{ limit: b.limit, actual: b.actual, needed: b.needed }] : [];
}

/** A check's status out of the model's records (every check made, passes included) and the blockers it made. */
function stateOf(records: CheckRecord[], blockers: Blocker[], id: AnyCheckId, errno: ErrnoKey, notMade: string, limit: string): CheckState {
  const own = blockers.filter((b) => b.id === id);
  const blocker = own.find((b) => b.errno === errno) ?? own[0];
  const r = records.find((c) => c.id === id);
  if (!r) return { status: 'not-reached', errno: null, values: [], detail: notMade, blocker: undefined };
  const status = r.status === 'fail' ? 'fail' : r.status === 'unknown' ? 'unknown' : 'pass';
  const values = blocker ? valuesOfBlocker(blocker) : r.actual !== null && r.actual !== undefined ? [{ limit, actual: r.actual, needed: r.needed ?? null }] : [];
  return { status, errno: (blocker?.errno ?? r.errno ?? null) as ErrnoName | null, values, detail: blocker?.summary ?? r.detail ?? '', blocker };
}

export function mqOpenCheckState(p: Prediction, id: CheckId, errno: ErrnoKey): CheckState {
  return stateOf(p.checks, p.blockers, id, errno, notReached(p, id), LIMIT_OF[id] ?? id);
}

function notReached(p: Prediction, id: CheckId): string {
  if (p.effectiveAttr?.source === 'existing queue') return `${p.request.name} exists: mq_open opens it, and ${id} is made only when a queue is created`;
  if (!p.request.create) return `without O_CREAT no queue is created, so ${id} is not made`;
  return `mq_open does not make ${id} for this request`;
}

// --- System V -------------------------------------------------------------------

export function sysvCheckState(p: SysvPrediction, id: SysvCheckId, errno: ErrnoKey): CheckState {
  return stateOf(p.checks, p.blockers, id, errno, `msgget/msgctl/msgsnd do not make ${id} for this request`, id);
}

function sysvPassValues(snap: Snapshot, p: SysvPrediction, id: string): { values: ValueHere[]; detail: string } {
  const { msgmax, msgmnb, msgmni } = snap.sysv;
  const r = p.request;
  switch (id) {
    case 'SYSV-MSGMNI':
      return {
        values: [{ limit: 'kernel.msgmni', actual: msgmni.ok ? msgmni.value : null, needed: p.usage.queuesInUse === null ? null : p.usage.queuesInUse + r.count }],
        detail: p.usage.queuesInUse === null ? 'queues in use unknown' : `${p.usage.queuesInUse} System V queue(s) in use in this IPC namespace`,
      };
    case 'SYSV-MSGMAX':
      return { values: [{ limit: 'kernel.msgmax', actual: msgmax.ok ? msgmax.value : null, needed: r.msgsize }], detail: `a ${r.msgsize}-byte message` };
    case 'SYSV-CAPACITY':
      return {
        values: [{ limit: `msg_qbytes (${p.capacity.source})`, actual: p.capacity.qbytes, needed: Math.max(r.msgsize, 1) }],
        detail: p.capacity.messages === null ? 'capacity unknown' : `an empty queue holds ${p.capacity.messages} such message(s)${p.existing ? `; ${p.capacity.free ?? '?'} more fit now` : ''}`,
      };
    case 'SYSV-MSGMNB':
      return { values: [{ limit: 'kernel.msgmnb', actual: msgmnb.ok ? msgmnb.value : null, needed: r.qbytes }], detail: 'IPC_SET of msg_qbytes' };
    case 'SYSV-KEY':
      return { values: [], detail: p.existing ? `key names queue ${p.existing.msqid} (owner uid ${p.existing.uid})` : 'no queue has this key' };
    default:
      return { values: [], detail: 'no blocker here' };
  }
}

// --- running ---------------------------------------------------------------------

const rlimText = (v: RlimValue): string => (v === 'unlimited' ? 'unlimited' : groupDigits(v));

const errnoOrNull = (e: ErrnoKey): ErrnoName | null => (e === 'none' ? null : e);

function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

export function posixCommand(req: ExplainRequest, flags: RefFlags): string {
  const a = ['mq-doctor', 'check'];
  if (req.attr) a.push('--maxmsg', String(req.attr.maxmsg), '--msgsize', String(req.attr.msgsize));
  if (req.name !== null) a.push('--name', req.name);
  if (flags.exclusive) a.push('--exclusive');
  if (flags.create === false) a.push('--no-create');
  if (req.count > 1) a.push('--count', String(req.count));
  if (req.pid !== undefined) a.push('--pid', String(req.pid));
  if (req.measure) a.push('--measure');
  return a.map(shellWord).join(' ');
}

export function sysvCommand(req: ExplainRequest, msgsize: number, flags: RefFlags): string {
  const a = ['mq-doctor', 'check', '--sysv', '--msgsize', String(msgsize)];
  if (req.key !== null) a.push('--key', `0x${(req.key >>> 0).toString(16)}`);
  if (req.qbytes !== null) a.push('--qbytes', String(req.qbytes));
  if (flags.exclusive) a.push('--exclusive');
  if (flags.create === false) a.push('--no-create');
  if (req.count > 1) a.push('--count', String(req.count));
  if (req.pid !== undefined) a.push('--pid', String(req.pid));
  return a.map(shellWord).join(' ');
}

/** attr NULL: min(msg_max, msg_default) × min(msgsize_max, msgsize_default), as the kernel takes it. */
function defaultAttrText(snap: Snapshot): { text: string; values: ValueHere[] } {
  const m = snap.mqueue;
  const pick = (max: typeof m.msg_max, def: typeof m.msg_default) => (max.ok ? (def.ok ? Math.min(max.value, def.value) : max.value) : null);
  const maxmsg = pick(m.msg_max, m.msg_default);
  const msgsize = pick(m.msgsize_max, m.msgsize_default);
  return {
    text: `a queue created with attr NULL here gets mq_maxmsg ${maxmsg ?? 'unknown'} × mq_msgsize ${msgsize ?? 'unknown'} (min of fs.mqueue.msg_max/msg_default and msgsize_max/msgsize_default)`,
    values: [
      { limit: 'mq_maxmsg (attr NULL)', actual: maxmsg, needed: null },
      { limit: 'mq_msgsize (attr NULL)', actual: msgsize, needed: null },
    ],
  };
}

function existingAttrText(snap: Snapshot, name: string | null): string | null {
  if (name === null || !snap.queues.ok) return null;
  const q = snap.queues.value.queues.find((x) => x.name === name.replace(/^\//, ''));
  if (!q) return `${name} does not exist here`;
  return q.attr.ok ? `${name} was created with mq_maxmsg ${q.attr.value.maxmsg} × mq_msgsize ${q.attr.value.msgsize} (${q.attr.value.curmsgs} queued)` : `${name} exists; its attr could not be read (${q.attr.reason})`;
}

export class Runner {
  private posix = new Map<string, Prediction>();
  private sysv = new Map<string, SysvPrediction>();

  constructor(
    private readonly snap: Snapshot,
    readonly req: ExplainRequest,
  ) {}

  mqOpenRequest(flags: RefFlags = {}): MqOpenRequest {
    return { name: this.req.name, create: flags.create ?? true, exclusive: flags.exclusive ?? false, access: 'rdwr', mode: 0o600, attr: this.req.attr, count: this.req.count };
  }

  predictPosix(flags: RefFlags = {}): Prediction {
    const r = this.mqOpenRequest(flags);
    const key = JSON.stringify(r);
    let p = this.posix.get(key);
    if (!p) this.posix.set(key, (p = predictMqOpen(this.snap, r)));
    return p;
  }

  /** msgsize for System V: the flag, else the largest message the namespace takes. */
  sysvMsgsize(): number {
    if (this.req.msgsize !== null) return this.req.msgsize;
    return this.snap.sysv.msgmax.ok ? this.snap.sysv.msgmax.value : 8192;
  }

  sysvRequest(flags: RefFlags = {}): SysvRequest {
    return { key: this.req.key, create: flags.create ?? true, exclusive: flags.exclusive ?? false, mode: 0o600, msgsize: this.sysvMsgsize(), qbytes: this.req.qbytes, count: this.req.count };
  }

  predictSysv(flags: RefFlags = {}): SysvPrediction {
    const r = this.sysvRequest(flags);
    const key = JSON.stringify(r);
    let p = this.sysv.get(key);
    if (!p) this.sysv.set(key, (p = predictSysv(this.snap, r)));
    return p;
  }

  explainCall(call: Call, errno: ErrnoKey): CallExplanation {
    const m = ERRNO_CHECKS[call][errno]!;
    const runs = new Map<string, CallRun>();
    const checks = m.checks.map((ref) => this.verdict(ref, errno, runs));
    return { call, title: CALL_TITLES[call], meaning: m.meaning, checks, runs: [...runs.values()] };
  }

  private verdict(ref: CheckRef, errno: ErrnoKey, runs: Map<string, CallRun>): CheckVerdict {
    const base = { id: ref.id, role: ref.role, when: ref.when, fix: null as string | null };
    const notRun = (detail: string): CheckVerdict => ({ ...base, status: 'not-run', errno: null, values: [], detail });
    if (ref.kind === 'mq_open') {
      if (ref.needsName && this.req.name === null) return notRun('give --name /NAME (the name the application opens) to run this check');
      if (ref.role === 'context') {
        const own = existingAttrText(this.snap, this.req.name);
        const d = defaultAttrText(this.snap);
        return { ...base, status: 'info', errno: null, values: d.values, detail: own ? `${own}; ${d.text}` : d.text };
      }
      const flags = ref.flags ?? {};
      const p = this.predictPosix(flags);
      const command = posixCommand(this.req, flags);
      runs.set(command, { call: 'mq_open', verdict: p.outcome.verdict, errno: p.outcome.errno, command });
      const s = mqOpenCheckState(p, ref.id, errno);
      const fix = s.blocker?.kind === 'limit' ? (s.blocker.fixes.immediate[0]?.command ?? null) : null;
      const status = s.status === 'fail' ? 'fails' : s.status === 'pass' ? 'passes' : s.status === 'unknown' ? 'unknown' : 'not-run';
      return { ...base, status, errno: s.status === 'fail' ? s.errno : null, values: s.values, detail: s.detail, fix };
    }
    if (ref.kind === 'sysv') {
      if (ref.needsKey && this.req.key === null) return notRun('give --key KEY (the key the application passes to msgget) to run this check');
      if (ref.needsQbytes && this.req.qbytes === null) return notRun('give --qbytes N (the msg_qbytes the application sets with msgctl IPC_SET) to run this check');
      const flags = ref.flags ?? {};
      const p = this.predictSysv(flags);
      const pass = sysvPassValues(this.snap, p, ref.id);
      const assumed = this.req.msgsize === null && (ref.id === 'SYSV-MSGMAX' || ref.id === 'SYSV-CAPACITY') ? ` (a message of kernel.msgmax bytes, the largest allowed: give --msgsize for yours)` : '';
      if (ref.role === 'context') return { ...base, status: 'info', errno: null, values: pass.values, detail: pass.detail + assumed };
      const command = sysvCommand(this.req, this.sysvMsgsize(), flags);
      const calls = p.request.qbytes === null ? 'msgget, msgsnd' : 'msgget, msgctl(IPC_SET), msgsnd';
      runs.set(command, { call: p.outcome.verdict === 'failure' ? p.outcome.call : calls, verdict: p.outcome.verdict, errno: p.outcome.errno, command });
      const st = sysvCheckState(p, ref.id, errno);
      const b = st.blocker;
      if (st.status === 'fail') {
        return { ...base, status: 'fails', errno: st.errno, values: st.values, detail: st.detail, fix: b?.kind === 'limit' ? (b.fixes.immediate[0]?.command ?? null) : null };
      }
      if (st.status === 'unknown') return { ...base, status: 'unknown', errno: null, values: pass.values, detail: st.detail };
      if (st.status === 'not-reached') return { ...base, status: 'not-run', errno: null, values: [], detail: st.detail };
      return { ...base, status: 'passes', errno: null, values: pass.values, detail: pass.detail + assumed };
    }
    return this.runtimeVerdict(ref, base);
  }

  /** What a runtime started from here may set: its hard limit, unless it holds CAP_SYS_RESOURCE. */
  private runtimeVerdict(ref: Extract<CheckRef, { kind: 'runtime' }>, base: Pick<CheckVerdict, 'id' | 'role' | 'when' | 'fix'>): CheckVerdict {
    const t = this.snap.target;
    const msgqueue = ref.id === 'RUNTIME-RLIMIT-MSGQUEUE';
    const lim = msgqueue ? t.rlimitMsgqueue : t.rlimitNofile;
    const resource = msgqueue ? 'RLIMIT_MSGQUEUE' : 'RLIMIT_NOFILE';
    if (!lim.ok) return { ...base, status: 'unknown', errno: null, values: [], detail: `${resource}: ${lim.reason}` };
    const { soft, hard } = lim.value.value;
    const caps = t.capabilities;
    const sysResource = caps.ok && caps.value.sysResource;
    let needed: number | null = null;
    if (msgqueue && (this.req.attr !== null || this.req.count > 1)) {
      const p = this.predictPosix();
      needed = p.cost.totalForCount > 0 ? p.cost.totalForCount : null;
      if (needed === null && this.req.attr) {
        const { era, wordBits } = kernelModel(this.snap);
        needed = queueCost(this.req.attr.maxmsg, this.req.attr.msgsize, era, wordBits).bytes * this.req.count;
      }
    }
    const who = msgqueue
      ? 'Whoever starts the runtime must raise its hard limit: LimitMSGQUEUE= in the unit of dockerd/containerd/the podman service (rootful), or the user\'s hard limit for rootless Podman/Docker (limits.d "<user> hard msgqueue N", or DefaultLimitMSGQUEUE= for the user\'s systemd manager); or ask the container for no more than that hard limit.'
      : 'Whoever starts the runtime must raise its hard limit: LimitNOFILE= in the unit of dockerd/containerd/the podman service (rootful), or the user\'s hard limit for rootless Podman/Docker (limits.d "<user> hard nofile N"); or ask the container for no more than that hard limit.';
    const here = `soft ${rlimText(soft)}, hard ${rlimText(hard)} here; ${sysResource ? 'CAP_SYS_RESOURCE (initial user namespace): a runtime started from here may raise the hard limit' : 'no CAP_SYS_RESOURCE in the initial user namespace: a runtime started from here cannot set a hard limit above it'}`;
    const values: ValueHere[] = [{ limit: `${resource} (hard)`, actual: hard, needed }];
    if (sysResource) return { ...base, status: 'passes', errno: null, values, detail: here };
    if (needed === null) {
      return { ...base, status: 'unknown', errno: null, values, detail: `${here}. Compare it with the --ulimit ${msgqueue ? 'msgqueue' : 'nofile'}=SOFT:HARD the container asks for${msgqueue ? ' (or give --maxmsg/--msgsize/--count of the workload)' : ''}. ${who}` };
    }
    const fits = hard === 'unlimited' || hard >= needed;
    return { ...base, status: fits ? 'passes' : 'fails', errno: fits ? null : 'EPERM', values, detail: fits ? here : `${here}; the workload needs ${groupDigits(needed)}. ${who}` };
  }
}

export interface ErrnoExplanation {
  errno: ErrnoName | null;
  calls: CallExplanation[];
}

/** Every interpretation, grouped by errno in the order they came. */
export function explainAll(runner: Runner | null, interpretations: readonly Interpretation[]): ErrnoExplanation[] {
  const out: ErrnoExplanation[] = [];
  for (const i of interpretations) {
    const errno = errnoOrNull(i.errno);
    let group = out.find((g) => g.errno === errno);
    if (!group) out.push((group = { errno, calls: [] }));
    const m = ERRNO_CHECKS[i.call][i.errno]!;
    if (runner && m.checks.length > 0) group.calls.push(runner.explainCall(i.call, i.errno));
    else group.calls.push({ call: i.call, title: CALL_TITLES[i.call], meaning: m.meaning, checks: [], runs: [] });
  }
  return out;
}
