// mqDirCache, the daemon's memory of its last read of a mount, against a real
// mount in a private IPC namespace: every read with the cache must say what a
// read without it says at the same moment, while queues are sent to, received
// from, unlinked and made again between the reads, some within one second.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namespaceSkipReason } from '../support/run-cli.js';
import { asUid, testUids } from '../kernel/lib/uids.js';

const here = dirname(fileURLToPath(import.meta.url));
const ADDON = process.env.MQ_DOCTOR_ADDON ?? resolve(here, '../../native/getrlimit/build/Release/getrlimit.node');
const skip = namespaceSkipReason();
if (skip) console.warn(`skipping mqDirCache tests: ${skip}`);
// The queues (41 × 4 × 16 bytes) are charged to a fresh high uid, never to root (lib/uids.ts).
const [OWNER] = testUids(1, 4) as [number];

type Attrs = Record<string, [number, number, number, number]>;
interface Read {
  label: string;
  cached: number;
  count: number;
  attrs: Attrs;
  truth: Attrs;
  inOrder: boolean;
  errors: unknown[];
}
interface Out {
  reads: Read[];
  raced: boolean;
  cachedByProbe: number[];
  later: Array<{ probe: number; cached: number }>;
  details: { cached: number; notifyOfQ0: number };
  concurrent: boolean[];
  typeErrors: Array<string | null>;
}

function run(): Out {
  const fixture = [process.execPath, join(here, 'fixtures', 'dir-cache.cjs'), ADDON].join(' ');
  const script = `set -e; d=$(mktemp -d); mount -t mqueue none "$d"
if [ -n "$(find /dev/mqueue -user ${OWNER} 2>/dev/null)" ]; then echo "uid ${OWNER} holds queues" >&2; exit 1; fi
exec ${asUid(OWNER).join(' ')} ${fixture} "$d"`;
  const r = spawnSync('unshare', ['--ipc', '--mount', '--fork', 'sh', '-c', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Out;
}

describe.skipIf(skip !== null)('mqDirCache', () => {
  // Waits for the queues' stamps to settle (2 s), then 25 reads.
  const out = skip === null ? run() : (undefined as never);
  const read = (label: string) => out.reads.find((r) => r.label === label)!;

  it('answers as a read without it does, at every read: after sends, receives, a queue made again and one unlinked', () => {
    expect(out.reads.map((r) => r.label)).toEqual([
      'first',
      'idle',
      'after a send',
      'after a second send in the same second',
      'after a receive',
      'after q2 was made again',
      'after q3 was unlinked',
    ]);
    for (const r of out.reads) {
      expect(r.attrs, r.label).toEqual(r.truth);
      // q2 made again moves in readdir's order while the count stays: the last order no longer sorts them.
      expect(r.inOrder, r.label).toBe(true);
      expect(r.errors, r.label).toEqual([]);
    }
    // qsize, maxmsg, msgsize, curmsgs
    expect(read('after a send').attrs.q1).toEqual([3, 4, 16, 1]);
    expect(read('after a second send in the same second').attrs.q1).toEqual([8, 4, 16, 2]);
    expect(read('after a receive').attrs.q1).toEqual([5, 4, 16, 1]);
    expect(read('after q2 was made again').attrs.q2).toEqual([0, 2, 8, 0]);
    expect(read('after q3 was unlinked').attrs.q3).toBeUndefined();
    expect(read('after q3 was unlinked').count).toBe(40);
  });

  it('was really tested against a stamp that did not move: the second send came in the second of the read before it', () => {
    // The mqueue filesystem keeps whole seconds; two sends in one second leave mtime as the first set it.
    expect(out.raced).toBe(true);
  });

  it('takes only settled, unchanged queues from the cache: not the one holding a message, nor one sent to since', () => {
    // 41 queues; busy holds a message, so its file is read for QSIZE each time, which sets its ctime.
    expect(out.cachedByProbe).toEqual([0, 40, 39, 39, 39, 38, 37]);
    expect(read('idle').attrs.busy).toEqual([10, 4, 16, 1]);
  });

  it('reads every queue whole at the 17th probe (every 16th after the first), and with details', () => {
    expect(out.later.find((l) => l.probe === 17)!.cached).toBe(0);
    expect(out.later.filter((l) => l.probe !== 17).every((l) => l.cached === 37)).toBe(true);
    expect(out.details).toEqual({ cached: 0, notifyOfQ0: 0 });
  });

  it('two reads with one cache at once both read right; anything but a cache is a TypeError', () => {
    expect(out.concurrent).toEqual([true, true]);
    expect(out.typeErrors).toEqual(Array(3).fill('cache must come from mqDirCache()'));
  });
});
