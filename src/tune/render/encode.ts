// Every string that reaches a generated file passes through here: a profile is
// shared and downloaded, and whatever it says must stay data. Free text only
// ever lands in comments, encoded so that it can neither end the comment line
// nor continue it; names that the formats interpret (users, units) must match
// their grammar exactly, or rendering refuses.

/**
 * Escaped in comment text: line breaks of every kind (YAML 1.1 and JavaScript
 * count NEL, LS and PS too), C0/C1 controls and DEL; besides, what a reader or
 * a reviewer's terminal would take for something else: bidirectional controls
 * (a line that displays differently from what it says), the BOM and the
 * non-characters U+FFFE/U+FFFF (not printable in YAML), and lone surrogates
 * (no UTF-8 for them: written, they would turn into U+FFFD).
 */
const ESCAPED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|\p{Cs}/gu;

export class RenderError extends Error {}

const escapeChar = (c: string) => {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * Text for a `#` comment in any of the formats (sysctl.d, limits.d, systemd,
 * quadlet, YAML, shell): controls and the like shown as \xNN or \uNNNN, and
 * backslashes doubled (systemd joins a line that ends in one with the next).
 * Unambiguous: in the result a backslash is always followed by `\`, `x` or `u`.
 */
export function commentText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(ESCAPED, escapeChar);
}

/**
 * The longest line, in bytes before its newline, that every reader of these
 * files takes whole. Readers that use fgets() into a fixed buffer return the
 * rest of a longer line as a line of its own, no longer behind its `#`:
 * procps-ng sysctl up to 3.3.x (`sysctl --system`) reads sysctl.d in 256-byte
 * pieces, pam_limits (still, 1.5/1.6) reads limits.d in 1024-byte pieces, and
 * systemd read unit files and sysctl.d in LINE_MAX (2048) pieces before it
 * moved to read_line(). 254 bytes and the newline fit the smallest of them.
 */
export const MAX_LINE_BYTES = 254;

/** Starts each further line of a comment too long for one: never produced by commentText (its backslashes are followed by `\`, `x` or `u`). */
export const CONTINUATION = '# \\ ';

/** One escape sequence or one character of commentText's output: a wrapped line never splits either. */
const UNIT = /\\(?:\\|x[0-9a-f]{2}|u[0-9a-f]{4})|[^]/gu;

/**
 * A comment: `# ` and the encoded text, wrapped into lines of at most
 * MAX_LINE_BYTES, the further ones behind CONTINUATION. The result may hold
 * several lines (joined with \n); each is a comment in every format.
 */
export function comment(text: string): string {
  const lines: string[] = [];
  let line = '# ';
  let bytes = line.length;
  for (const unit of commentText(text).match(UNIT) ?? []) {
    const size = Buffer.byteLength(unit, 'utf8');
    if (bytes + size > MAX_LINE_BYTES) {
      lines.push(line);
      line = CONTINUATION;
      bytes = CONTINUATION.length;
    }
    line += unit;
    bytes += size;
  }
  lines.push(line);
  return lines.join('\n');
}

const GRAMMARS = {
  /** pam_limits' domain: a user name (useradd's rule), "@group", or "*". */
  'limits domain': /^(\*|@?[a-z_][a-z0-9_-]{0,31}\$?)$/,
  /**
   * A systemd service unit name (systemd.unit(5)): no path separators, no
   * whitespace, no specifiers; at most 253 characters, so that its drop-in
   * directory "<unit>.d" is a file name Linux allows (NAME_MAX, 255).
   */
  'systemd unit': /^(?=.{1,253}$)[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$/,
} as const;

/** A name a format interprets: exactly its grammar, or a RenderError naming the field. */
export function identifier(kind: keyof typeof GRAMMARS, value: string): string {
  if (!GRAMMARS[kind].test(value)) throw new RenderError(`${JSON.stringify(value)} is not a valid ${kind}`);
  return value;
}

/** A number written into a file: an exact non-negative integer (never 1e+300 or a rounded 2^64). */
export function decimal(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RenderError(`${value} is not a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  return String(value);
}
