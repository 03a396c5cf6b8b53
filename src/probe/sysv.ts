import { type Avail, have, unavailable } from '../snapshot.js';
import { readText } from './procfs.js';

export interface SysvQueue {
  key: number;
  msqid: number;
  mode: number;
  /** Bytes queued (cbytes) and messages queued (qnum). */
  bytes: number;
  messages: number;
  uid: number;
}

/** /proc/sysvipc/msg: a header row names the columns; their order has changed across kernels. */
export function parseSysvipcMsg(text: string): SysvQueue[] {
  const [header, ...rows] = text.split('\n').filter((l) => l.trim());
  if (!header) return [];
  const cols = header.trim().split(/\s+/);
  const at = (fields: string[], name: string) => Number(fields[cols.indexOf(name)]);
  return rows.map((row) => {
    const f = row.trim().split(/\s+/);
    return { key: at(f, 'key'), msqid: at(f, 'msqid'), mode: parseInt(f[cols.indexOf('perms')] ?? '0', 8), bytes: at(f, 'cbytes'), messages: at(f, 'qnum'), uid: at(f, 'uid') };
  });
}

/** The System V queues of the reader's IPC namespace (like /proc/sys, /proc/sysvipc follows the reader). */
export function probeSysvQueues(): Avail<SysvQueue[]> {
  const text = readText('/proc/sysvipc/msg');
  return text.ok ? have(parseSysvipcMsg(text.value)) : unavailable(text.reason);
}
