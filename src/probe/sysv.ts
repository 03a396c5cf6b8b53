import { type Avail, have, type SysvQueue, unavailable } from '../snapshot.js';
import type { NativeAddon } from './native.js';
import { readText } from './procfs.js';

export type { SysvQueue };

/** The id's slot in the namespace's table (ipcid_to_idx): what MSG_STAT_ANY takes. */
const IPC_IDX_MASK = 0x7fff;

const QBYTES_NOT_READ = 'msg_qbytes not read (only `check --sysv` and the daemon ask msgctl for it)';

/** /proc/sysvipc/msg: a header row names the columns; their order has changed across kernels. */
export function parseSysvipcMsg(text: string): SysvQueue[] {
  const [header, ...rows] = text.split('\n').filter((l) => l.trim());
  if (!header) return [];
  const cols = header.trim().split(/\s+/);
  const at = (fields: string[], name: string) => Number(fields[cols.indexOf(name)]);
  return rows.map((row) => {
    const f = row.trim().split(/\s+/);
    return {
      key: at(f, 'key'),
      msqid: at(f, 'msqid'),
      mode: parseInt(f[cols.indexOf('perms')] ?? '0', 8),
      bytes: at(f, 'cbytes'),
      messages: at(f, 'qnum'),
      uid: at(f, 'uid'),
      gid: at(f, 'gid'),
      cuid: at(f, 'cuid'),
      cgid: at(f, 'cgid'),
      qbytes: unavailable(QBYTES_NOT_READ),
    };
  });
}

/**
 * msg_qbytes is not in /proc: IPC_STAT needs read permission on the queue,
 * MSG_STAT_ANY (Linux 4.17+) does not.
 */
function qbytesOf(q: SysvQueue, addon: NativeAddon): Avail<number> {
  const toNumber = (v: number | bigint) => (typeof v === 'bigint' ? Number(v) : v);
  const st = addon.msgctlStat(q.msqid);
  if (st.ok) return have(toNumber(st.qbytes));
  const any = addon.msgctlStatAny(q.msqid & IPC_IDX_MASK);
  if (any.ok && any.msqid === q.msqid) return have(toNumber(any.qbytes));
  return unavailable(`msgctl(${q.msqid}, IPC_STAT) failed with ${st.errno}${any.ok ? '' : ` and MSG_STAT_ANY with ${any.errno}`}`);
}

/**
 * The System V queues of the reader's IPC namespace (like /proc/sys, /proc/sysvipc
 * follows the reader). With an addon, each queue's msg_qbytes too: msgctl also
 * answers for the caller's namespace, so this runs inside the target's.
 */
export function probeSysvQueues(addon?: () => Avail<NativeAddon>): Avail<SysvQueue[]> {
  const text = readText('/proc/sysvipc/msg');
  if (!text.ok) return unavailable(text.reason);
  const queues = parseSysvipcMsg(text.value);
  if (!addon || queues.length === 0) return have(queues);
  const lib = addon();
  return have(queues.map((q) => ({ ...q, qbytes: lib.ok ? qbytesOf(q, lib.value) : unavailable(`msg_qbytes needs msgctl: ${lib.reason}`) })));
}
