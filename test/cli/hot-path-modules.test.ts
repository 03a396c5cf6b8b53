// Each command loads only what it runs (issue 12): what a hot command's process
// has loaded when it exits, through pipes as a container's entrypoint or a
// script runs it. Node's stream stack (net, tty: ~20 internal modules) and any
// package from node_modules cost every start milliseconds; a bundle compiled
// is one the command parsed. A module imported at the entry's top level for one
// command's sake (node:tty once, for --help's width) shows up here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'mq-doctor.cjs'));
const dir = mkdtempSync(join(tmpdir(), 'mqd-hot-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROBE = join(dir, 'loaded.cjs');
writeFileSync(
  PROBE,
  `const vm = require('node:vm'); const S = vm.Script; const compiled = [];
vm.Script = class extends S { constructor(c, o) { super(c, o); compiled.push(String(o && o.filename)); } };
process.on('exit', () => require('node:fs').writeSync(2, '\\nLOADED=' + JSON.stringify({
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
  files: Object.keys(require.cache),
  compiled,
}) + '\\n'));`,
);

interface Loaded {
  builtins: string[];
  files: string[];
  compiled: string[];
}

function loaded(args: string[]): Loaded {
  const r = spawnSync(process.execPath, ['-r', PROBE, BIN, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  const m = /LOADED=(.*)$/m.exec(r.stderr);
  if (!m) throw new Error(`no report from ${args.join(' ')} (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(m[1]!) as Loaded;
}

// The preflight's command does not exist: it returns 127 instead of exec'ing, so the report is written.
const HOT: Array<[string, string[], string]> = [
  ['check', ['check', '--maxmsg', '3600', '--msgsize', '16384'], 'check.cjs'],
  ['check --sysv', ['check', '--sysv', '--msgsize', '8192'], 'check-sysv.cjs'],
  ['limits', ['limits'], 'limits.cjs'],
  ['tune', ['tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all'], 'tune.cjs'],
  ['preflight', ['preflight', '--maxmsg', '10', '--msgsize', '8192', '--', '/nonexistent/mq-doctor-hot-path'], 'preflight.cjs'],
  ['--help', ['--help'], ''],
];

describe.skipIf(!built)('what a hot command loads (skipped when dist/ is not built: npm run build)', () => {
  it.each(HOT)('%s: no stream stack, no package from node_modules, no other command\'s bundle', (_name, args, bundle) => {
    const l = loaded(args);
    for (const heavy of ['net', 'tty', 'stream', 'http', 'worker_threads', 'child_process', 'zlib']) expect(l.builtins, heavy).not.toContain(heavy);
    expect(l.files.filter((f) => f.includes('/node_modules/'))).toEqual([]);
    const bundles = l.compiled.filter((f) => f.startsWith(join(ROOT, 'dist'))).map((f) => f.slice(join(ROOT, 'dist').length + 1));
    expect(bundles).toEqual(['mq-doctor.cjs', ...(bundle ? [bundle] : [])]);
  });

  it('the probe itself sees what it should: a request the build did not record loads yargs\' bundle', () => {
    const l = loaded(['--maxmsg', '1', 'check', '--help']);
    expect(l.compiled.some((f) => f.endsWith('/dist/yargs-cli.cjs'))).toBe(true);
    expect(l.builtins).toContain('stream');
  });
});
