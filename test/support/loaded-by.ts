// What a run of the CLI loaded, seen by a preload: Node's builtin modules, the
// files require() loaded, and each script compiled through vm.Script (the
// launcher's entry and the command bundles) with whether it was handed a code
// cache and whether V8 rejected it. Written on exit, so a run that execs
// (the preflight's command) reports nothing.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './run-cli.js';
import { scratchDir } from './scratch.js';

export interface Loaded {
  status: number | null;
  stderr: string;
  builtins: string[];
  files: string[];
  compiled: Array<{ file: string; cached: boolean; rejected: boolean }>;
}

const PROBE = `const vm = require('node:vm'); const S = vm.Script; const compiled = [];
vm.Script = class extends S { constructor(c, o) { super(c, o); compiled.push({ file: String(o && o.filename), cached: !!(o && o.cachedData !== undefined), rejected: this.cachedDataRejected === true }); } };
process.on('exit', () => require('node:fs').writeSync(2, '\\nLOADED=' + JSON.stringify({
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
  files: Object.keys(require.cache),
  compiled,
}) + '\\n'));`;

export function loadedBy(args: string[], bin = BIN): Loaded {
  const probe = join(scratchDir('mqd-loaded-'), 'loaded.cjs');
  writeFileSync(probe, PROBE);
  const r = spawnSync(process.execPath, ['-r', probe, bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  const m = /\nLOADED=(.*)\n$/.exec(r.stderr);
  if (!m) throw new Error(`no report from ${args.join(' ')} (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, stderr: r.stderr.slice(0, m.index), ...(JSON.parse(m[1]!) as Omit<Loaded, 'status' | 'stderr'>) };
}
