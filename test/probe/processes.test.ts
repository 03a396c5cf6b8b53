// The daemon's scan of every process: each one's IPC namespace and the real uid
// the kernel charges its queues to (not the effective one).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanProcesses } from '../../src/probe/namespaces.js';
import { namespaceOf, PROC_IPC_INIT_INO } from '../../src/probe/process.js';
import { testUids } from '../kernel/lib/uids.js';

const [uid] = testUids(1, 10) as [number];
const root = process.getuid?.() === 0;
if (!root) console.warn('skipping the setpriv --ruid case of scanProcesses: changing a real uid needs root');

describe('scanProcesses', () => {
  it('finds this process with its real uid and IPC namespace', () => {
    const scan = scanProcesses();
    if (!scan.ok) throw new Error(scan.reason);
    const me = scan.value.processes.find((p) => p.pid === process.pid);
    const ns = namespaceOf('self', 'ipc', PROC_IPC_INIT_INO);
    expect(me).toEqual({ pid: process.pid, ipcInode: ns.ok ? ns.value.inode : -1, realUid: process.getuid!() });
  });

  it.skipIf(!root)('reports the real uid of a process whose effective uid differs (setpriv --ruid)', async () => {
    const child = spawn('setpriv', [`--ruid=${uid}`, `--rgid=${uid}`, '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
    try {
      // setpriv execs sleep in the same process: wait until it has.
      for (let i = 0; i < 100 && !/^Name:\s+sleep$/m.test(readFileSync(`/proc/${child.pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\s+${uid}\\s+0\\s+`, 'm'));
      const scan = scanProcesses();
      if (!scan.ok) throw new Error(scan.reason);
      expect(scan.value.processes.find((p) => p.pid === child.pid)?.realUid).toBe(uid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
