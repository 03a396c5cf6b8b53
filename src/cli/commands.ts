// Entry of dist/commands.cjs: everything off the check/limits hot path, loaded
// by main.ts only when one of these commands (or help/completion) runs.
export { runApply, runRollback, runVerify } from './apply.js';
export { runTune } from './tune.js';
export { runYargs } from './yargs-cli.js';
export { loadProfile } from './profile-input.js';
export { runWatch } from './watch.js';
export { runSysvCheck } from './check-sysv.js';
