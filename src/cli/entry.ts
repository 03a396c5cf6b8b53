import { log } from '../log.js';
import { main } from './main.js';

// Whether anything wrote through process.stdout or process.stderr (yargs,
// console): such a write to a full non-blocking pipe is queued, and only an
// event loop left to run to its end flushes it. Everything else mq-doctor
// prints goes out with writeSync (src/cli/output.ts, pino's sync destination).
let streamsTouched = false;
for (const name of ['stdout', 'stderr'] as const) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  if (d?.get && d.configurable) {
    const get = d.get;
    Object.defineProperty(process, name, { ...d, get: () => ((streamsTouched = true), get.call(process)) });
  }
}

// When nothing is queued, exit(): an event loop left to end first waits for
// V8's background work (concurrent marking of a heap that read 10,000 queues),
// 1-5 ms of `limits` that changes nothing. Otherwise exitCode, so that the
// queued output is written before the process ends. setImmediate: a warning or
// an unhandled rejection raised as main() ends is reported first (both go out
// on the ticks after it, and through process.stderr).
void main(process.argv.slice(2)).then((code) => {
  log.flush();
  setImmediate(() => {
    if (streamsTouched) process.exitCode = code;
    else process.exit(code);
  });
});
