import { adviceFor } from '../model/advice.js';
import type { HoldersResult } from '../model/holders.js';
import type { ChargeLevel, Holder } from '../model/charges.js';
import { standOf, standText } from '../model/stand.js';
import type { Blocker, Certainty, CheckRecord, CheckStatus, Fixes, LiveReport, Prediction } from '../model/types.js';
import type { BudgetMeasurement, Snapshot } from '../snapshot.js';
import { adviceLines } from './advice-text.js';
import { renderHoldersText } from './holders-text.js';
import { indent, num, plural, rlim } from './format.js';

const ACCESS = { rdonly: 'O_RDONLY', wronly: 'O_WRONLY', rdwr: 'O_RDWR' } as const;

function callLine(p: Prediction): string {
  const r = p.request;
  const flags = [ACCESS[r.access], r.create ? 'O_CREAT' : '', r.exclusive ? 'O_EXCL' : ''].filter(Boolean).join('|');
  const attr = r.attr ? `{mq_maxmsg=${r.attr.maxmsg}, mq_msgsize=${r.attr.msgsize}}` : 'NULL';
  const name = r.name === null ? '"/<new queue>"' : JSON.stringify(r.name);
  const times = r.count > 1 ? ` × ${r.count} queues` : '';
  return r.create ? `mq_open(${name}, ${flags}, 0${r.mode.toString(8)}, ${attr})${times}` : `mq_open(${name}, ${flags})${times}`;
}

export function whoLine(snap: Snapshot): string {
  const t = snap.target;
  const user = t.credentials.ok ? `uid ${t.credentials.value.realUid}${t.userName.ok ? ` (${t.userName.value})` : ''}` : 'uid unknown';
  const proc = t.self ? 'this environment' : `process ${t.pid}${t.command.ok ? ` (${t.command.value})` : ''}`;
  const kernel = snap.kernel.release.ok ? `Linux ${snap.kernel.release.value}` : 'kernel unknown';
  const bits = snap.kernel.wordBits.ok ? `${snap.kernel.wordBits.value}-bit` : 'word size unknown';
  const libc = t.libc.ok ? t.libc.value : 'libc unknown';
  const ns = t.ipcNamespace.ok ? (t.ipcNamespace.value.initial ? 'host IPC namespace' : `private IPC namespace ${t.ipcNamespace.value.inode}`) : 'IPC namespace unknown';
  return `${proc}, ${user}; ${kernel}, ${bits}, ${libc}; ${ns}`;
}

/** How to run the same command so that an uncertain answer becomes definite: one line, every need in it. */
export interface DefiniteContext {
  command: string;
  argv: string[];
  /** mq-doctor runs as root already: sudo would add nothing. */
  isRoot: boolean;
  /** Diagnosing mq-doctor itself (no --pid). */
  self: boolean;
}

export function definiteCommand(w: Certainty | undefined, ctx: DefiniteContext | undefined): string | undefined {
  if (!w || !ctx) return undefined;
  const argv = ctx.argv.map(shellWord);
  if (w.measure && !ctx.argv.includes('--measure')) argv.push('--measure');
  const sudo = w.root && !ctx.isRoot;
  // Root would diagnose root: --pid $$ keeps the question about this user's shell (its uid, limits, descriptors).
  if (sudo && ctx.self) argv.push('--pid', '$$');
  if (!sudo && argv.length === ctx.argv.length && !w.launcher) return undefined;
  const line = `${sudo ? 'sudo ' : ''}mq-doctor ${[ctx.command, ...argv].join(' ')}`;
  return w.launcher ? `${line}   (the mq-doctor command itself: it records the descriptors and limits it was launched with)` : line;
}

const shellWord = (w: string) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** Unknowns that share a cause are said once: "a, b: cause". */
function groupedUnknowns(unknowns: string[]): string[] {
  return [...new Set(unknowns)];
}

