// One recognised message: what a library or runtime prints, which errno(s) it means
// and which call it comes from. Each library's table is a file of its own next to
// this one, listed in index.ts; every entry carries the source it was read in.
import type { Call, ErrnoKey } from '../errno-checks.js';

export interface MessageEntry {
  /** Stable, unique: "<library-slug>/<what>". */
  id: string;
  /** As a user would name it, e.g. "posix_ipc (Python)". */
  library: string;
  /**
   * A string matches case-insensitively anywhere in the text; a RegExp as written
   * (give it the i flag where case does not matter).
   */
  pattern: string | RegExp;
  /** Not this entry when the text also matches this (a traceback that names another module). */
  unless?: RegExp;
  /**
   * The errnos the message can stand for. Several: the library folds them into one
   * message. 'none': the library refused by itself, no system call failed.
   */
  errnos: readonly ErrnoKey[];
  /**
   * The message itself does not say which of `errnos` it is; an errno (name, number
   * or strerror text) elsewhere in the text does, e.g. Ruby's "Invalid argument - Failed …".
   */
  narrowedByText?: true;
  /**
   * The errno is in the match: capture group 1 is an errno number or name
   * (formats such as Python's "[Errno 24] …"); `errnos` is then ignored.
   */
  capture?: 'number' | 'name';
  /** The calls it comes from; empty: any call (a bare errno text). */
  calls: readonly Call[];
  /** Where the library maps different errnos per call: the errnos each call may stand for here. */
  callErrnos?: Partial<Record<Call, readonly ErrnoKey[]>>;
  /** What the library hides or adds, when it matters for the diagnosis. */
  note?: string;
  /** Repository and path (and function) the message was read in. */
  source: string;
  /** A complete message as a user sees it: the table test matches it, and it is offered as a close match. */
  example: string;
}

export interface MessageTable {
  library: string;
  entries: readonly MessageEntry[];
}
