// The static errno table against the system's own: the kernel headers' numbers and
// glibc's strerror() texts (through python3, which calls the running glibc), so the
// table cannot drift from either.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRNO_ALIASES, ERRNOS, errnoByName, errnoByNumber } from '../../src/explain/errnos.js';

const HEADERS = ['/usr/include/asm-generic/errno-base.h', '/usr/include/asm-generic/errno.h'];
const headersSkip = HEADERS.every(existsSync) ? null : `kernel headers missing (${HEADERS.join(', ')})`;
const python = spawnSync('python3', ['-c', 'import errno, os'], { encoding: 'utf8' });
const pythonSkip = python.error || python.status !== 0 ? `python3 is not usable: ${python.error?.message ?? python.stderr}` : null;
if (headersSkip) console.warn(`skipping the header comparison: ${headersSkip}`);
if (pythonSkip) console.warn(`skipping the python3 comparison: ${pythonSkip}`);

describe.skipIf(headersSkip !== null)('numbers, as asm-generic/errno-base.h and errno.h define them', () => {
  const defines = new Map<string, string>();
  for (const h of HEADERS) {
    for (const m of readFileSync(h, 'utf8').matchAll(/^#define\s+(E[A-Z0-9]+)\s+(\w+)/gm)) defines.set(m[1]!, m[2]!);
  }
  const resolve = (name: string): number => {
    const v = defines.get(name)!;
    return /^\d+$/.test(v) ? Number(v) : resolve(v);
  };

  it.each(ERRNOS.map((e) => [e.name, e.number] as const))('%s is %i', (name, number) => {
    expect(defines.has(name)).toBe(true);
    expect(resolve(name)).toBe(number);
  });

  it.each(Object.entries(ERRNO_ALIASES))('%s is an alias of %s', (alias, name) => {
    expect(resolve(alias)).toBe(resolve(name));
  });
});

describe.skipIf(pythonSkip !== null)("python3's errno module and os.strerror (the running glibc)", () => {
  const script = `import errno, json, os, sys
names = json.loads(sys.argv[1])
print(json.dumps({n: [getattr(errno, n), os.strerror(getattr(errno, n))] for n in names}))`;
  const r = pythonSkip ? null : spawnSync('python3', ['-c', script, JSON.stringify([...ERRNOS.map((e) => e.name), ...Object.keys(ERRNO_ALIASES)])], { encoding: 'utf8' });
  const table = r ? (JSON.parse(r.stdout) as Record<string, [number, string]>) : {};

  it.each(ERRNOS.map((e) => [e.name, e] as const))('%s', (name, e) => {
    expect(table[name]).toEqual([e.number, e.strerror]);
  });

  it.each(Object.entries(ERRNO_ALIASES))('%s', (alias, name) => {
    expect(table[alias]![0]).toBe(table[name]![0]);
  });
});

describe('lookups', () => {
  it('find rows by name (any case, aliases too) and by number', () => {
    expect(errnoByName('emfile')?.number).toBe(24);
    expect(errnoByName('EWOULDBLOCK')?.name).toBe('EAGAIN');
    expect(errnoByNumber(28)?.name).toBe('ENOSPC');
    expect(errnoByNumber(999)).toBeUndefined();
    expect(new Set(ERRNOS.map((e) => e.number)).size).toBe(ERRNOS.length);
  });
});