export function verdictLines(p: Pick<Prediction, 'outcome' | 'blockers'>, definite?: string, brief = false): string[] {
  const o = p.outcome;
  const then = definite ? [`For a definite answer: ${definite}`] : [];
  const others = p.blockers.length > 1 ? `; ${p.blockers.length} blockers stand in the way in all${brief ? '' : ', each listed below'}` : '';
  switch (o.verdict) {
    case 'success':
      return [`Result: SUCCEEDS${o.count > 1 ? ` for all ${o.count} queues` : ''}`];
    case 'failure': {
      const which = o.count > 1 ? ` at queue ${o.opened + 1} of ${o.count} (${o.opened} open first)` : '';
      const lines = brief
        ? [`Result: FAILS with ${o.errno}${which}${p.blockers.length > 1 ? ` (the first of ${p.blockers.length} blockers, in the kernel's order)` : ''}`]
        : [`Result: FAILS with ${o.errno}${which}`, `        (the first check the kernel makes that fails${others})`];
      if (!o.errnoCertain) lines.push(`        It could fail sooner, or with another errno: ${groupedUnknowns(o.unknowns).join('; ')}.`);
      return [...lines, ...then];
    }
    case 'indeterminate':
      return [
        'Result: INDETERMINATE: mq-doctor cannot be sure of what the kernel will answer',
        ...groupedUnknowns(o.unknowns).map((u) => `  - ${u}`),
        `If those turn out favourable: ${o.ifUnknownsFavourable ? `fails with ${o.ifUnknownsFavourable}` : 'succeeds'}.`,
        ...then,
      ];
    default: {
      const never: never = o.verdict;
      return [String(never)];
    }
  }
}

function costLines(p: Prediction): string[] {
  const c = p.cost;
  if (c.bytes === 0) return [`Cost: ${c.formula}`];
  // Since 3.5 every queue has priority-tree nodes; before, one pointer per message.
  const parts = [`${num(c.messageBytes)} message bytes`, `${num(c.headerBytes)} ${c.treeNodeBytes > 0 ? 'msg_msg header' : 'pointer'} bytes`];
  if (c.treeNodeBytes) parts.push(`${num(c.treeNodeBytes)} priority-tree bytes`);
  const lines = [
    `Cost: ${num(c.bytes)} bytes per queue${p.request.count > 1 ? `, ${num(c.totalForCount)} for ${p.request.count}` : ''} (${parts.join(' + ')})`,
    `      ${c.formula}; ${c.era}, ${c.wordBits}-bit kernel`,
  ];
  return lines;
}

function holderText(h: Holder): string {
  const where = h.own ? 'this IPC namespace' : `IPC namespace ${h.ipcInode ?? '?'}${h.pid !== null ? ` (process ${h.pid}${h.command ? `, ${h.command}` : ''})` : ''}`;
  return `${num(h.bytes)}${h.unsized ? '+' : ''} in ${where}`;
}

function levelText(l: ChargeLevel): string {
  const held = l.holders.length ? l.holders.map(holderText).join(', ') : 'nothing visible';
  return `${plural(l.queues, 'queue')}: ${held}`;
}

/** Where the uid's queue memory is: each IPC namespace, at each user-namespace level. */
export function chargeLines(p: Prediction): string[] {
  const ch = p.charge;
  if (ch.uid === null) return [];
  const limit = ch.limit === null ? 'unknown' : rlim(ch.limit);
  const [level0, ...above] = p.charges.levels;
  const now = ch.chargedBytes === null ? `at least ${num(level0!.bytes)} bytes` : `${num(ch.chargedBytes)} bytes`;
  const after = ch.afterBytes === null ? '' : `; after: ${num(ch.afterBytes)}`;
  const out = [`Charge: uid ${ch.uid} holds ${now} (${levelText(level0!)})${after}; soft RLIMIT_MSGQUEUE ${limit}`];
  above.forEach((l, i) => {
    out.push(
      `        ${i === 0 ? 'one user namespace up' : `${i + 1} user namespaces up`} (${l.userNs === null ? 'unknown' : l.userNs}), uid ${l.uid ?? '?'} holds ${num(l.bytes)} bytes (${levelText(l)}); its ceiling is not shown by /proc`,
    );
  });
  if (!p.charges.chainComplete && above.length === 0 && level0!.userNs !== null) out.push('        the user namespaces above are not visible from here; each caps this uid again');
  return out;
}

/** What --measure found, and what its probes held while it ran. */
export function measurementLines(m: Snapshot['measurement']): string[] {
  if (!m) return [];
  if (!m.ok) return [`Measured: no (${m.reason})`];
  const v: BudgetMeasurement = m.value;
  const left = v.remaining.max === null ? `at least ${num(v.remaining.min)}` : v.remaining.min === v.remaining.max ? num(v.remaining.min) : `${num(v.remaining.min)} to ${num(v.remaining.max)}`;
  const own = v.chargedAtOwnLevel.ok
    ? `charged at its own level: ${v.chargedAtOwnLevel.value.min === v.chargedAtOwnLevel.value.max ? num(v.chargedAtOwnLevel.value.min) : `${num(v.chargedAtOwnLevel.value.min)}+`} bytes`
    : `its own level: ${v.chargedAtOwnLevel.reason}`;
  return [
    `Measured: uid ${v.uid} may still be charged ${left} bytes now (${own}), under soft RLIMIT_MSGQUEUE ${rlim(v.softLimit)}`,
    `          ${plural(v.probes, 'scratch queue')} in ${v.ms} ms; they held at most ${num(v.peakHeldBytes)} bytes in ${plural(v.peakHeldQueues, 'queue')} at once, for microseconds, and are gone`,
    ...v.notes.map((n) => `          ${n}`),
  ];
}

function headroomLine(p: Prediction): string | undefined {
  const h = p.headroom;
  if (p.cost.bytes === 0) return undefined;
  const by = [
    h.byRlimit !== null ? `RLIMIT_MSGQUEUE allows ${num(h.byRlimit)}` : undefined,
    h.byQueuesMax !== null ? `queues_max allows ${num(h.byQueuesMax)}` : undefined,
  ].filter(Boolean);
  const total = h.total !== null ? `${num(h.total)} more such queue${h.total === 1 ? ' fits' : 's fit'} now` : 'unknown';
  return `Headroom: ${total}${by.length ? ` (${by.join(', ')})` : ''}${h.notes.length ? ` (${h.notes.join(' ')})` : ''}`;
}

function fixesLines(f: Fixes, seenNotes: Set<string>): string[] {
  const out: string[] = [];
  const section = (title: string, fixes: Fixes['immediate']) => {
    if (fixes.length === 0) return;
    out.push(`   ${title}:`);
    for (const fix of fixes) {
      out.push(`     # ${fix.what}`);
      out.push(indent(fix.command, '     '));
    }
  };
  section('Now', f.immediate);
  section('Persistent', f.persistent);
  section('Container', f.container);
  // Several blockers share notes (namespacing, Kubernetes): say each once.
  const fresh = f.notes.filter((n) => !seenNotes.has(n));
  fresh.forEach((n) => seenNotes.add(n));
  if (fresh.length) out.push('   Notes:', ...fresh.map((n) => `     - ${n}`));
  return out;
}

export function blockerLines(b: Blocker, i: number, seenNotes = new Set<string>()): string[] {
  switch (b.kind) {
    case 'limit': {
      const hard = b.hard !== undefined ? ` (hard limit ${rlim(b.hard)})` : '';
      // A ceiling's own value is not visible, only what it leaves.
      const is = b.limit === 'RLIMIT_MSGQUEUE ceiling' ? 'leaves' : 'is';
      return [
        `${i}. ${b.limit} ${is} ${rlim(b.actual)}${hard}, needs at least ${num(b.needed)}  -> ${b.errno}`,
        `   from ${b.origin}`,
        `   ${b.summary}`,
        ...fixesLines(b.fixes, seenNotes),
      ];
    }
    case 'request':
      return [`${i}. ${b.summary}  -> ${b.errno}`, `   Fix: ${b.remedy}`];
    default: {
      const never: never = b;
      return [String(never)];
    }
  }
}

function liveLines(live: LiveReport): string[] {
  if (!live.ran) return [`Live test: not run (${live.reason})`];
  const r = live.result;
  const got = r.errno === null ? `all ${r.attempted} opened` : `${r.errno} after ${r.opened} of ${r.attempted} opened`;
  const attr = r.attr ? `, kernel gave ${r.attr.maxmsg} × ${r.attr.msgsize}` : '';
  const trip = r.roundTrip === null ? '' : r.roundTrip.ok ? '; one full-size message sent and received' : `; ${r.roundTrip.step} failed with ${r.roundTrip.errno}`;
  return [`Live test (scratch queues, unlinked again): ${got}${attr}${trip}`, `  ${live.agrees ? 'agrees with the prediction' : 'DISAGREES with the prediction: please report this'}`];
}

const STATUS: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', unknown: '????' };

/** A check's one line: for a failed limit, the value in force against the one needed. */
function checkText(r: CheckRecord, blockers: Blocker[]): string {
  if (r.status !== 'fail') return r.detail;
  const mine = blockers.filter((b) => b.id === r.id);
  const parts = mine.map((b) => {
    if (b.kind === 'request') return b.summary;
    const is = b.limit === 'RLIMIT_MSGQUEUE ceiling' ? 'leaves' : 'is';
    const hard = b.hard !== undefined && b.hard !== b.actual ? ` (hard ${rlim(b.hard)})` : '';
    return `${b.limit} ${is} ${rlim(b.actual)}${hard}, needs at least ${num(b.needed)}`;
  });
  return `${parts.join('; ')}  -> ${r.errno}`;
}

export function checkLines(p: Pick<Prediction, 'checks' | 'blockers'>): string[] {
  const width = Math.max(...p.checks.map((c) => c.id.length));
  return ['Checks, in the order the kernel makes them:', ...p.checks.map((c) => `  ${STATUS[c.status]}  ${c.id.padEnd(width)}  ${checkText(c, p.blockers)}`)];
}

function headroomSummary(p: Prediction): string | undefined {
  if (p.cost.bytes === 0) return undefined;
  if (p.outcome.verdict === 'failure') {
    const after = p.headroom.notes.find((n) => n.startsWith("once the call's own blockers are fixed"));
    const fit = p.outcome.opened > 0 ? `${num(p.outcome.opened)} of the ${num(p.outcome.count)} open, then the call fails` : 'none while the call fails';
    return `Headroom: ${fit}${after ? ` (${after})` : ''}`;
  }
  return headroomLine(p);
}

/** `mq-doctor tune …` for the same request, when it has a size to tune for. */
function tuneCommand(p: Prediction): string | null {
  const a = p.request.attr;
  if (!a) return null;
  return `mq-doctor tune --maxmsg ${a.maxmsg} --msgsize ${a.msgsize}${p.request.count > 1 ? ` --count ${p.request.count}` : ''}`;
}

export interface CheckTextOptions {
  /** Every blocker with its origin, fixes and notes, the cost breakdown and the assumptions. */
  verbose?: boolean;
  /** Who holds the queues behind an ENOSPC or a queue-memory EMFILE. */
  holders?: HoldersResult[];
}

export function renderCheckText(snap: Snapshot, p: Prediction, live: LiveReport | null, definite?: DefiniteContext, opts: CheckTextOptions = {}): string {
  const stand = standOf(snap);
  const where = standText(stand, p.charge.uid);
  const out: string[] = [callLine(p), `for ${whoLine(snap)}`, `Where: ${where}`, '', ...verdictLines(p, definiteCommand(p.outcome.certainWith, definite), !opts.verbose)];
  if (p.effectiveAttr && p.effectiveAttr.source !== 'requested') {
    out.push(`Attr: ${p.effectiveAttr.maxmsg} × ${p.effectiveAttr.msgsize} (${p.effectiveAttr.source})`);
  }
  out.push('', ...checkLines(p));
  if (opts.verbose) {
    out.push('', ...costLines(p));
    // Opening an existing queue, or without O_CREAT, charges nothing: no charge to show.
    if (p.request.create && p.effectiveAttr?.source !== 'existing queue') out.push(...chargeLines(p));
    out.push(...measurementLines(snap.measurement));
  } else if (p.cost.bytes > 0) {
    const head = headroomSummary(p);
    out.push(`Cost: ${num(p.cost.bytes)} bytes per queue${p.request.count > 1 ? `, ${num(p.cost.totalForCount)} for ${p.request.count}` : ''}${head ? `; ${head.replace(/^Headroom/, 'headroom')}` : ''}`);
    if (snap.measurement?.ok) out.push(measurementLines(snap.measurement)[0]!);
  }
  if (opts.verbose) {
    const head = headroomSummary(p);
    if (head) out.push(head);
  }
  for (const h of opts.holders ?? []) out.push('', ...renderHoldersText(h, { limit: opts.verbose ? 50 : 5 }));
  if (live) out.push('', ...liveLines(live));
  if (opts.verbose) {
    out.push(...trailerLines(p));
  } else {
    const more = p.blockers.length || p.assumptions.length ? "--verbose (every blocker's own fixes, the cost breakdown, the assumptions)" : null;
    if (p.warnings.length) out.push('', 'Warnings:', ...p.warnings.map((w) => `  - ${w}`));
    out.push(...adviceLines(adviceFor(snap, p, stand), tuneCommand(p), more));
  }
  return `${out.join('\n')}\n`;
}

/** Blockers with their fixes, then warnings and assumptions: the same for every call. */
export function trailerLines(p: Pick<Prediction, 'blockers' | 'warnings' | 'assumptions'>): string[] {
  const out: string[] = [];
  if (p.blockers.length) {
    out.push('', `${plural(p.blockers.length, 'blocker')}:`);
    const seen = new Set<string>();
    p.blockers.forEach((b, i) => out.push(...blockerLines(b, i + 1, seen)));
  }
  if (p.warnings.length) out.push('', 'Warnings:', ...p.warnings.map((w) => `  - ${w}`));
  if (p.assumptions.length) out.push('', 'Assumptions:', ...p.assumptions.map((a) => `  - ${a}`));
  return out;
}
