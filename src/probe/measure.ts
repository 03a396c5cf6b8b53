// --measure: ask the kernel instead of inferring. A helper forked by the addon
// takes on the target's user namespace, uid and soft RLIMIT_MSGQUEUE (in a
// fresh IPC namespace where it may) and creates scratch queues: every one is
// unlinked at once and closed when the helper ends. What succeeds is exactly
// what the target itself could create now, over every IPC namespace and every
// user-namespace level, including what /proc never shows.
//
// Two searches, each a bisection that first tries the model's own figure:
//  1. the charge at the target's own level: the smallest soft limit under
//     which a 1×1 queue (97 bytes) still opens, minus 97;
//  2. what still fits: the largest queue (and, past the largest single
//     queue, a held one plus another) that opens under the target's soft limit.
//     A user namespace's ceiling shows up here and only here.
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { type Avail, type BudgetMeasurement, type ByteRange, type RlimValue, have, unavailable } from '../snapshot.js';
import { loadNative, MEASURE_OP, MEASURE_STEPS, type MeasureOptions, type NativeAddon } from './native.js';
import { parseIdMap } from './userns.js';

/** At most this many mq_open calls per measurement, and this long (the bounds found so far are the answer). */
export const MAX_PROBES = 63;
export const MAX_MS = 50;
const MQ_PRIO_MAX = 32768;

export interface MeasureRequest {
  /** undefined: mq-doctor itself (and the application it is about to start). */
  pid: number | undefined;
  /** Real uid and gid, as mq-doctor's own user namespace sees them. */
  uid: number;
  gid: number;
  soft: RlimValue;
  /** sizeof(struct msg_msg) = sizeof(struct posix_msg_tree_node): 48 on 64-bit kernels. */
  structBytes: number;
  /** The model's figures, tried first: a right guess costs two probes instead of twenty. */
  hintCharged?: number;
}

type Outcome = 'fits' | 'full';

export class Abort extends Error {}

/** The forked helper, driven one command at a time (it answers in microseconds). */
class Helper {
  probes = 0;
  private readonly started = process.hrtime.bigint();
  held: number[] = [];
  peakBytes = 0;
  peakQueues = 0;
  constructor(
    private readonly addon: Pick<NativeAddon, 'measureCall'>,
    private readonly h: { wfd: number; rfd: number },
    private readonly structBytes: number,
  ) {}

  cost(m: number, s: number): number {
    return m * s + m * this.structBytes + Math.min(m, MQ_PRIO_MAX) * this.structBytes;
  }

  private call(op: number, a: number, b: number): { err: string | null; x: number; y: number } {
    const r = this.addon.measureCall(this.h.wfd, this.h.rfd, op, a, b);
    if (!r.ok) throw new Abort(`the measuring helper stopped answering (${r.errno})`);
    return r;
  }

  info(): { msgMax: number; msgsizeMax: number } {
    const r = this.call(MEASURE_OP.info, 0, 0);
    return { msgMax: r.x, msgsizeMax: r.y };
  }

  soft(v: number | 'unlimited'): void {
    const r = this.call(MEASURE_OP.soft, v === 'unlimited' ? -1 : v, 0);
    if (r.err) throw new Abort(`setting the helper's soft RLIMIT_MSGQUEUE to ${v} failed (${r.err})`);
  }

  /** One scratch queue, kept open (its charge held) when it fits. */
  open(m: number, s: number): Outcome {
    if (this.probes >= MAX_PROBES || Number(process.hrtime.bigint() - this.started) / 1e6 > MAX_MS) throw new Budget();
    this.probes++;
    const r = this.call(MEASURE_OP.open, m, s);
    if (r.err === 'EMFILE') return 'full';
    if (r.err) throw new Abort(`a scratch queue of ${m} × ${s} failed with ${r.err}, not EMFILE${r.err === 'ENOSPC' ? ' (the IPC namespace is at fs.mqueue.queues_max)' : ''}`);
    this.held.push(this.cost(m, s));
    const bytes = this.held.reduce((a, b) => a + b, 0);
    this.peakBytes = Math.max(this.peakBytes, bytes);
    this.peakQueues = Math.max(this.peakQueues, this.held.length);
    return 'fits';
  }

  releaseLast(): void {
    this.call(MEASURE_OP.release, 1, 0);
    this.held.pop();
  }

  releaseAll(): void {
    this.call(MEASURE_OP.release, 0, 0);
    this.held = [];
  }

  heldBytes(): number {
    return this.held.reduce((a, b) => a + b, 0);
  }
}

/** The probe or time budget ran out: the bounds found so far are the answer. */
class Budget extends Error {}

