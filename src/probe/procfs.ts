// Small synchronous readers: the whole probe is a handful of tiny /proc files,
// and sync reads keep `check` on one tick with no promise machinery.
import { readFileSync, readlinkSync } from 'node:fs';
import { type Avail, have, unavailable } from '../snapshot.js';

export function errorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String(e.message ?? err);
}

export function readText(path: string): Avail<string> {
  try {
    return have(readFileSync(path, 'utf8'));
  } catch (err) {
    return unavailable(`cannot read ${path} (${errorReason(err)})`);
  }
}

export function readLink(path: string): Avail<string> {
  try {
    return have(readlinkSync(path));
  } catch (err) {
    return unavailable(`cannot read link ${path} (${errorReason(err)})`);
  }
}

export function parseIntStrict(text: string): number | undefined {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function readInt(path: string, absentMeans?: string): Avail<number> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && absentMeans) return unavailable(`${path} does not exist (${absentMeans})`);
    return unavailable(`cannot read ${path} (${errorReason(err)})`);
  }
  const n = parseIntStrict(text);
  return n === undefined ? unavailable(`${path} holds "${text.trim()}", not an integer`) : have(n);
}

/** Parses "Key:\tvalue" files such as /proc/PID/status. */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}
