// glibc's strerror() texts: what C programs print with perror()/%m and what most
// bindings pass on (Node's posix-mq, Ruby's rb_sys_fail, Python's OSError, Rust's
// io::Error all end in it). Built from the errno table, whose every text
// test/explain/errnos.test.ts compares with the running glibc (python3 os.strerror).
// Source: bminor/glibc sysdeps/gnu/errlist.h (the _S(ERRNO, "text") list behind strerror).
import { ERRNOS } from '../errnos.js';
import type { MessageTable } from './types.js';
import { phrase, slug } from './util.js';

export const GLIBC: MessageTable = {
  library: 'glibc strerror',
  entries: ERRNOS.map((e) => ({
    id: `glibc/${slug(e.name)}`,
    library: 'glibc strerror',
    // Case-insensitive: Go prints the same texts in lower case.
    pattern: new RegExp(phrase(e.strerror), 'i'),
    errnos: [e.name],
    calls: [],
    source: 'bminor/glibc sysdeps/gnu/errlist.h',
    example: e.strerror,
  })),
};
