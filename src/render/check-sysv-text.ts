import type { SysvPrediction } from '../model/types.js';
import type { Snapshot } from '../snapshot.js';
import { checkLines, trailerLines, verdictLines, whoLine } from './check-text.js';
import { num } from './format.js';
import { sysvKeyHex as hex } from '../model/units.js';

function callLines(p: SysvPrediction): string[] {
  const r = p.request;
  const flags = [r.create || r.key === null ? 'IPC_CREAT' : '', r.exclusive ? 'IPC_EXCL' : '', `0${r.mode.toString(8)}`].filter(Boolean).join('|');
  const times = r.count > 1 ? ` × ${r.count} queues` : '';
  return [
    `msgget(${r.key === null ? 'IPC_PRIVATE' : hex(r.key)}, ${flags})${times}`,
    ...(r.qbytes !== null ? [`msgctl(msqid, IPC_SET, {msg_qbytes=${r.qbytes}})`] : []),
    `msgsnd(msqid, <${num(r.msgsize)} bytes>, IPC_NOWAIT)`,
  ];
}

function queueLines(p: SysvPrediction): string[] {
  const out: string[] = [];
  const u = p.usage;
  out.push(`Queues: ${u.queuesInUse === null ? 'unknown' : num(u.queuesInUse)} in use of kernel.msgmni ${u.msgmni === null ? 'unknown' : num(u.msgmni)}`);
  const e = p.existing;
  if (e) {
    out.push(`Existing queue: msqid ${e.msqid}, owner uid ${e.uid}, mode 0${e.mode.toString(8)}, ${num(e.messages)} message(s), ${num(e.bytes)} bytes of msg_qbytes ${e.qbytes === null ? 'unknown' : num(e.qbytes)}`);
  }
  const c = p.capacity;
  if (c.messages !== null && c.qbytes !== null) {
    const by = c.byBytes === null ? `by count: ${num(c.byCount!)}` : `by bytes ${num(c.byBytes)}, by count ${num(c.byCount!)}`;
    const free = e && c.free !== null ? `; ${num(c.free)} more fit now` : '';
    out.push(`Capacity: msg_qbytes ${num(c.qbytes)} (${c.source}) holds ${num(c.messages)} message(s) of ${num(p.request.msgsize)} bytes (${by})${free}`);
  } else {
    out.push(`Capacity: unknown (msg_qbytes ${c.qbytes === null ? 'unknown' : num(c.qbytes)})`);
  }
  return out;
}

export function renderSysvCheckText(snap: Snapshot, p: SysvPrediction): string {
  const verdict = verdictLines(p).map((l, i) => (i === 0 && p.outcome.errno ? `${l} (${p.outcome.call})` : l));
  const out = [...callLines(p), `for ${whoLine(snap)}`, '', ...verdict, '', ...checkLines(p), '', ...queueLines(p), ...trailerLines(p)];
  return `${out.join('\n')}\n`;
}
