// Each command loads only what it runs (issue 12): what a hot command's process
// has loaded when it exits, through pipes as a container's entrypoint or a
// script runs it. Node's stream stack (net, tty: ~20 internal modules) and any
// package from node_modules cost every start milliseconds; a bundle compiled
// is one the command parsed. A module imported at the entry's top level for one
// command's sake (node:tty once, for --help's width) shows up here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedBy } from '../support/loaded-by.js';
import { ROOT } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'mq-doctor.cjs'));

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
    const l = loadedBy(args);
    for (const heavy of ['net', 'tty', 'stream', 'http', 'worker_threads', 'child_process', 'zlib']) expect(l.builtins, heavy).not.toContain(heavy);
    expect(l.files.filter((f) => f.includes('/node_modules/'))).toEqual([]);
    const bundles = l.compiled.map((c) => c.file).filter((f) => f.startsWith(join(ROOT, 'dist'))).map((f) => f.slice(join(ROOT, 'dist').length + 1));
    expect(bundles).toEqual(['mq-doctor.cjs', ...(bundle ? [bundle] : [])]);
  });

  it('the probe itself sees what it should: a request the build did not record loads yargs\' bundle', () => {
    const l = loadedBy(['--maxmsg', '1', 'check', '--help']);
    expect(l.compiled.some((c) => c.file.endsWith('/dist/yargs-cli.cjs'))).toBe(true);
    expect(l.builtins).toContain('stream');
  });
});
