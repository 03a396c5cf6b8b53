// holdersReport() and its renderers on built snapshots: when a queue is called
// probably leaked (and when it must not be), the removal command for every way
// the queues were read, the escapes of odd names, and the parsers.
import { describe, expect, it } from 'vitest';
import { cString, holdersReport, notifyState, shellWord } from '../../src/model/holders.js';
import { parseQueueFile } from '../../src/probe/queues.js';
import { formatAge, renderHoldersText } from '../../src/render/holders-text.js';
import { rawEscape, renderQueueList } from '../../src/render/limits.js';
import { parseQueueColumns } from '../../src/render/queue-columns.js';
import type { HolderScan, QueueInfo, Snapshot } from '../../src/snapshot.js';
import { na, ok, queue, snapshot } from '../support/snapshot-builder.js';

const T = Date.parse('2026-11-21T00:00:00.000Z');
const none = ok({ notify: 0, signo: 0, pid: 0 });
const holder = (pid: number, fds = [3]) => ({ pid, command: 'app', fds });

/** A queue as the probe reads it with holders: times, notification, holders. */
function q(name: string, uid: number, maxmsg: number, msgsize: number, extra: Partial<QueueInfo> = {}): QueueInfo {
  return { ...queue(name, uid, maxmsg, msgsize), ino: 100 + name.length, mtimeMs: T - 3_600_000, ctimeMs: T - 60_000, notify: none, holders: [], ...extra };
}

function withScan(s: Snapshot, scan: HolderScan | { reason: string } | undefined, mountPath = '/dev/mqueue'): Snapshot {
  if (!s.queues.ok) throw new Error('no queues');
  const holderScan = scan === undefined ? undefined : 'reason' in scan ? na(scan.reason) : ok(scan);
  return { ...s, queues: ok({ ...s.queues.value, mountPath, ...(holderScan ? { holderScan } : {}) }) };
}

const clean: HolderScan = { processes: 40, descriptors: 400, gaps: [], unlinked: [] };

