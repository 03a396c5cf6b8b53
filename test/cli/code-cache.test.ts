// The code caches that scripts/build.mjs records for each command's bundle
// (src/cli/chunk-loader.ts) and for the entry (loaded by bin/mq-doctor.cjs):
// V8 takes every one that ships, none is used for a bundle it was not made from, and the CLI answers the same with a cache, with
// none, and with one that is corrupt or belongs to another build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wrap } from 'node:module';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CACHE_SUFFIX, codeCacheFor } from '../../src/cli/chunk-loader.js';
import { loadedBy } from '../support/loaded-by.js';
import { packageCopy } from '../support/package-copy.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const DIST = join(ROOT, 'dist');
const built = existsSync(join(DIST, 'mq-doctor.cjs'));
const caches = built ? readdirSync(DIST).filter((f) => f.endsWith(`.cjs${CACHE_SUFFIX}`)) : [];

function cacheOf(source: Buffer, codeCache: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(source.length, 0);
  return Buffer.concat([header, source, codeCache]);
}

describe('codeCacheFor', () => {
  const source = Buffer.from('module.exports = 1;\n');
  const data = Buffer.from([1, 2, 3, 4, 5]);
  it('returns the V8 part of a cache made from exactly this source', () => {
    expect(codeCacheFor(source, cacheOf(source, data))).toEqual(data);
  });
  it('ignores a cache of another source of the same length (V8 itself checks only the length)', () => {
    const other = Buffer.from('module.exports = 2;\n');
    expect(other.length).toBe(source.length);
    expect(codeCacheFor(source, cacheOf(other, data))).toBeUndefined();
  });
  it('ignores a missing, short, truncated or mis-sized cache', () => {
    expect(codeCacheFor(source, undefined)).toBeUndefined();
    expect(codeCacheFor(source, Buffer.from([1, 2]))).toBeUndefined();
    expect(codeCacheFor(source, cacheOf(source, data).subarray(0, 10))).toBeUndefined();
    expect(codeCacheFor(source, cacheOf(Buffer.concat([source, Buffer.from('x')]), data))).toBeUndefined();
  });
});

describe.skipIf(!built)('the built code caches (skipped when dist/ is not built: npm run build)', () => {
  it('one for each command that starts on a hot path', () => {
    for (const chunk of ['mq-doctor', 'check', 'check-sysv', 'limits', 'tune', 'preflight', 'profile-input', 'explain', 'yargs-cli']) {
      expect(caches, chunk).toContain(`${chunk}.cjs${CACHE_SUFFIX}`);
    }
  });

  it.each(caches)('%s matches its bundle and this node takes it', (cache) => {
    const file = join(DIST, cache.slice(0, -CACHE_SUFFIX.length));
    const source = readFileSync(file);
    const cachedData = codeCacheFor(source, readFileSync(join(DIST, cache)));
    expect(cachedData, 'the cache was recorded from another build of the bundle').toBeDefined();
    // The same wrapper and file name the loader compiles with.
    const script = new Script(wrap(source.toString('utf8')), { filename: file, cachedData });
    expect(script.cachedDataRejected).toBe(false);
  });
});

