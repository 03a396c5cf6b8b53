// mqReadDirAsync, the daemon's read of an mqueue mount on a libuv thread,
// against a real mount in a private IPC namespace.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namespaceSkipReason } from '../support/run-cli.js';
import { asUid, testUids } from '../kernel/lib/uids.js';

const here = dirname(fileURLToPath(import.meta.url));
const ADDON = process.env.MQ_DOCTOR_ADDON ?? resolve(here, '../../native/getrlimit/build/Release/getrlimit.node');
const skip = namespaceSkipReason();
if (skip) console.warn(`skipping mqReadDirAsync tests: ${skip}`);
// The queues are charged to a fresh high uid, never to root (lib/uids.ts).
const [OWNER] = testUids(1, 13) as [number];

type Row = [string, ...Array<number | 'NaN'>];
/** Columns of a row (MQ_DIR_FIELDS): ctimeMs is the tenth, after the name. */
const FIELD = { curmsgs: 6, ctimeMs: 9 } as const;
const CTIME_AT = FIELD.ctimeMs + 1;
/** Split reads are compared as they are, but for the ctime of queues holding messages: reading one sets it. */
type Read = { count: number; errors: Array<[number, string]>; names: string; fields: Array<number | 'NaN'> };
function readCtimes(r: Read, W: number): { rest: Read; ctimes: number[] } {
  const fields = [...r.fields];
  const ctimes: number[] = [];
  for (let row = 0; row < r.count; row++) {
    if (!((fields[row * W + FIELD.curmsgs] as number) > 0)) continue;
    ctimes.push(fields[row * W + FIELD.ctimeMs] as number);
    fields[row * W + FIELD.ctimeMs] = 'NaN';
  }
  return { rest: { ...r, fields }, ctimes };
}
interface Out {
  immediateFirst: boolean;
  async: { ok: boolean; count: number; width: number; errors: unknown[]; rows: Row[] };
  syncRows: Row[];
  detached: number | string;
  missing: { ok: boolean; errno: string };
  typeError: string | null;
}

function run(count: number): Out {
  const fixture = [process.execPath, join(here, 'fixtures', 'read-dir-async.cjs'), ADDON].join(' ');
  const script = `set -e; d=$(mktemp -d); mount -t mqueue none "$d"; echo ${count + 100} > /proc/sys/fs/mqueue/queues_max
${asUid(OWNER).join(' ')} ${fixture} create ${count}
exec ${fixture} read "$d"`;
  const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'sh', '-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Out;
}

// Split reads need more than one CPU: a large directory is read by up to one thread per CPU of the affinity mask.
const cpus = Number(spawnSync('nproc', [], { encoding: 'utf8' }).stdout.trim());
const noSplit = skip ?? (cpus > 1 ? null : `one CPU here (nproc ${cpus}): a directory is never split`);
if (noSplit && !skip) console.warn(`skipping the split-read test: ${noSplit}`);
const [MIXED_OWNER, READER] = testUids(2, 15) as [number, number];

describe.skipIf(skip !== null)('mqReadDirAsync', () => {
  it('reads the same rows as mqReadDir, sorted by name in byte order, without blocking the event loop', () => {
    const out = run(3000);
    expect(out.async.ok).toBe(true);
    expect(out.async.count).toBe(3006);
    expect(out.async.errors).toEqual([]);
    const names = out.async.rows.map((r) => r[0]);
    expect(names.slice(0, 6)).toEqual(['Zulu', 'a b', 'alpha', 'b', 'mé', 'q-0']);
    expect(names.at(-1)).toBe('zeta');
    // Byte order: what Buffer.compare says of the UTF-8 names.
    expect([...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))).toEqual(names);
    // The same numbers as the synchronous read, row for row. Only b holds a message, so only
    // b's file is read, and reading it sets its ctime (ipc/mqueue.c, mqueue_read_file): the
    // later read may see a later second there, never an earlier one.
    const byName = new Map(out.syncRows.map((r) => [r[0], r]));
    for (const row of out.async.rows) {
      const later = byName.get(row[0])!;
      if (row[0] !== 'b') {
        expect(row).toEqual(later);
        continue;
      }
      expect([...row.slice(0, CTIME_AT), ...row.slice(CTIME_AT + 1)]).toEqual([...later.slice(0, CTIME_AT), ...later.slice(CTIME_AT + 1)]);
      expect(later[CTIME_AT]).toBeGreaterThanOrEqual(row[CTIME_AT] as number);
    }
    const b = out.async.rows.find((r) => r[0] === 'b')!;
    // uid, gid, mode, qsize, maxmsg, msgsize, curmsgs
    expect(b.slice(1, 8)).toEqual([OWNER, OWNER, 0o640, 5, 1, 8, 1]);
    // A setImmediate queued after the call ran before its promise settled: the read was off the main thread.
    expect(out.immediateFirst).toBe(true);
  });

  it.skipIf(noSplit !== null)('a directory split over threads reads as one thread reads it: 6,000 queues, unreadable ones at their rows', () => {
    const fixture = [process.execPath, join(here, 'fixtures', 'read-dir-async.cjs'), ADDON].join(' ');
    const script = `set -e; d=$(mktemp -d); mount -t mqueue none "$d"; echo 6100 > /proc/sys/fs/mqueue/queues_max
${asUid(MIXED_OWNER).join(' ')} ${fixture} create-mixed 6000
${asUid(READER).join(' ')} ${fixture} rows "$d"; echo
${asUid(READER).join(' ')} taskset -c 0 ${fixture} rows "$d"`;
    const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'sh', '-c', script], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.stderr).toBe('');
    const [split, single] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { sync: Read; async: Read });
    expect(split!.sync.count).toBe(6000);
    const W = 13;
    // Threads (both CPUs) and one thread (taskset -c 0): the same rows in the same order, the same
    // errors at the same rows; the queues holding a message were read again since, each ctime no earlier.
    for (const which of ['sync', 'async'] as const) {
      const before = readCtimes(split![which], W);
      const after = readCtimes(single![which], W);
      expect(before.rest).toEqual(after.rest);
      expect(after.ctimes).toHaveLength(before.ctimes.length);
      after.ctimes.forEach((t, i) => expect(t).toBeGreaterThanOrEqual(before.ctimes[i]!));
    }
    const names = split!.sync.names.split('\0');
    const unreadable = names.filter((n) => Number(n.slice(2)) % 7 === 0).length;
    expect(split!.sync.errors.filter(([, e]) => e === 'EACCES')).toHaveLength(unreadable);
    for (const [row, errno] of split!.sync.errors) {
      expect(errno).toBe('EACCES');
      expect(Number(names[row]!.slice(2)) % 7).toBe(0);
      // Owner and mode from fstatat; no attributes.
      expect(split!.sync.fields.slice(row * W, row * W + 7)).toEqual([MIXED_OWNER, MIXED_OWNER, 0o600, 'NaN', 'NaN', 'NaN', 'NaN']);
    }
    const i = names.indexOf('m-22');
    // uid, gid, mode, qsize, maxmsg, msgsize, curmsgs of a readable queue holding one message.
    expect(split!.sync.fields.slice(i * W, i * W + 7)).toEqual([MIXED_OWNER, MIXED_OWNER, 0o644, 1, 1, 3, 1]);
  });

  it('reads a detached mount through /proc/self/fd from its thread, and fails as a value, not a throw', () => {
    const out = run(10);
    expect(out.detached).toBe(16);
    expect(out.missing).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(out.typeError).toBe('dir must be a string');
  });
});
