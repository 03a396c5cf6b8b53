// Entry of dist/commands.cjs: everything off the check/limits hot path, loaded
// by main.ts only when one of these commands (or help/completion) runs. Each
// command's module is initialised only when that command runs (esbuild keeps a
// dynamic import inside the bundle lazy), so `tune` never loads prom-client or
// yaml, and `watch` never loads yargs.
import type * as Apply from './apply.js';
import type * as CheckSysv from './check-sysv.js';
import type * as Explain from './explain.js';
import type * as Tune from './tune.js';
import type * as Watch from './watch.js';
import type * as YargsCli from './yargs-cli.js';

export const runApply: typeof Apply.runApply = async (...a) => (await import('./apply.js')).runApply(...a);
export const runVerify: typeof Apply.runVerify = async (...a) => (await import('./apply.js')).runVerify(...a);
export const runRollback: typeof Apply.runRollback = async (...a) => (await import('./apply.js')).runRollback(...a);
export const runTune: typeof Tune.runTune = async (...a) => (await import('./tune.js')).runTune(...a);
export const runYargs: typeof YargsCli.runYargs = async (...a) => (await import('./yargs-cli.js')).runYargs(...a);
export const runWatch: typeof Watch.runWatch = async (...a) => (await import('./watch.js')).runWatch(...a);
export const runSysvCheck = async (...a: Parameters<typeof CheckSysv.runSysvCheck>): Promise<number> => (await import('./check-sysv.js')).runSysvCheck(...a);
export const runExplain: typeof Explain.runExplain = async (...a) => (await import('./explain.js')).runExplain(...a);
// Synchronous for its callers (the preflight); a profile is read at most once per run.
export { loadProfile } from './profile-input.js';
