#!/bin/sh
':' //; F="$$:"; for f in /proc/$$/fd/*; do n=${f##*/}; case $n in *[!0-9]*) F=; break;; esac; if [ "$n" -le 2 ]; then F="$F $n"; elif [ -e "$f" ] && ! [ "$f" -ef "$0" ]; then if { read -r _ && read -r l; } <"/proc/$$/fdinfo/$n"; then [ $(( ${l#flags:?} & 02000000 )) -eq 0 ] && F="$F $n"; else F=; break; fi; fi; done; N=; while read -r a b c d e; do [ "$a $b $c" = "Max open files" ] && N=$d; done </proc/$$/limits; export MQ_DOCTOR_LAUNCH_FDS="$F" MQ_DOCTOR_LAUNCH_NOFILE="$N"; unset MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS; case " $* " in *" watch "*) ;; *) case "$NODE_EXTRA_CA_CERTS ${NODE_OPTIONS-}" in *[!\ -~]*|*" -r"*|*--require*|*--import*|*loader*) ;; *) [ -n "${NODE_EXTRA_CA_CERTS+x}" ] && { export MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; };; esac;; esac; [ "$1" = watch ] && { export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"; set -- --max-semi-space-size=1 --expose-gc "$0" "$@"; } || set -- "$0" "$@"; exec node "$@"
'use strict';
// Run as a program, /bin/sh reads the line above: Node raises its own soft
// RLIMIT_NOFILE to the hard limit at start-up and makes descriptors 0-15
// close-on-exec, so the launcher records what an application started from here
// inherits: the soft limit, and the descriptor numbers it passes on (those open
// and not close-on-exec, as "PID: 0 1 2 …"; exec keeps the PID; empty when it
// could not tell; never the launcher's own script). No pipes or subshells: it
// must work with one free descriptor. The daemon gets a small
// young generation and gc(): each probe of 10,000 queues allocates tens of MB
// that die at once, and V8 would keep ~40 MB of RSS for them; and two malloc
// arenas, not glibc's one per thread up to 8 per core: the pool thread that
// reads the queues and V8's GC workers each kept their own, 27 → 15 MB of
// anonymous memory at 10,000 queues, 49 → 22 MB at 50,000 (bench/watch.mjs).
// NODE_EXTRA_CA_CERTS makes Node 20 parse that file at start-up, before any
// JavaScript runs: Debian's bundle (220 KB) took `node -e 0` from 40 to 126 ms
// on a 2-core VM. Only the daemon can use a certificate (its TLS server); every
// other command starts without it, and gets it back as its very first
// statement below, so that what it runs (the preflight's command, systemctl)
// inherits the environment as it was. It stays where it is when its value is
// not printable ASCII (process.env would put back invalid UTF-8 as U+FFFD, and
// the preflight's exec passes environ on byte for byte) or when NODE_OPTIONS
// preloads code (-r, --require, --import, a loader), which runs before that
// statement and may itself make TLS connections.
// Run by `node` directly, that line is a string and a comment. npm links this file as `mq-doctor`; dist/ is
// built by `npm install` (the prepare script).
if (process.env.MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS;
  delete process.env.MQ_DOCTOR_LAUNCH_EXTRA_CA_CERTS;
}
// The entry bundle runs with the code cache the build recorded for it
// (dist/mq-doctor.cjs.cache, the format of src/cli/chunk-loader.ts: the
// bundle's length, its bytes, V8's data): compiling it and the functions every
// command calls was ~2.5 ms of each start, a tenth of `check`'s. V8 rejects a
// cache of another node and compiles as require() would. When a person is to
// read stacks (MQ_DOCTOR_DEBUG=1, --enable-source-maps) it loads through
// require(), as stacksWanted() in chunk-loader.ts says why.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'mq-doctor.cjs');
let source;
try {
  source = readFileSync(entry);
} catch (err) {
  if (!err || err.code !== 'ENOENT') throw err;
  process.stderr.write('mq-doctor: not built yet: run "npm run build" in the mq-doctor package\n');
  process.exitCode = 70;
}
if (source !== undefined && (process.env.MQ_DOCTOR_DEBUG === '1' || process.sourceMapsEnabled === true)) {
  require(entry);
} else if (source !== undefined) {
  let cachedData;
  try {
    const file = readFileSync(`${entry}.cache`);
    const n = file.length >= 4 ? file.readUInt32LE(0) : -1;
    if (n === source.length && file.length >= 4 + n && file.subarray(4, 4 + n).equals(source)) cachedData = file.subarray(4 + n);
  } catch {
    // No cache: compile.
  }
  const { Script } = require('node:vm');
  const { createRequire, wrap } = require('node:module');
  const script = new Script(wrap(source.toString('utf8')), { filename: entry, cachedData });
  const mod = { exports: {}, id: entry, filename: entry, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(entry), mod, entry, dirname(entry));
  mod.loaded = true;
}
