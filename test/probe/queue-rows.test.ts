// The addon's columns turned into queue objects (listDir through mqReadDir):
// queues share the values they have in common, so each value must still be
// the one of its own row. The addon is a stand-in returning chosen columns;
// the real reads of a mount are test/native and test/probe/holders.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MQ_DIR_FIELDS, type NativeAddon } from '../../src/probe/native.js';
import { listDir } from '../../src/probe/queues.js';
import { have, type QueueInfo } from '../../src/snapshot.js';
import { scratchDir } from '../support/scratch.js';

type Row = { name: string; uid?: number; qsize: number; maxmsg: number; msgsize: number; curmsgs: number; notify?: [number, number, number] };

function listed(rows: Row[], details: boolean, errors: Array<[number, string]> = []): QueueInfo[] {
  const fields = rows.flatMap((r, i) => {
    const [notify, signo, pid] = r.notify ?? [NaN, NaN, NaN];
    return [r.uid ?? 1000 + i, 2000, 0o600, r.qsize, r.maxmsg, r.msgsize, r.curmsgs, 500 + i, 1_700_000_000_000 + i, 1_700_000_000_500 + i, notify, signo, pid];
  });
  const addon = {
    mqReadDir: () => ({ ok: true, count: rows.length, width: MQ_DIR_FIELDS.length, names: rows.map((r) => r.name).join('\0'), fields: new Float64Array(fields), errors }),
  } as unknown as NativeAddon;
  // listDir looks at the directory itself first: it must hold an entry for the addon to be asked.
  const dir = scratchDir('mqd-queue-rows-');
  writeFileSync(join(dir, 'entry'), '');
  const r = listDir(dir, () => have(addon), { details });
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('queue objects from the addon columns', () => {
  const rows: Row[] = [
    { name: 'a', qsize: 0, maxmsg: 10, msgsize: 128, curmsgs: 0, notify: [0, 0, 0] },
    { name: 'b', qsize: 0, maxmsg: 10, msgsize: 128, curmsgs: 0, notify: [0, 0, 0] },
    { name: 'c', qsize: 256, maxmsg: 10, msgsize: 128, curmsgs: 2, notify: [0, 10, 4242] },
    { name: 'd', qsize: 0, maxmsg: 10, msgsize: 129, curmsgs: 0, notify: [1, 0, 77] },
    { name: 'e', qsize: 0, maxmsg: 11, msgsize: 129, curmsgs: 0, notify: [0, 0, 0] },
    { name: 'f', qsize: NaN, maxmsg: NaN, msgsize: NaN, curmsgs: NaN },
    { name: 'g', qsize: 0, maxmsg: 11, msgsize: 129, curmsgs: 0, notify: [0, 0, 0] },
  ];

  it("gives every queue its own row's values, whichever it shares", () => {
    const qs = listed(rows, true, [[5, 'EACCES']]);
    expect(qs.map((q) => [q.name, q.uid, q.ino, q.mtimeMs, q.ctimeMs])).toEqual(
      rows.map((r, i) => [r.name, 1000 + i, 500 + i, 1_700_000_000_000 + i, 1_700_000_000_500 + i]),
    );
    expect(qs.map((q) => q.qsize)).toEqual([have(0), have(0), have(256), have(0), have(0), { ok: false, reason: expect.stringContaining('EACCES') }, have(0)]);
    expect(qs.map((q) => q.attr)).toEqual([
      have({ maxmsg: 10, msgsize: 128, curmsgs: 0 }),
      have({ maxmsg: 10, msgsize: 128, curmsgs: 0 }),
      have({ maxmsg: 10, msgsize: 128, curmsgs: 2 }),
      have({ maxmsg: 10, msgsize: 129, curmsgs: 0 }),
      have({ maxmsg: 11, msgsize: 129, curmsgs: 0 }),
      { ok: false, reason: expect.stringContaining('cannot open') },
      have({ maxmsg: 11, msgsize: 129, curmsgs: 0 }),
    ]);
    expect(qs.map((q) => q.notify)).toEqual([
      have({ notify: 0, signo: 0, pid: 0 }),
      have({ notify: 0, signo: 0, pid: 0 }),
      have({ notify: 0, signo: 10, pid: 4242 }),
      have({ notify: 1, signo: 0, pid: 77 }),
      have({ notify: 0, signo: 0, pid: 0 }),
      { ok: false, reason: expect.stringContaining('EACCES') },
      have({ notify: 0, signo: 0, pid: 0 }),
    ]);
    // A run of one size shares its attr; a change of any of the three numbers ends the run.
    expect(qs[1]!.attr).toBe(qs[0]!.attr);
    expect(qs[2]!.attr).not.toBe(qs[1]!.attr);
    expect(qs[6]!.attr).not.toBe(qs[4]!.attr);
  });

  it('shares only what cannot be changed through one queue', () => {
    const [a, b] = listed(rows, true);
    expect(Object.isFrozen(a!.attr) && a!.attr.ok && Object.isFrozen(a!.attr.value)).toBe(true);
    expect(a!.qsize).toBe(b!.qsize);
    expect(() => {
      'use strict';
      (a!.qsize as { value: number }).value = 1;
    }).toThrow(TypeError);
    expect(b!.qsize).toEqual(have(0));
  });

  it('reads no notification without details, and says nothing of holders before they are looked for', () => {
    const qs = listed(rows, false);
    expect(qs.every((q) => q.notify === undefined && q.holders === undefined)).toBe(true);
    // As a snapshot, the queue has no such keys at all.
    expect(Object.keys(JSON.parse(JSON.stringify(qs[0])))).toEqual(['name', 'uid', 'gid', 'mode', 'qsize', 'attr', 'ino', 'mtimeMs', 'ctimeMs']);
  });

  it('leaves out a queue unlinked while it was read', () => {
    expect(listed(rows.slice(0, 3), true, [[1, 'ENOENT']]).map((q) => q.name)).toEqual(['a', 'c']);
  });
});
