// The columns of `mq-doctor limits`' queue list, lsipc-style: upper-case names,
// `-o NAME,UID` for exactly those, `-o +HOLDERS` for the default set and more.
// Data only: options.ts lists them in --help and args.ts validates -o with them.

export const QUEUE_COLUMNS = {
  NAME: 'queue name, with its leading slash',
  UID: "owner uid (the creator's fsuid)",
  GID: "owner gid (the creator's fsgid)",
  MODE: 'permission bits, octal',
  MAXMSG: 'mq_maxmsg: messages it holds',
  MSGSIZE: 'mq_msgsize: bytes per message',
  CURMSGS: 'messages queued now',
  QSIZE: 'bytes queued now (QSIZE)',
  CHARGED: "bytes charged to the owner's RLIMIT_MSGQUEUE",
  NOTIFY: 'mq_notify registration: signal, none or thread (- when none)',
  SIGNO: 'signal of a SIGEV_SIGNAL registration',
  NOTIFY_PID: 'process registered with mq_notify',
  MTIME: 'created, or the last message sent or received (UTC; the kernel keeps no creation time)',
  IDLE: 'time since MTIME',
  HOLDERS: 'processes with it open: PID(COMMAND),...',
} as const;

export type QueueColumn = keyof typeof QUEUE_COLUMNS;

export const QUEUE_COLUMN_NAMES = Object.keys(QUEUE_COLUMNS) as QueueColumn[];

/** Shown when -o is not given, and what `-o +COL` adds to. */
export const DEFAULT_QUEUE_COLUMNS: readonly QueueColumn[] = ['NAME', 'UID', 'MODE', 'MAXMSG', 'MSGSIZE', 'CURMSGS', 'QSIZE', 'CHARGED', 'NOTIFY_PID', 'IDLE', 'HOLDERS'];

/**
 * "NAME,UID" → exactly those; "+GID,MTIME" → the default set, then those (util-linux's
 * `-o +LIST`). Names are case-insensitive, as in lsblk; a repeated one is kept once.
 * Returns the columns, or the offending word.
 */
export function parseQueueColumns(list: string): { ok: true; columns: QueueColumn[] } | { ok: false; bad: string } {
  const add = list.startsWith('+');
  const words = (add ? list.slice(1) : list).split(',').map((w) => w.trim());
  const out: QueueColumn[] = add ? [...DEFAULT_QUEUE_COLUMNS] : [];
  for (const w of words) {
    const name = w.toUpperCase();
    if (!(QUEUE_COLUMN_NAMES as string[]).includes(name)) return { ok: false, bad: w };
    if (!out.includes(name as QueueColumn)) out.push(name as QueueColumn);
  }
  return { ok: true, columns: out };
}
