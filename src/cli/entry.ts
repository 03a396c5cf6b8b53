import { log } from '../log.js';
import { main } from './main.js';

// exitCode rather than exit(): stdout to a pipe is flushed before the process ends.
void main(process.argv.slice(2)).then((code) => {
  log.flush();
  process.exitCode = code;
});
