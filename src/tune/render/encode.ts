// Every string that reaches a generated file passes through here: a profile is
// shared and downloaded, and whatever it says must stay data. Free text only
// ever lands in comments, encoded so that it can neither end the comment line
// nor continue it; names that the formats interpret (users, units) must match
// their grammar exactly, or rendering refuses.

/** Line breaks of every kind, C0/C1 controls and DEL: nothing a reader may take as the end of a comment. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u0085]/g;

export class RenderError extends Error {}

const escapeChar = (c: string) => {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * Text for a `#` comment in any of the formats (sysctl.d, limits.d, systemd,
 * quadlet, YAML, shell): one line, controls shown as \xNN, and backslashes
 * doubled (systemd joins a line that ends in one with the next).
 */
export function commentText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(CONTROL, escapeChar);
}

/** Lines of comment text, each behind the format's comment marker. */
export function comment(text: string): string {
  return `# ${commentText(text)}`;
}

const GRAMMARS = {
  /** pam_limits' domain: a user name (useradd's rule), "@group", or "*". */
  'limits domain': /^(\*|@?[a-z_][a-z0-9_-]{0,31}\$?)$/,
  /** A systemd service unit name (systemd.unit(5)): no path separators, no whitespace, no specifiers. */
  'systemd unit': /^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$/,
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
