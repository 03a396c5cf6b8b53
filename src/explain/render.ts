// `explain` as text, and as the --json document schema/explain.schema.json describes.
import { groupDigits } from '../model/units.js';
import type { Snapshot } from '../snapshot.js';
import { errnoByName } from './errnos.js';
import type { MatchResult } from './match.js';
import type { CheckVerdict, ErrnoExplanation, ExplainRequest, ValueHere } from './run-checks.js';

export interface ExplainDocument {
  schemaVersion: 1;
  command: 'explain';
  text: string;
  matches: Array<{ id: string; library: string; source: string; note: string | null }>;
  request: { maxmsg: number | null; msgsize: number | null; name: string | null; count: number; key: number | null; qbytes: number | string | null };
  target: { pid: number; self: boolean; uid: number | null; ipcNamespace: { inode: number; initial: boolean } | null; kernelRelease: string | null } | null;
  errnos: Array<{ errno: string | null; number: number | null; strerror: string | null } & Pick<ErrnoExplanation, 'calls'>>;
  /** cause-here: a check that produces the errno fails here; none-here: every such check passes; unknown: some could not be told or run. */
  verdict: 'cause-here' | 'none-here' | 'unknown' | 'no-checks';
  notes: string[];
}

export function verdictOf(errnos: readonly ErrnoExplanation[]): ExplainDocument['verdict'] {
  const causes = errnos.flatMap((e) => e.calls.flatMap((c) => c.checks.filter((k) => k.role === 'cause')));
  if (causes.length === 0) return 'no-checks';
  if (causes.some((c) => c.status === 'fails')) return 'cause-here';
  if (causes.some((c) => c.status === 'unknown' || c.status === 'not-run')) return 'unknown';
  return 'none-here';
}

export function explainDocument(m: MatchResult, req: ExplainRequest, snap: Snapshot | null, errnos: ErrnoExplanation[], notes: string[]): ExplainDocument {
  const seen = new Set<string>();
  const matches = m.hits
    .filter((h) => !seen.has(h.entry.id) && seen.add(h.entry.id))
    .map((h) => ({ id: h.entry.id, library: h.entry.library, source: h.entry.source, note: h.entry.note ?? null }));
  const t = snap?.target;
  return {
    schemaVersion: 1,
    command: 'explain',
    text: m.text,
    matches,
    request: { maxmsg: req.attr?.maxmsg ?? null, msgsize: req.attr?.msgsize ?? req.msgsize, name: req.name, count: req.count, key: req.key, qbytes: req.qbytes },
    target:
      t && snap
        ? {
            pid: t.pid,
            self: t.self,
            uid: t.credentials.ok ? t.credentials.value.realUid : null,
            ipcNamespace: t.ipcNamespace.ok ? t.ipcNamespace.value : null,
            kernelRelease: snap.kernel.release.ok ? snap.kernel.release.value : null,
          }
        : null,
    errnos: errnos.map((e) => {
      const row = e.errno ? errnoByName(e.errno) : undefined;
      return { errno: e.errno, number: row?.number ?? null, strerror: row?.strerror ?? null, calls: e.calls };
    }),
    verdict: verdictOf(errnos),
    notes,
  };
}

const n = (v: ValueHere['actual']): string => (typeof v === 'number' ? groupDigits(v) : v === null ? 'unknown' : String(v));

function valuesText(values: readonly ValueHere[]): string {
  return values
    .map((v) => (v.needed === null || v.needed === undefined ? `${v.limit} ${n(v.actual)}` : `${v.limit} is ${n(v.actual)}, needs ${v.actual === 'unlimited' ? 'no more than that' : `at least ${n(v.needed)}`}`))
    .join('; ');
}

const STATUS: Record<CheckVerdict['status'], string> = {
  fails: 'FAILS here',
  passes: 'passes here',
  unknown: 'could not be told here',
  'not-run': 'not run',
  info: 'here',
};

function checkLines(c: CheckVerdict, width: number): string[] {
  const vals = valuesText(c.values);
  const errno = c.status === 'fails' && c.errno ? `  -> ${c.errno}` : '';
  const head = `    ${c.id.padEnd(width)}  ${STATUS[c.status]}${vals ? `: ${vals}` : ''}${errno}`;
  const pad = ' '.repeat(width + 6);
  const out = [head, `${pad}when ${c.when}`];
  if (c.detail && c.detail !== 'no blocker here') out.push(`${pad}${c.detail}`);
  if (c.fix) out.push(`${pad}fix now: ${c.fix}`);
  return out;
}

export function renderExplainText(doc: ExplainDocument): string {
  const out: string[] = [`${JSON.stringify(doc.text)}`];
  for (const m of doc.matches) out.push(`  recognised: ${m.library} (${m.source})${m.note ? `\n    ${m.note}` : ''}`);
  for (const e of doc.errnos) {
    out.push('');
    out.push(e.errno ? `${e.errno} (${e.number}, "${e.strerror}")` : 'No errno: the library refused by itself, before any system call');
    for (const c of e.calls) {
      out.push(`  ${c.title}: ${c.meaning}`);
      if (c.checks.length === 0) {
        out.push('    (no mq-doctor check models this)');
        continue;
      }
      const width = Math.max(...c.checks.map((k) => k.id.length));
      for (const k of c.checks) out.push(...checkLines(k, width));
      for (const r of c.runs) {
        const v = r.verdict === 'failure' ? `FAILS with ${r.errno}` : r.verdict === 'success' ? 'SUCCEEDS' : 'is INDETERMINATE';
        out.push(`    Here ${r.call} ${v}. Full report: ${r.command}`);
      }
    }
  }
  if (doc.target) {
    const t = doc.target;
    out.push(
      '',
      `Checked for ${t.self ? 'this environment' : `process ${t.pid}`}, uid ${t.uid ?? 'unknown'}; Linux ${t.kernelRelease ?? 'unknown'}; ${t.ipcNamespace ? (t.ipcNamespace.initial ? 'host IPC namespace' : `private IPC namespace ${t.ipcNamespace.inode}`) : 'IPC namespace unknown'}`,
    );
  }
  if (doc.notes.length) out.push('', ...doc.notes.map((x) => `Note: ${x}`));
  return `${out.join('\n')}\n`;
}
