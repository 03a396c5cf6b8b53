import { describe, expect, it } from 'vitest';
import { wordBitsFor } from '../../src/probe/kernel.js';
import {
  libcFromMaps,
  parseCapabilities,
  parseCredentials,
  parseLimitsRow,
  parseNamespaceLink,
  ppidFromStat,
  PROC_IPC_INIT_INO,
  unitFromCgroup,
  userNameFromPasswd,
} from '../../src/probe/process.js';
import { parseKeyValues } from '../../src/probe/procfs.js';
import { findMqueueMount, parseMountinfo, parseQsize } from '../../src/probe/queues.js';
import { parseLaunchFds } from '../../src/probe/process.js';
import { parseIdMap } from '../../src/probe/userns.js';
import { insideId } from '../../src/probe/measure.js';
import { ipcBindMounts } from '../../src/probe/ipc-scan.js';
import { freeBelow, nthFree } from '../../src/model/checks/descriptors.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max open files            1024                 524288               files
Max msgqueue size         819200               unlimited            bytes
`;

describe('/proc parsers', () => {
  it('reads rlimit rows, unlimited included', () => {
    expect(parseLimitsRow(LIMITS, 'Max msgqueue size')).toEqual({ soft: 819200, hard: 'unlimited' });
    expect(parseLimitsRow(LIMITS, 'Max open files')).toEqual({ soft: 1024, hard: 524288 });
    expect(parseLimitsRow(LIMITS, 'Max locked memory')).toBeUndefined();
  });

  it('reads real, effective and fs ids from status', () => {
    const status = parseKeyValues('Uid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\nGroups:\t4 27 \n');
    expect(parseCredentials(status)).toEqual({ realUid: 1000, effectiveUid: 0, fsUid: 0, effectiveGid: 100, fsGid: 100, groups: [4, 27] });
    expect(parseCredentials(parseKeyValues('Name:\tx\n'))).toBeUndefined();
  });

  it('counts CAP_SYS_RESOURCE only in the initial user namespace', () => {
    const initial = { ok: true as const, value: { inode: 4026531837, initial: true } };
    const nested = { ok: true as const, value: { inode: 4026532999, initial: false } };
    expect(parseCapabilities('000001ffffffffff', initial)).toMatchObject({ sysResource: true, dacOverride: true });
    expect(parseCapabilities('000001ffffffffff', nested)).toMatchObject({ sysResource: false, sysResourceInOwnNs: true });
    // This machine's root: every bit but 24.
    expect(parseCapabilities('000001fffeffffff', initial)).toMatchObject({ sysResource: false, dacOverride: true });
    expect(parseCapabilities('0000000000000000', initial)).toMatchObject({ sysResource: false, dacOverride: false });
  });

  it('recognises the initial IPC namespace by its fixed inode', () => {
    expect(parseNamespaceLink('ipc:[4026531839]', PROC_IPC_INIT_INO)).toEqual({ inode: 4026531839, initial: true });
    expect(parseNamespaceLink('ipc:[4026532512]', PROC_IPC_INIT_INO)).toEqual({ inode: 4026532512, initial: false });
    expect(parseNamespaceLink('nonsense', PROC_IPC_INIT_INO)).toBeUndefined();
  });

  it('tells glibc from musl by the mapped libc', () => {
    expect(libcFromMaps('7f-7f r-xp 0 fe:00 1 /usr/lib/x86_64-linux-gnu/libc.so.6\n')).toBe('glibc');
    expect(libcFromMaps('7f-7f r-xp 0 fe:00 1 /lib/ld-musl-x86_64.so.1\n')).toBe('musl');
    expect(libcFromMaps('7f-7f r-xp 0 fe:00 1 /app/static-binary\n')).toBeUndefined();
  });

  it('finds the innermost systemd service in a cgroup path', () => {
    expect(unitFromCgroup('0::/system.slice/orders.service\n')).toBe('orders.service');
    expect(unitFromCgroup('0::/user.slice/user-1000.slice/user@1000.service/app.slice/worker.service\n')).toBe('worker.service');
    expect(unitFromCgroup('0::/user.slice/user-1000.slice/session-3.scope\n')).toBeUndefined();
  });

  it('maps a uid to its name', () => {
    expect(userNameFromPasswd('root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 1000)).toBe('app');
    expect(userNameFromPasswd('root:x:0:0::/root:/bin/sh\n', 5)).toBeUndefined();
  });

  it('finds the mqueue mount, unescaping its path', () => {
    const text = [
      '22 27 0:21 / /proc rw,relatime - proc proc rw',
      '64 58 0:39 / /run/my\\040queues rw,relatime - mqueue none rw',
      '65 58 0:40 / /dev/mqueue rw,relatime shared:1 - mqueue mqueue rw',
    ].join('\n');
    const mounts = parseMountinfo(text);
    expect(mounts[1]).toEqual({ mountPoint: '/run/my queues', fsType: 'mqueue' });
    expect(findMqueueMount(mounts)).toBe('/dev/mqueue');
    expect(findMqueueMount(mounts.slice(0, 2))).toBe('/run/my queues');
    expect(findMqueueMount(mounts.slice(0, 1))).toBeUndefined();
  });

  it('reads QSIZE from a queue file', () => {
    expect(parseQsize('QSIZE:129        NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n')).toBe(129);
    expect(parseQsize('garbage')).toBeUndefined();
  });

  it('knows the kernel word size from uname -m', () => {
    expect(wordBitsFor('x86_64')).toBe(64);
    expect(wordBitsFor('aarch64')).toBe(64);
    expect(wordBitsFor('i686')).toBe(32);
    expect(wordBitsFor('armv7l')).toBe(32);
    expect(wordBitsFor('quantum9')).toBeUndefined();
  });
});

describe('ppidFromStat', () => {
  it('reads the parent pid even when the command has spaces and parentheses', () => {
    expect(ppidFromStat('4242 (my (odd) app) S 17 4242 4242 0 -1')).toBe(17);
    expect(ppidFromStat('1 (init) S 0 1 1 0 -1')).toBe(0);
  });
});

describe('what the launcher recorded, user namespace maps, nsfs bind mounts', () => {
  it('takes the launch descriptors only from this very process (exec keeps the PID)', () => {
    expect(parseLaunchFds('4242: 0 1 2 251 10', 4242)).toEqual([0, 1, 2, 10, 251]);
    expect(parseLaunchFds('4242: 0 1 2', 9999)).toBeUndefined(); // inherited from another launch
    expect(parseLaunchFds('', 4242)).toBeUndefined(); // the launcher could not tell
    expect(parseLaunchFds('4242:', 4242)).toEqual([]); // launched with every descriptor closed
    expect(parseLaunchFds('4242: 0 x', 4242)).toBeUndefined();
    expect(parseLaunchFds(undefined, 4242)).toBeUndefined();
  });

  it('reads uid_map lines and maps an outside id inside', () => {
    const map = '         0     234567          1\n         1     100000      65536\n';
    expect(parseIdMap(map)).toEqual([
      { inside: 0, outside: 234567, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
    ]);
    expect(insideId(map, 234567)).toBe(0);
    expect(insideId(map, 100000)).toBe(1);
    expect(insideId(map, 165535)).toBe(65536);
    expect(insideId(map, 165536)).toBeUndefined();
    expect(insideId(map, 0)).toBeUndefined();
    expect(parseIdMap('0 1\n')).toBeUndefined();
  });

  it('finds IPC namespaces kept alive by a bind mount of their nsfs file', () => {
    const mountinfo = [
      '25 1 0:23 / /dev/mqueue rw,relatime - mqueue mqueue rw',
      '31 24 0:4 ipc:[4026532301] /run/ipc\\040ns rw - nsfs nsfs rw',
      '32 24 0:4 net:[4026532400] /run/netns/x rw - nsfs nsfs rw',
    ].join('\n');
    expect(ipcBindMounts(mountinfo)).toEqual([{ inode: 4026532301, mountPoint: '/run/ipc ns' }]);
  });

  it('counts free descriptor numbers below a limit and finds the n-th free one', () => {
    const used = new Set([...Array.from({ length: 15 }, (_, i) => i), 251]);
    expect(freeBelow(used, 16)).toBe(1);
    expect(nthFree(used, 1)).toBe(15);
    expect(nthFree(used, 2)).toBe(16);
    expect(freeBelow([0, 1, 2, 5000], 1024)).toBe(1021);
  });
});