describe.skipIf(!built)('the CLI with a cache, without one, and with a bad one (skipped when dist/ is not built)', () => {
  const run = (pkg: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [join(pkg, 'bin/mq-doctor.cjs'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  // Commands whose output does not depend on the moment they run.
  const COMMANDS = [
    ['tune', '--maxmsg', '3600', '--msgsize', '16384', '--format', 'all'],
    ['explain', 'EMFILE'],
    ['--help'],
    ['check', '--help'],
  ];

  it('answers the same when the caches are gone or corrupt', () => {
    const gone = packageCopy((dist) => readdirSync(dist).filter((f) => f.endsWith(CACHE_SUFFIX)).forEach((f) => rmSync(join(dist, f))));
    const corrupt = packageCopy((dist) => {
      for (const f of readdirSync(dist).filter((n) => n.endsWith(CACHE_SUFFIX))) {
        const b = readFileSync(join(dist, f));
        // The source part intact, V8's part garbage: V8 must reject it, not run it.
        const n = b.readUInt32LE(0);
        b.fill(0x5a, 4 + n);
        writeFileSync(join(dist, f), b);
      }
    });
    for (const args of COMMANDS) {
      const want = run(ROOT, args);
      // explain exits 3 when the check it runs is indeterminate, as it is here; never 70, never a trace.
      expect([0, 3], `${args.join(' ')}: ${want.stderr}`).toContain(want.status);
      expect(want.stderr).not.toMatch(/^\s+at /m);
      expect(want.stdout.length).toBeGreaterThan(200);
      for (const pkg of [gone, corrupt]) expect(run(pkg, args), `${args.join(' ')} in ${pkg}`).toEqual(want);
    }
  });

  it('runs a bundle edited in place (same length) as edited, not its stale cache', () => {
    // V8 would take the old cache (it checks only the length) and print the old words.
    const edited = packageCopy((dist) => {
      const file = join(dist, 'explain.cjs');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('recognised: ');
      writeFileSync(file, text.replace('recognised: ', 'RECOGNISED: '));
    });
    expect(run(ROOT, ['explain', 'EMFILE']).stdout).toMatch(/^ {2}recognised: /m);
    expect(run(edited, ['explain', 'EMFILE']).stdout).toMatch(/^ {2}RECOGNISED: /m);
  });

  it('runs the entry edited in place (same length) as edited: bin/mq-doctor.cjs checks its cache as the chunk loader does', () => {
    const args = ['check', '--maxmsg', 'abc', '--msgsize', '10'];
    const edited = packageCopy((dist) => {
      const file = join(dist, 'mq-doctor.cjs');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('must be an integer');
      writeFileSync(file, text.replaceAll('must be an integer', 'MUST BE AN INTEGER'));
    });
    expect(run(ROOT, args)).toMatchObject({ status: 2, stderr: 'mq-doctor: --maxmsg must be an integer, got "abc"\n' });
    expect(run(edited, args)).toMatchObject({ status: 2, stderr: 'mq-doctor: --maxmsg MUST BE AN INTEGER, got "abc"\n' });
  });

  it('the entry takes its cache when bin/mq-doctor.cjs loads it', () => {
    // A preload sees the Script the bin makes of the entry, and whether V8 took its cache.
    const entry = loadedBy(['check', '--maxmsg', 'abc', '--msgsize', '10']).compiled.filter((c) => c.file.endsWith('dist/mq-doctor.cjs'));
    expect(entry).toEqual([{ file: join(DIST, 'mq-doctor.cjs'), cached: true, rejected: false }]);
  });

  it('a stack printed for a person names the files where the package is, and --enable-source-maps maps them', () => {
    // V8 gives a script taken from a code cache the file name it was recorded
    // under (the builder's dist/), and vm.Script reads no source map: with
    // MQ_DOCTOR_DEBUG=1 or source maps on, the bundles load through require().
    const broken = packageCopy((dist) => rmSync(join(dist, 'explain.cjs')));
    const frames = (stderr: string) => stderr.split('\n').filter((l) => /^\s+at /.test(l));
    const plain = run(broken, ['explain', 'EMFILE']);
    expect(plain.status).toBe(70);
    expect(frames(plain.stderr)).toEqual([]);
    const debug = run(broken, ['explain', 'EMFILE'], { MQ_DOCTOR_DEBUG: '1' });
    expect(debug.status).toBe(70);
    const own = frames(debug.stderr).filter((l) => l.includes('/dist/'));
    expect(own.length, debug.stderr).toBeGreaterThan(0);
    for (const l of own) expect(l).toContain(join(broken, 'dist', 'mq-doctor.cjs'));
    const mapped = run(broken, ['explain', 'EMFILE'], { MQ_DOCTOR_DEBUG: '1', NODE_OPTIONS: '--enable-source-maps' });
    expect(mapped.status).toBe(70);
    expect(frames(mapped.stderr).some((l) => l.includes(join(broken, 'src', 'cli', 'chunk-loader.ts'))), mapped.stderr).toBe(true);
  });
});
