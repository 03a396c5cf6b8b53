#!/usr/bin/env node
'use strict';
// npm links this file as `mq-doctor`; dist/ is built by `npm install` (the prepare script).
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