describe('holdersReport', () => {
  const queues = [
    q('busy', 1001, 10, 8192, { holders: [holder(4242, [5, 7])] }),
    q('idle', 1001, 10, 1024, { mtimeMs: T - 3 * 86_400_000 }),
    q('waiting', 1001, 5, 128, { notify: ok({ notify: 0, signo: 10, pid: 4343 }), holders: [holder(4343)] }),
    q('theirs', 1002, 1, 128),
  ];

  it('ENOSPC: every uid counted, the probably leaked first with their removal as their owner', () => {
    const r = holdersReport(withScan(snapshot({ uid: 1001, queues, queues_max: 4 }), clean), { errno: 'ENOSPC' });
    if (r.kind !== 'enospc') throw new Error(r.kind);
    expect(r.inUse).toBe(4);
    expect(r.queuesMax).toBe(4);
    expect(r.byUid).toEqual([
      { uid: 1001, queues: 3, leaked: 1 },
      { uid: 1002, queues: 1, leaked: 1 },
    ]);
    expect(r.queues.map((f) => f.name)).toEqual(['idle', 'theirs', 'busy', 'waiting']);
    expect(r.leaked.map((f) => [f.name, f.leak])).toEqual([
      ['idle', { removal: { shell: 'rm /dev/mqueue/idle', call: 'mq_unlink("/idle")', asUid: 1001, ipcNamespaceOfPid: null }, caveats: [] }],
      ['theirs', { removal: { shell: 'rm /dev/mqueue/theirs', call: 'mq_unlink("/theirs")', asUid: 1002, ipcNamespaceOfPid: null }, caveats: [] }],
    ]);
    expect(r.queues[0]!.idleMs).toBe(3 * 86_400_000);
    expect(r.queues[0]!.lastUsedMs).toBe(T - 3 * 86_400_000);
  });

  it('EMFILE: the uid\'s queues by charge, what removing the leaked ones frees, the same uid elsewhere', () => {
    const other = ok({
      namespaces: [{ inode: 4026532999, pid: 77, command: 'ctr', ownerUserNs: ok(0xeffffffd), via: 'x', queues: ok([{ name: 'x', uid: 1001, attr: ok({ maxmsg: 10, msgsize: 8192 }) }, { name: 'y', uid: 1001, attr: na('?') }]) }],
      userNamespaces: [],
      gaps: [],
    });
    const r = holdersReport(withScan(snapshot({ uid: 1001, queues, otherNamespaces: other }), clean), { errno: 'EMFILE' });
    if (r.kind !== 'emfile') throw new Error(r.kind);
    expect(r.uid).toBe(1001);
    expect(r.soft).toBe(819200);
    expect(r.queues.map((f) => [f.name, f.charge])).toEqual([
      ['busy', 82880],
      ['idle', 11200],
      ['waiting', 1120],
    ]);
    expect(r.charged).toBe(82880 + 11200 + 1120);
    expect(r.freeable).toBe(11200);
    expect(r.elsewhere).toEqual({ namespaces: 1, queues: 2, bytes: 82880, unsized: 1 });
    // Another uid's: no soft limit of the target applies to it.
    expect(holdersReport(withScan(snapshot({ uid: 1001, queues }), clean), { errno: 'EMFILE', uid: 1002 })).toMatchObject({ kind: 'emfile', uid: 1002, soft: null, charged: 224, freeable: 224 });
  });

  it('nothing is called leaked without a holder search, or with a registered notification', () => {
    for (const scan of [undefined, { reason: 'cannot list /proc (EACCES)' }]) {
      const r = holdersReport(withScan(snapshot({ queues }), scan), { errno: 'ENOSPC' });
      expect(r).toMatchObject({ kind: 'enospc', leaked: [], search: { ok: false } });
    }
    // A notification registered by a process outside mq-doctor's PID namespace (NOTIFY_PID 0, SIGNO set): someone waits.
    const outside = [q('outside', 1001, 1, 128, { notify: ok({ notify: 0, signo: 12, pid: 0 }) })];
    const r = holdersReport(withScan(snapshot({ queues: outside }), clean), { errno: 'ENOSPC' });
    expect(r).toMatchObject({ leaked: [], queues: [{ notify: { kind: 'registered', method: 'signal', signo: 12, pid: null } }] });
  });

  it('what the search could not see, and an unreadable notification, are caveats of a leak', () => {
    const gap = 'the descriptors of 2 processes could not be read (9 (x), 10 (y)): a process of another uid, or with capabilities mq-doctor lacks, can be read only with CAP_SYS_PTRACE over it';
    const unread = [q('maybe', 1001, 1, 128, { notify: na('cannot read /dev/mqueue/maybe (EACCES)') })];
    const r = holdersReport(withScan(snapshot({ queues: unread }), { ...clean, gaps: [gap] }), { errno: 'ENOSPC' });
    expect(r).toMatchObject({ leaked: [{ name: 'maybe', leak: { caveats: [gap, 'its notification could not be read (cannot read /dev/mqueue/maybe (EACCES))'] } }] });
    const text = renderHoldersText(r).join('\n');
    // The search's gap once, below the list; the queue's own caveat under it.
    expect(text.split(gap).length).toBe(2);
    expect(text).toContain('unless it is in use after all: its notification could not be read');
  });

  it('the removal follows the way the queues were read: another process\'s mount, a detached mount, odd names', () => {
    const odd = [q("it's here", 0, 1, 128), q('tab\there', 0, 1, 128)];
    const viaPid = holdersReport(withScan(snapshot({ self: false, queues: odd }), clean, '/proc/4242/root/dev/mqueue'), { errno: 'ENOSPC' });
    expect(viaPid.kind === 'enospc' && viaPid.leaked.map((f) => f.leak!.removal)).toEqual([
      { shell: `rm '/proc/4242/root/dev/mqueue/it'\\''s here'`, call: `mq_unlink("/it's here")`, asUid: 0, ipcNamespaceOfPid: 4242 },
      { shell: `rm '/proc/4242/root/dev/mqueue/tab\there'`, call: 'mq_unlink("/tab\\011here")', asUid: 0, ipcNamespaceOfPid: 4242 },
    ]);
    const detached = holdersReport(withScan(snapshot({ queues: odd }), clean, 'a detached mqueue mount (attached nowhere, gone when mq-doctor exits)'), { errno: 'ENOSPC' });
    expect(detached.kind === 'enospc' && detached.leaked[0]!.leak!.removal.shell).toBeNull();
    const text = renderHoldersText(detached).join('\n');
    expect(text).toContain(`      remove: mq_unlink("/it's here")   (as root)`);
    expect(text).toContain('/tab\\x09here: uid 0');
  });

  it('queues unlinked but still open count for ENOSPC and for their uid\'s EMFILE', () => {
    const scan = { ...clean, unlinked: [{ ino: 9, uid: 1001, gid: 1001, mode: 0o600, attr: ok({ maxmsg: 10, msgsize: 8192, curmsgs: 0 }), holders: [holder(4545)] }] };
    const s = withScan(snapshot({ uid: 1001, queues }), scan);
    expect(holdersReport(s, { errno: 'ENOSPC' })).toMatchObject({ inUse: 5, unlinked: [{ ino: 9, uid: 1001, charge: 82880, holders: [holder(4545)] }] });
    expect(holdersReport(s, { errno: 'EMFILE' })).toMatchObject({ charged: 82880 * 2 + 11200 + 1120, unlinked: [{ ino: 9 }] });
    expect(renderHoldersText(holdersReport(s, { errno: 'EMFILE' }))).toContain('      inode 9, uid 1001, 82,880 bytes: held by 4545 (app) fd 3');
  });

  it('an unreadable listing, or an unknown uid for EMFILE, is unknown', () => {
    expect(holdersReport(snapshot({ queues: null }), { errno: 'ENOSPC' })).toEqual({ kind: 'unknown', errno: 'ENOSPC', reason: 'no mqueue filesystem is mounted' });
    const s = snapshot({ queues });
    expect(holdersReport({ ...s, target: { ...s.target, credentials: na('cannot read /proc/9/status') } }, { errno: 'EMFILE' })).toEqual({
      kind: 'unknown',
      errno: 'EMFILE',
      reason: 'whose queue memory to explain is unknown (cannot read /proc/9/status)',
    });
  });

  it('the ENOSPC text, as the check report shows it', () => {
    const r = holdersReport(withScan(snapshot({ uid: 1001, queues, queues_max: 4 }), clean), { errno: 'ENOSPC' });
    expect(renderHoldersText(r, { limit: 3 })).toEqual([
      '  Who holds the queue slots (ENOSPC): 4 of queues_max 4 in use in this IPC namespace, all uids counted; 2 probably leaked (no process has it open, no notification registered)',
      '    by uid: uid 1001 3 (1 probably leaked), uid 1002 1 (1 probably leaked)',
      '    removing the probably leaked ones frees 2 slots at once',
      '    /idle: uid 1001, 11,200 bytes (10 × 1,024), idle 3d  PROBABLY LEAKED',
      '        remove: rm /dev/mqueue/idle   (as uid 1001 (its owner) or root)',
      '        or: mq_unlink("/idle")',
      '    /theirs: uid 1002, 224 bytes (1 × 128), idle 1h  PROBABLY LEAKED',
      '        remove: rm /dev/mqueue/theirs   (as uid 1002 (its owner) or root)',
      '        or: mq_unlink("/theirs")',
      '    /busy: uid 1001, 82,880 bytes (10 × 8,192), idle 1h, held by 4242 (app) fds 5,7',
      '    … and 1 more: mq-doctor limits lists them all',
    ]);
  });
});