/** The uid's id in the target's user namespace, from its map (which shows mq-doctor's view outside). */
export function insideId(mapText: string, outside: number): number | undefined {
  for (const r of parseIdMap(mapText) ?? []) if (outside >= r.outside && outside < r.outside + r.count) return r.inside + (outside - r.outside);
  return undefined;
}

interface Plan {
  mode: BudgetMeasurement['mode'];
  options: Omit<MeasureOptions, 'prefix' | 'soft'>;
  /** Whether the helper is charged at the target's own level (not one level below it). */
  ownLevel: boolean;
  describe: string;
}

function readLinkIno(path: string): number | undefined {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(path));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function ownCapability(bit: bigint): boolean {
  try {
    const m = /CapEff:\s*([0-9a-f]+)/i.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? ((BigInt(`0x${m[1]}`) >> bit) & 1n) === 1n : false;
  } catch {
    return false;
  }
}

function realIds(): { uid: number; gid: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  return { uid: Number(/Uid:\s*(\d+)/.exec(s)![1]), gid: Number(/Gid:\s*(\d+)/.exec(s)![1]) };
}

/** The ways the helper can take on the target's credentials, least visible first; or why there is none. */
function plans(req: MeasureRequest, openFd: (path: string) => number): Plan[] | string {
  const key = req.pid === undefined ? 'self' : String(req.pid);
  const ours = readLinkIno('/proc/self/ns/user');
  const theirs = readLinkIno(`/proc/${key}/ns/user`);
  if (theirs === undefined) return `process ${key}'s user namespace cannot be read (entering it to measure needs root)`;
  const sameUserNs = ours !== undefined && ours === theirs;
  const me = realIds();
  const out: Plan[] = [];
  const ids = (): { uid?: number; gid?: number } | undefined => {
    if (sameUserNs) return me.uid === req.uid && me.gid === req.gid ? {} : { uid: req.uid, gid: req.gid };
    // After setns into the target's user namespace, ids are given in its terms.
    try {
      const uid = insideId(readFileSync(`/proc/${key}/uid_map`, 'utf8'), req.uid);
      const gid = insideId(readFileSync(`/proc/${key}/gid_map`, 'utf8'), req.gid);
      return uid === undefined || gid === undefined ? undefined : { uid, gid };
    } catch {
      return undefined;
    }
  };
  const targetIds = ids();
  if (targetIds === undefined) return `uid ${req.uid} or gid ${req.gid} has no mapping in process ${key}'s user namespace`;
  let userns: { usernsFd?: number } = {};
  if (!sameUserNs) {
    try {
      userns = { usernsFd: openFd(`/proc/${key}/ns/user`) };
    } catch (err) {
      return `process ${key}'s user namespace cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
  }
  if (ownCapability(21n)) {
    out.push({
      mode: 'fresh-ipc',
      options: { unshareIpcFirst: true, sysctls: true, ...userns, ...targetIds },
      ownLevel: true,
      describe: `a private IPC namespace with uid ${req.uid}'s credentials${sameUserNs ? '' : " in the target's user namespace"}`,
    });
  }
  if (!sameUserNs) {
    let rootUid: number | undefined;
    try {
      rootUid = insideId(readFileSync(`/proc/${key}/uid_map`, 'utf8'), me.uid) === 0 ? 0 : undefined;
    } catch {
      rootUid = undefined;
    }
    out.push({
      mode: 'fresh-ipc',
      options: { ...userns, unshareIpcAfter: true, sysctls: rootUid !== undefined, ...(rootUid !== undefined ? { rootUid } : {}), ...targetIds },
      ownLevel: true,
      describe: `a private IPC namespace inside the target's user namespace, as uid ${req.uid}`,
    });
  }
  const sameUid = sameUserNs && me.uid === req.uid;
  if (sameUid) {
    out.push({
      mode: 'fresh-user-ipc',
      options: { unshareUser: true, sysctls: true },
      ownLevel: false,
      describe: 'a fresh user and IPC namespace below the target\'s own: the kernel charges the probes to the same uid one level up, checked against the same soft limit',
    });
  }
  const ownIpc = readLinkIno('/proc/self/ns/ipc');
  if (sameUid && (req.pid === undefined || readLinkIno(`/proc/${key}/ns/ipc`) === ownIpc)) {
    out.push({
      mode: 'shared-ipc',
      options: {},
      ownLevel: true,
      describe: "the target's own IPC namespace (no private one could be made): each scratch queue was there, unlinked, for one system call",
    });
  }
  return out;
}

