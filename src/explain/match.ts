// From a pasted error message to (errno, call) pairs: every table entry that matches
// says what it knows (an errno, a call, or both), and the most specific wins:
// a library's own message (which errno(s) from which call) over a bare errno text.
import { CALL_NAMES, callsFor, ERRNO_CHECKS, type Call, type ErrnoKey } from './errno-checks.js';
import { errnoByName, errnoByNumber } from './errnos.js';
import { MESSAGES, type MessageEntry } from './messages/index.js';

export interface Hit {
  entry: MessageEntry;
  /** The errnos this hit stands for (a capture resolved; 'none' for a library's own refusal). */
  errnos: ErrnoKey[];
  /** Where in the text it matched. */
  start: number;
  end: number;
}

export interface Interpretation {
  errno: ErrnoKey;
  call: Call;
  /** The hits that say so: the library's message first, then what names the errno. */
  via: Hit[];
}

export interface MatchResult {
  /** The text as matched (trimmed, outer quotes removed). */
  text: string;
  hits: Hit[];
  interpretations: Interpretation[];
  /** Calls the text names itself ("msgget: …", "mq_open(3)"). */
  namedCalls: Call[];
}

/** Trimmed, outer quotes and a trailing newline removed: what a user pastes. */
export function normalise(text: string): string {
  let t = text.trim();
  const m = /^(["'`])([\s\S]*)\1$/.exec(t);
  if (m) t = m[2]!.trim();
  return t;
}

function find(entry: MessageEntry, text: string): { start: number; end: number; group?: string } | null {
  if (entry.unless?.test(text)) return null;
  if (typeof entry.pattern === 'string') {
    const at = text.toLowerCase().indexOf(entry.pattern.toLowerCase());
    return at < 0 ? null : { start: at, end: at + entry.pattern.length };
  }
  const re = new RegExp(entry.pattern.source, entry.pattern.flags.replace(/[gy]/g, ''));
  const m = re.exec(text);
  if (!m) return null;
  return { start: m.index, end: m.index + m[0].length, ...(m[1] !== undefined ? { group: m[1] } : {}) };
}

function hitOf(entry: MessageEntry, text: string): Hit | null {
  const f = find(entry, text);
  if (!f) return null;
  let errnos: ErrnoKey[] = [...entry.errnos];
  if (entry.capture) {
    const row = entry.capture === 'number' ? errnoByNumber(Number(f.group)) : errnoByName(f.group ?? '');
    if (!row) return null; // an errno outside the table: nothing to say about it
    errnos = [row.name];
  }
  return { entry, errnos, start: f.start, end: f.end };
}

const anyCall = (h: Hit) => h.entry.calls.length === 0;

/**
 * A bare errno text inside a longer one stands for nothing: "Too many open files"
 * inside "Too many open files in system" is not EMFILE.
 */
function dropContained(hits: Hit[]): Hit[] {
  const phrase = (h: Hit) => anyCall(h) && !h.entry.capture;
  return hits.filter(
    (h) => !phrase(h) || !hits.some((o) => o !== h && phrase(o) && o.start <= h.start && o.end >= h.end && o.end - o.start > h.end - h.start && o.errnos[0] !== h.errnos[0]),
  );
}

const CALL_TOKEN = new RegExp(`\\b(${Object.keys(CALL_NAMES).join('|')})\\b`, 'g');

export function namedCallsOf(text: string): Call[] {
  const out = new Set<Call>();
  for (const m of text.matchAll(CALL_TOKEN)) out.add(CALL_NAMES[m[1]!]!);
  return [...out];
}

export function matchMessage(raw: string): MatchResult | null {
  const text = normalise(raw);
  if (text === '') return null;
  const hits = dropContained(MESSAGES.flatMap((e) => hitOf(e, text) ?? []));
  const namedCalls = namedCallsOf(text);
  const evidence = hits.filter(anyCall);
  const evidenceErrnos = [...new Set(evidence.flatMap((h) => h.errnos))];
  const library = hits.filter((h) => !anyCall(h));
  const out: Interpretation[] = [];
  const add = (errno: ErrnoKey, call: Call, via: Hit[]) => {
    if (ERRNO_CHECKS[call][errno] === undefined) return;
    const found = out.find((i) => i.errno === errno && i.call === call);
    if (found) {
      for (const v of via) if (!found.via.includes(v)) found.via.push(v);
    } else out.push({ errno, call, via: [...via] });
  };
  const supporting = (errno: ErrnoKey) => evidence.filter((h) => h.errnos.includes(errno));

  if (library.length > 0) {
    for (const h of library) {
      const narrowed = h.entry.narrowedByText ? h.errnos.filter((e) => evidenceErrnos.includes(e)) : [];
      const errnos = narrowed.length > 0 ? narrowed : h.errnos;
      for (const errno of errnos) {
        for (const call of h.entry.calls) {
          const only = h.entry.callErrnos?.[call];
          if (!only || only.includes(errno)) add(errno, call, [h, ...supporting(errno)]);
        }
      }
    }
  } else if (evidenceErrnos.length > 0) {
    for (const errno of evidenceErrnos) {
      const possible = callsFor(errno);
      const named = namedCalls.filter((c) => possible.includes(c));
      for (const call of named.length > 0 ? named : possible) add(errno, call, supporting(errno));
    }
  } else if (namedCalls.length > 0) {
    // The call, but no errno ("mq_open failed"): every errno a check can explain.
    for (const call of namedCalls) {
      for (const [errno, m] of Object.entries(ERRNO_CHECKS[call]) as Array<[ErrnoKey, { checks: unknown[] }]>) {
        if (errno !== 'none' && m.checks.length > 0) add(errno, call, []);
      }
    }
  }
  if (out.length === 0) return null;
  return { text, hits, interpretations: out, namedCalls };
}

/** The candidates offered for an unrecognised text: every example message and errno name. */
export function candidates(): string[] {
  return [...new Set(MESSAGES.map((e) => e.example))];
}

/**
 * The closest known messages by edit distance (relative to the longer string).
 * fastest-levenshtein is small (one file, no dependencies) and widely used; it is
 * loaded only here, when a text is not recognised.
 */
export async function closestMatches(text: string, n = 3): Promise<string[]> {
  const { distance } = await import('fastest-levenshtein');
  const t = normalise(text).toLowerCase();
  return candidates()
    .map((c) => ({ c, d: distance(t, c.toLowerCase()) / Math.max(t.length, c.length, 1) }))
    .sort((a, b) => a.d - b.d || a.c.length - b.c.length)
    .slice(0, n)
    .map((x) => x.c);
}