describe('parsers and escapes', () => {
  it('the queue file, as ipc/mqueue.c pads it', () => {
    expect(parseQueueFile('QSIZE:129        NOTIFY:2     SIGNO:0     NOTIFY_PID:4242  \n')).toEqual({ qsize: 129, notify: { notify: 2, signo: 0, pid: 4242 } });
    expect(parseQueueFile('QSIZE:0          NOTIFY:0     SIGNO:10    NOTIFY_PID:17588 \n')).toEqual({ qsize: 0, notify: { notify: 0, signo: 10, pid: 17588 } });
    expect(parseQueueFile('QSIZE:5')).toBeUndefined();
    expect(notifyState(ok({ notify: 2, signo: 0, pid: 7 }))).toEqual({ kind: 'registered', method: 'thread', signo: null, pid: 7 });
    expect(notifyState(ok({ notify: 0, signo: 0, pid: 0 }))).toEqual({ kind: 'none' });
  });

  it('-o: names case-insensitive, +LIST adds to the default set, an unknown one is named', () => {
    expect(parseQueueColumns('name,Uid')).toEqual({ ok: true, columns: ['NAME', 'UID'] });
    expect(parseQueueColumns('+GID,NAME')).toMatchObject({ ok: true, columns: expect.arrayContaining(['GID']) });
    expect(parseQueueColumns('+GID')).toMatchObject({ ok: true, columns: ['NAME', 'UID', 'MODE', 'MAXMSG', 'MSGSIZE', 'CURMSGS', 'QSIZE', 'CHARGED', 'NOTIFY_PID', 'IDLE', 'HOLDERS', 'GID'] });
    expect(parseQueueColumns('NAME,PID')).toEqual({ ok: false, bad: 'PID' });
  });

  it('--raw escapes as lsblk (util-linux fputs_nonblank): blanks, backslash, controls and every non-ASCII byte', () => {
    expect(rawEscape('a b\tc\\d\u00e9\u0001~!')).toBe('a\\x20b\\x09c\\x5cd\\xc3\\xa9\\x01~!');
    expect(shellWord('/dev/mqueue/a-b_c.d')).toBe('/dev/mqueue/a-b_c.d');
    expect(shellWord('/dev/mqueue/a b')).toBe("'/dev/mqueue/a b'");
    expect(cString('/a"b\\c\u00e9')).toBe('"/a\\"b\\\\c\\303\\251"');
  });

  it('ages: the two largest units', () => {
    expect([0, 4_000, 125_000, 3_600_000, 3_660_000, 93_784_000, 86_400_000].map(formatAge)).toEqual(['0s', '4s', '2m5s', '1h', '1h1m', '1d2h', '1d']);
  });

  it('the queue list of an older recording: "?" where the probe did not look', () => {
    const s = snapshot({ queues: [queue('orders', 0, 10, 8192)] });
    expect(renderQueueList(s, { columns: ['NAME', 'NOTIFY', 'SIGNO', 'NOTIFY_PID', 'MTIME', 'IDLE', 'HOLDERS'], headings: true, raw: true }).text).toBe(
      'NAME NOTIFY SIGNO NOTIFY_PID MTIME IDLE HOLDERS\n/orders ? ? ? ? ? ?\n',
    );
    expect(renderQueueList(snapshot({ queues: null }), { columns: ['NAME'], headings: true, raw: false })).toEqual({
      text: '',
      problem: 'no mqueue filesystem is mounted; to read them: mount -t mqueue none /dev/mqueue (mq-doctor read it without one where it had CAP_SYS_ADMIN)',
    });
  });
});