/** Bisects the smallest x in (lo, hi] where a monotonic p turns true, given p(lo) false and p(hi) true (neither is asked again). */
function firstTrue(lo: number, hi: number, p: (x: number) => boolean): number {
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (p(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Search 1: bytes charged at the target's own level, over every IPC namespace. */
function chargedAtOwnLevel(h: Helper, soft: number, hint: number | undefined): Avail<ByteRange> {
  const unit = h.cost(1, 1);
  const fitsUnder = (limit: number): boolean => {
    h.soft(limit);
    const r = h.open(1, 1);
    if (r === 'fits') h.releaseLast();
    return r === 'fits';
  };
  // The charge is x - unit for the smallest soft limit x under which a 1 × 1 queue opens:
  // known not to open under lo, known to open under hi.
  let lo = unit - 1;
  let hi = soft;
  const exact = (x: number) => have({ min: x - unit, max: x - unit });
  try {
    if (hint !== undefined && hint + unit <= soft) {
      // The model's figure splits the range: right, it costs two probes; wrong, it still halves it.
      if (fitsUnder(hint + unit)) {
        if (hint === 0 || !fitsUnder(hint + unit - 1)) return exact(hint + unit);
        hi = hint + unit - 1;
      } else {
        lo = hint + unit;
      }
    }
    if (hi === soft && !fitsUnder(soft)) {
      return unavailable(`not even a ${unit}-byte queue opens under the soft limit, so the charge at its own level cannot be told apart from a ceiling above it`);
    }
    return exact(firstTrue(lo, hi, fitsUnder));
  } catch (err) {
    if (err instanceof Budget) return unavailable(`the budget of ${MAX_PROBES} probes or ${MAX_MS} ms ran out`);
    throw err;
  } finally {
    h.soft(soft);
  }
}

/** The largest m with cost(m, msgsize) ≤ budget (the tree term stops growing at MQ_PRIO_MAX messages). */
export function largestMaxmsg(budget: number, msgsize: number, structBytes: number): number {
  const full = msgsize + 2 * structBytes;
  const m = Math.floor(budget / full);
  if (m <= MQ_PRIO_MAX) return Math.max(0, m);
  return MQ_PRIO_MAX + Math.floor((budget - MQ_PRIO_MAX * full) / (msgsize + structBytes));
}

/** Search 2: the most the uid can still be charged, at every level at once. */
function remaining(h: Helper, soft: RlimValue, msgMax: number, msgsizeMax: number, hint: number | undefined): ByteRange {
  const sb = h.cost(1, 1) - 1; // the per-queue overhead of a 1-message queue
  const single = (c: number) => c - sb; // msgsize of a 1 × s queue costing c
  try {
    // The model's answer, confirmed: c fits, c + 1 does not.
    if (hint !== undefined && hint >= sb + 1 && single(hint) + 1 <= msgsizeMax) {
      if (h.open(1, single(hint)) === 'fits') {
        h.releaseLast();
        if (h.open(1, single(hint) + 1) === 'full') return { min: hint, max: hint };
        h.releaseLast();
      }
    }
    // Past the largest single queue, hold the largest that fits and go on.
    for (;;) {
      if (h.open(msgMax, msgsizeMax) === 'fits') {
        if (h.heldBytes() > 2 ** 50) return { min: h.heldBytes(), max: null };
        continue;
      }
      if (msgMax > 1 && h.open(1, msgsizeMax) === 'fits') {
        h.releaseLast();
        const full = (x: number) => {
          const r = h.open(x, msgsizeMax);
          if (r === 'fits') h.releaseLast();
          return r === 'full';
        };
        // The largest m that fits: the hint's guess if m + 1 does not fit and m does, else one below the first that does not.
        const guess = hint === undefined ? 0 : Math.min(msgMax - 1, largestMaxmsg(hint - h.heldBytes(), msgsizeMax, sb / 2));
        let m: number;
        if (guess >= 1 && full(guess + 1) && !full(guess)) m = guess;
        else m = firstTrue(1, msgMax, full) - 1;
        if (h.open(m, msgsizeMax) !== 'fits') throw new Abort('a queue that fitted a moment ago no longer does: something else is creating queues as this uid');
      }
      break;
    }
    const base = h.heldBytes();
    // Cost at level 0 can never exceed the soft limit: a bound that needs no probe.
    const cap = soft === 'unlimited' ? msgsizeMax : Math.min(msgsizeMax, Math.max(0, soft - base - sb));
    const fits1 = (s: number) => {
      const r = h.open(1, s);
      if (r === 'fits') h.releaseLast();
      return r === 'fits';
    };
    if (cap < 1 || !fits1(1)) return { min: base, max: base + sb };
    if (fits1(cap)) {
      // Only the soft limit (known) or msgsize_max stopped it.
      return cap < msgsizeMax ? { min: base + h.cost(1, cap), max: base + h.cost(1, cap) } : { min: base + h.cost(1, cap), max: null };
    }
    const guess = hint === undefined ? 0 : single(hint - base);
    if (guess >= 1 && guess < cap && fits1(guess) && !fits1(guess + 1)) return { min: base + h.cost(1, guess), max: base + h.cost(1, guess) };
    const s = firstTrue(1, cap, (x) => !fits1(x)) - 1;
    return { min: base + h.cost(1, s), max: base + h.cost(1, s) };
  } catch (err) {
    if (err instanceof Budget) return { min: h.heldBytes(), max: null };
    throw err;
  } finally {
    h.releaseAll();
  }
}

export interface BudgetSearch {
  own: Avail<ByteRange>;
  remaining: ByteRange;
  probes: number;
  peakHeldBytes: number;
  peakHeldQueues: number;
}

/**
 * Both searches, through a started helper (or anything that answers its
 * protocol: the tests drive the search against a model of the kernel).
 */
export function searchBudget(
  addon: Pick<NativeAddon, 'measureCall'>,
  h: { wfd: number; rfd: number },
  structBytes: number,
  soft: RlimValue,
  ownLevel: boolean,
  hintCharged: number | undefined,
): BudgetSearch {
  const helper = new Helper(addon, h, structBytes);
  const { msgMax, msgsizeMax } = helper.info();
  const own = !ownLevel
    ? unavailable<ByteRange>('not measured: the probes ran one user-namespace level below the target (no privilege for its own level)')
    : soft === 'unlimited'
      ? unavailable<ByteRange>('not measured: the soft limit is unlimited')
      : chargedAtOwnLevel(helper, soft, hintCharged);
  const hint = own.ok && own.value.max !== null && typeof soft === 'number' ? soft - own.value.max : undefined;
  const left = remaining(helper, soft, msgMax, msgsizeMax, hint);
  return { own, remaining: left, probes: helper.probes, peakHeldBytes: helper.peakBytes, peakHeldQueues: helper.peakQueues };
}

/**
 * Measures the target's remaining queue-memory budget. Where no helper can
 * take on its credentials, says why: the caller falls back to the model.
 */
export function measureBudget(req: MeasureRequest): Avail<BudgetMeasurement> {
  const addon = loadNative();
  if (!addon.ok) return unavailable(`--measure needs the native addon (${addon.reason})`);
  const fds: number[] = [];
  const openFd = (path: string) => {
    const fd = openSync(path, 'r');
    fds.push(fd);
    return fd;
  };
  const started = process.hrtime.bigint();
  const failures: string[] = [];
  // The helper can lower its soft limit but not raise it past its hard one.
  const ownHard = addon.value.getrlimit('msgqueue');
  const hard: RlimValue = ownHard.ok ? ownHard.hard : 'unlimited';
  const clamped = req.soft !== 'unlimited' ? (hard !== 'unlimited' && req.soft > hard ? hard : req.soft) : hard;
  const softUsed: RlimValue = clamped;
  try {
    const ways = plans(req, openFd);
    if (typeof ways === 'string') return unavailable(`--measure could not run: ${ways}`);
    for (const plan of ways) {
      const prefix = `mq-doctor-measure-${process.pid}-${Date.now().toString(36)}`;
      const h = addon.value.measureStart({ prefix, soft: softUsed, ...plan.options });
      if (!h.ok) {
        failures.push(`${plan.describe}: ${MEASURE_STEPS[(h as { step?: number }).step ?? 0] ?? 'starting the helper'} failed (${h.errno})`);
        continue;
      }
      try {
        const found = searchBudget(addon.value, h, req.structBytes, softUsed, plan.ownLevel, req.hintCharged);
        const own = found.own;
        let left = found.remaining;
        const notes: string[] = [];
        if (softUsed !== req.soft) {
          notes.push(`The target's soft limit (${req.soft}) is above mq-doctor's own hard limit (${hard}): the probes ran under ${hard}, so a remaining figure that reaches it is only a lower bound.`);
          if (own.ok && typeof softUsed === 'number' && (left.max === null || left.max >= softUsed - own.value.min)) left = { min: left.min, max: null };
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        return have({
          mode: plan.mode,
          uid: req.uid,
          softLimit: softUsed,
          chargedAtOwnLevel: own,
          remaining: left,
          probes: found.probes,
          ms: Math.round(ms * 100) / 100,
          peakHeldBytes: found.peakHeldBytes,
          peakHeldQueues: found.peakHeldQueues,
          notes: [`Measured in ${plan.describe}.`, ...notes, ...failures.map((f) => `Not possible: ${f}.`)],
        });
      } catch (err) {
        if (!(err instanceof Abort)) throw err;
        failures.push(`${plan.describe}: ${err.message}`);
      } finally {
        addon.value.measureEnd(h.pid, h.wfd, h.rfd);
      }
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return unavailable(
    failures.length
      ? `--measure could not run: ${failures.join('; ')}`
      : `--measure could not run: no way to take on uid ${req.uid}'s credentials from here (another uid or user namespace needs root)`,
  );
}
