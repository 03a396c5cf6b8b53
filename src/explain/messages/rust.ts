// Rust: std::io::Error shows an OS error as "<strerror> (os error N)" (Display) or
// `Os { code: N, kind: …, message: "…" }` (Debug, e.g. from unwrap()). Crates that wrap
// mq_open in std::io::Error print exactly that: posixmq (tormol/posixmq posixmq.rs,
// io::Error::last_os_error() after every call). nix prints its Errno as
// "<NAME>: <desc>" with the kernel's own comment as desc: where that differs from
// glibc's text it is listed here (the name itself is recognised in errno-names.ts).
// Sources: rust-lang/rust library/std/src/io/error.rs (impl Display for Error, and
// Debug of Repr), nix-rust/nix src/errno.rs (impl Display for Errno, fn desc).
import type { MessageEntry, MessageTable } from './types.js';

const STD = 'rust-lang/rust library/std/src/io/error.rs';
const NIX = 'nix-rust/nix src/errno.rs (fn desc)';

const nix = ([name, desc]: [MessageEntry['errnos'][number], string]): MessageEntry => ({
  id: `nix/${String(name).toLowerCase()}`,
  library: 'nix (Rust)',
  pattern: new RegExp(`\\b${name}: ${desc}\\b`),
  errnos: [name],
  calls: [],
  source: NIX,
  example: `${name}: ${desc}`,
});

export const RUST: MessageTable = {
  library: 'Rust std::io::Error, nix',
  entries: [
    {
      id: 'rust/os-error',
      library: 'Rust std::io::Error',
      pattern: /\(os error (\d+)\)/,
      capture: 'number',
      errnos: [],
      calls: [],
      source: `${STD} (impl Display for Error)`,
      example: 'Too many open files (os error 24)',
    },
    {
      id: 'rust/os-debug',
      library: 'Rust std::io::Error',
      pattern: /\bOs \{ code: (\d+)/,
      capture: 'number',
      errnos: [],
      calls: [],
      source: `${STD} (impl Debug for Repr)`,
      example: 'Os { code: 28, kind: StorageFull, message: "No space left on device" }',
    },
    ...([
      ['EAGAIN', 'Try again'],
      ['EBADF', 'Bad file number'],
      ['ENOMEM', 'Out of memory'],
      ['ENFILE', 'File table overflow'],
    ] as const).map((row) => nix([row[0], row[1]])),
  ],
};
