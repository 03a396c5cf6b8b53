#!/bin/sh
':' //; export MQ_DOCTOR_LAUNCH_NOFILE="$(ulimit -Sn)"; [ "$1" = watch ] && set -- --max-semi-space-size=1 --expose-gc "$0" "$@" || set -- "$0" "$@"; exec node "$@"
'use strict';
// Run as a program, /bin/sh reads the line above: Node raises its own soft
// RLIMIT_NOFILE to the hard limit at start-up, so the launcher records the soft
// limit an application started from here inherits. The daemon gets a small
// young generation and gc(): each probe of 10,000 queues allocates tens of MB
// that die at once, and V8 would keep ~40 MB of RSS for them (bench/watch.mjs).
// Run by `node` directly, that line is a string and a comment. npm links this file as `mq-doctor`; dist/ is
// built by `npm install` (the prepare script).
try {
  require('../dist/mq-doctor.cjs');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/mq-doctor.cjs')) {
    process.stderr.write('mq-doctor: not built yet: run "npm run build" in the mq-doctor package\n');
    process.exitCode = 70;
  } else {
    throw err;
  }
}
