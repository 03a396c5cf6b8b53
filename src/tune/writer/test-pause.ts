// Test hook: MQ_DOCTOR_TEST_PAUSE_AFTER_STEP=N[:MS] makes the Nth checkpoint of a
// transaction announce itself on stderr and block (MS ms, default 30 s), so a test
// can SIGKILL the writer at exactly that point. Unset, it costs one env lookup.
import { writeSync } from 'node:fs';
import { type Checkpoint, noCheckpoint } from './safe-fs.js';

export const PAUSE_ENV = 'MQ_DOCTOR_TEST_PAUSE_AFTER_STEP';

export function pauseCheckpoints(): Checkpoint {
  const spec = process.env[PAUSE_ENV];
  if (!spec) return noCheckpoint;
  const [at, ms] = spec.split(':').map(Number);
  let step = 0;
  return (what) => {
    step += 1;
    if (step !== at) return;
    writeSync(2, `${PAUSE_ENV}: paused after step ${step}: ${what}\n`);
    // The writer is synchronous by design; a sleep that yields to the event loop would change that.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms ?? 30_000);
  };
}
