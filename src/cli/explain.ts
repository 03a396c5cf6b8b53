// `mq-doctor explain TEXT`: from a library's or runtime's error message to the errno,
// the checks that produce it for that call, and what those checks say here.
import { CALL_TITLES } from '../explain/errno-checks.js';
import { closestMatches, matchMessage } from '../explain/match.js';
import { explainDocument, renderExplainText, type ExplainDocument } from '../explain/render.js';
import { explainAll, isSysvCall, needsSnapshot, Runner } from '../explain/run-checks.js';
import type { ExplainArgs } from './args.js';
import { EXIT, UsageError } from './exit-codes.js';
import { writeOut } from './output.js';
import { takeSnapshot } from './snapshot.js';

export function exitCodeOfExplain(doc: Pick<ExplainDocument, 'verdict'>): number {
  return doc.verdict === 'cause-here' ? EXIT.predictedFailure : doc.verdict === 'unknown' ? EXIT.indeterminate : EXIT.ok;
}

export async function runExplain(args: ExplainArgs): Promise<number> {
  const m = matchMessage(args.text);
  if (!m) {
    const close = await closestMatches(args.text);
    throw new UsageError(`explain: "${args.text}" is not recognised; closest: ${close.map((c) => JSON.stringify(c)).join(', ')}`);
  }
  if (args.sysvOnly) {
    const sysv = m.interpretations.filter((i) => isSysvCall(i.call));
    if (sysv.length === 0) {
      const calls = [...new Set(m.interpretations.map((i) => CALL_TITLES[i.call]))].join(', ');
      throw new UsageError(`explain --sysv: "${m.text}" is no System V message: it comes from ${calls}`);
    }
    m.interpretations = sysv;
  }
  const needs = needsSnapshot(m.interpretations);
  const snap = needs.posix || needs.sysv ? takeSnapshot(args.request.pid, { scanNamespaces: needs.posix, holders: needs.posix, sysvQbytes: needs.sysv, measure: args.request.measure }) : null;
  const runner = snap ? new Runner(snap, args.request) : null;
  const errnos = explainAll(runner, m.interpretations);
  const notes: string[] = [];
  if (needs.posix && args.request.attr === null && args.request.msgsize !== null) {
    notes.push('--msgsize without --maxmsg is a System V message size: mq_open was checked with attr NULL (the namespace defaults).');
  }
  if (!snap && args.request.pid !== undefined) notes.push('--pid was not needed: no check models these errnos.');
  const doc = explainDocument(m, args.request, snap, errnos, notes);
  writeOut(args.json ? `${JSON.stringify(doc, null, 2)}\n` : renderExplainText(doc));
  return exitCodeOfExplain(doc);
}
