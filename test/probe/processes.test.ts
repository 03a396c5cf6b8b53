// The daemon's scan of every process: each one's IPC namespace and the real uid
// the kernel charges its queues to (not the effective one).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanProcesses } from '../../src/probe/namespaces.js';
import { loadNative } from '../../src/probe/native.js';
import { unavailable } from '../../src/snapshot.js';
import { namespaceOf, PROC_IPC_INIT_INO } from '../../src/probe/process.js';
import { testUids } from '../kernel/lib/uids.js';

const [uid] = testUids(1, 10) as [number];
const root = process.getuid?.() === 0;
if (!root) console.warn('skipping the setpriv --ruid case of scanProcesses: changing a real uid needs root');

const addon = loadNative();
// The addon's one-call scan and the JS one it stands in for, asked the same questions.
const paths = [
  { path: 'the addon (procScan)', addon },
  { path: 'JS, without the addon', addon: unavailable<never>('not loaded in this test') },
];
if (!addon.ok || !addon.value.procScan) console.warn(`skipping the addon's procScan: ${addon.ok ? 'this build has no procScan' : addon.reason}`);

describe.each(paths)('scanProcesses through $path', ({ path, addon: lib }) => {
  const skip = path.startsWith('the addon') && !(addon.ok && addon.value.procScan);
  it.skipIf(skip)('finds this process with its real uid and IPC namespace', () => {
    const scan = scanProcesses(lib);
    if (!scan.ok) throw new Error(scan.reason);
    const me = scan.value.processes.find((p) => p.pid === process.pid);
    const ns = namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
    expect(me).toEqual({ pid: process.pid, ipcInode: ns.ok ? ns.value.inode : -1, realUid: process.getuid!() });
  });

  it.skipIf(skip || !root)('reports the real uid of a process whose effective uid differs (setpriv --ruid)', async () => {
    const child = spawn('setpriv', [`--ruid=${uid}`, `--rgid=${uid}`, '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
    try {
      // setpriv execs sleep in the same process: wait until it has.
      for (let i = 0; i < 100 && !/^Name:\s+sleep$/m.test(readFileSync(`/proc/${child.pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+0\\s+`, 'm'));
      const scan = scanProcesses(lib);
      if (!scan.ok) throw new Error(scan.reason);
      expect(scan.value.processes.find((p) => p.pid === child.pid)?.realUid).toBe(uid);
      // And its IPC namespace, as its own ns/ipc link names it.
      const ns = namespaceOf(String(child.pid), 'ipc', PROC_IPC_INIT_INO);
      expect(scan.value.processes.find((p) => p.pid === child.pid)?.ipcInode).toBe(ns.ok ? ns.value.inode : -1);
    } finally {
      child.kill('SIGKILL');
    }
  });
  it.skipIf(skip || !root)('reports a process in a second IPC namespace with that namespace (unshare --ipc)', async () => {
    const child = spawn('unshare', ['--ipc', 'sleep', '30'], { stdio: 'ignore' });
    try {
      const own = namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
      let ns = namespaceOf(String(child.pid), 'ipc', PROC_IPC_INIT_INO);
      // unshare execs sleep in the same process once it is in its new namespace.
      for (let i = 0; i < 100 && (!ns.ok || !own.ok || ns.value.inode === own.value.inode); i++) {
        await new Promise((r) => setTimeout(r, 20));
        ns = namespaceOf(String(child.pid), 'ipc', PROC_IPC_INIT_INO);
      }
      if (!ns.ok || !own.ok) throw new Error('namespace unreadable');
      expect(ns.value.inode).not.toBe(own.value.inode);
      const scan = scanProcesses(lib);
      if (!scan.ok) throw new Error(scan.reason);
      expect(scan.value.processes.find((p) => p.pid === child.pid)).toEqual({ pid: child.pid, ipcInode: ns.value.inode, realUid: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe.skipIf(!(addon.ok && addon.value.procScan))('the two scans', () => {
  it('see the same processes in the same namespaces under the same real uids', () => {
    const a = scanProcesses(addon);
    const b = scanProcesses(unavailable('JS'));
    if (!a.ok || !b.ok) throw new Error(`${a.ok ? '' : a.reason} ${b.ok ? '' : b.reason}`);
    // Processes come and go between the two passes: compare those both saw.
    const inJs = new Map(b.value.processes.map((p) => [p.pid, p]));
    const both = a.value.processes.filter((p) => inJs.has(p.pid));
    expect(both.length).toBeGreaterThan(a.value.processes.length / 2);
    for (const p of both) expect(p).toEqual(inJs.get(p.pid));
  });
});
