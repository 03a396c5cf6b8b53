#!/usr/bin/env node
// npm links this file as `mq-doctor`; the bundle in dist/ is built by `npm install` (prepare).
import('../dist/mq-doctor.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/mq-doctor.js')) {
    process.stderr.write('mq-doctor: not built yet: run "npm run build" in the mq-doctor package\n');
    process.exitCode = 70;
  } else {
    throw err;
  }
});
