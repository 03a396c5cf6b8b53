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
    // The same numbers as the synchronous read, row for row (ctime moves on no read here: no queue file is read but b's).
    const byName = new Map(out.syncRows.map((r) => [r[0], r]));
    for (const row of out.async.rows) expect(row).toEqual(byName.get(row[0]));
    const b = out.async.rows.find((r) => r[0] === 'b')!;
    // uid, gid, mode, qsize, maxmsg, msgsize, curmsgs
    expect(b.slice(1, 8)).toEqual([OWNER, OWNER, 0o640, 5, 1, 8, 1]);
    // A setImmediate queued after the call ran before its promise settled: the read was off the main thread.
    expect(out.immediateFirst).toBe(true);
  });

  it('reads a detached mount through /proc/self/fd from its thread, and fails as a value, not a throw', () => {
    const out = run(10);
    expect(out.detached).toBe(16);
    expect(out.missing).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(out.typeError).toBe('dir must be a string');
  });
});
