// Errno names (EMFILE, the EWOULDBLOCK alias) anywhere in a message, and a bare
// errno number ("24", "-24" as raw system calls return it). Numbers inside a longer
// text are not errnos ("rlimit type 12"): formats that print one say so themselves
// (python.ts, rust-std.ts, jna.ts).
// Source: torvalds/linux include/uapi/asm-generic/errno-base.h and errno.h.
import { ERRNO_ALIASES, ERRNOS } from '../errnos.js';
import type { MessageEntry, MessageTable } from './types.js';

/** [Ee][Mm]… : one name in any case, the rest of the pattern keeping its case. */
const anyCase = (name: string) => [...name].map((c) => (/[A-Z]/.test(c) ? `[${c}${c.toLowerCase()}]` : c)).join('');

const SOURCE = 'torvalds/linux include/uapi/asm-generic/errno-base.h, errno.h';

const names: MessageEntry[] = [
  ...ERRNOS.map((e) => ({ name: e.name as string, errno: e.name })),
  ...Object.entries(ERRNO_ALIASES).map(([name, errno]) => ({ name, errno })),
].map(({ name, errno }) => ({
  id: `errno/${name.toLowerCase()}`,
  library: 'errno name',
  // Upper case inside a text ("Error" or "Einval" in prose are no errno names); any case alone ("emfile").
  pattern: new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])|^\\s*${anyCase(name)}\\s*$`),
  errnos: [errno],
  calls: [],
  source: SOURCE,
  example: name,
}));

const numbers: MessageEntry[] = ERRNOS.map((e) => ({
  id: `errno/${e.number}`,
  library: 'errno number',
  pattern: new RegExp(`^\\s*-?${e.number}\\s*$`),
  errnos: [e.name],
  calls: [],
  source: SOURCE,
  example: String(e.number),
}));

export const ERRNO_NAMES: MessageTable = { library: 'errno names and numbers', entries: [...names, ...numbers] };
