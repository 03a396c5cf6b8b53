// The table test: every recognised message, by its example, maps to the errno(s),
// call(s) and mq-doctor checks written here by hand, so a change to a message table,
// to the matcher or to the errno→checks mapping shows up as a row.
import { describe, expect, it } from 'vitest';
import { ERRNO_CHECKS } from '../../src/explain/errno-checks.js';
import { ERRNOS } from '../../src/explain/errnos.js';
import { matchMessage } from '../../src/explain/match.js';
import { GO_ERRNO_TEXTS } from '../../src/explain/messages/go.js';
import { MESSAGE_TABLES, MESSAGES, type MessageEntry } from '../../src/explain/messages/index.js';

/** "ERRNO@call: CHECK CHECK" (or "-" for none) for each reading of a text, in the matcher's order. */
function rows(text: string): string[] {
  const m = matchMessage(text);
  if (!m) return ['UNMATCHED'];
  return m.interpretations.map((i) => `${i.errno}@${i.call}: ${ERRNO_CHECKS[i.call][i.errno]!.checks.map((c) => c.id).join(' ') || '-'}`);
}

/** A bare errno (its name, its number, glibc's or nix's text): every call that returns it. */
const BY_ERRNO: Record<string, string[]> = {
  EPERM: ['EPERM@msgctl: SYSV-MSGMNB SYSV-OWNER', 'EPERM@setrlimit(RLIMIT_MSGQUEUE): RUNTIME-RLIMIT-MSGQUEUE', 'EPERM@setrlimit(RLIMIT_NOFILE): RUNTIME-RLIMIT-NOFILE'],
  ENOENT: ['ENOENT@mq_open: MQ-NAME MQ-EXISTING', 'ENOENT@mq_unlink: -', 'ENOENT@msgget: SYSV-KEY'],
  ESRCH: ['ESRCH@setrlimit(RLIMIT_MSGQUEUE): -', 'ESRCH@setrlimit(RLIMIT_NOFILE): -'],
  EINTR: ['EINTR@mq_send: -', 'EINTR@mq_receive: -', 'EINTR@msgsnd: -', 'EINTR@msgrcv: -'],
  E2BIG: ['E2BIG@msgrcv: SYSV-MSGMAX'],
  EBADF: ['EBADF@mq_send: -', 'EBADF@mq_receive: -', 'EBADF@mq_close: -'],
  EAGAIN: ['EAGAIN@mq_send: MQ-DEFAULT-ATTR', 'EAGAIN@mq_receive: -', 'EAGAIN@msgsnd: SYSV-CAPACITY'],
  ENOMEM: ['ENOMEM@mq_open: MQ-RLIMIT-MSGQUEUE', 'ENOMEM@msgget: -', 'ENOMEM@msgsnd: -'],
  EACCES: ['EACCES@mq_open: MQ-LOOKUP MQ-EXISTING', 'EACCES@mq_unlink: -', 'EACCES@msgget: SYSV-KEY', 'EACCES@msgsnd: SYSV-WRITE', 'EACCES@msgrcv: -', 'EACCES@msgctl: SYSV-IPC-STAT'],
  EFAULT: ['EFAULT@msgsnd: -'],
  EBUSY: ['EBUSY@mq_notify: -'],
  EEXIST: ['EEXIST@mq_open: MQ-EXISTING', 'EEXIST@msgget: SYSV-KEY'],
  EINVAL: ['EINVAL@mq_open: MQ-NAME MQ-ATTR', 'EINVAL@mq_send: -', 'EINVAL@mq_receive: -', 'EINVAL@msgsnd: SYSV-MSGSIZE SYSV-MSGMAX', 'EINVAL@msgrcv: -', 'EINVAL@msgctl: -', 'EINVAL@setrlimit(RLIMIT_MSGQUEUE): -', 'EINVAL@setrlimit(RLIMIT_NOFILE): -'],
  ENFILE: ['ENFILE@mq_open: -'],
  EMFILE: ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE'],
  ENOSPC: ['ENOSPC@mq_open: MQ-QUEUES-MAX', 'ENOSPC@msgget: SYSV-MSGMNI'],
  ENAMETOOLONG: ['ENAMETOOLONG@mq_open: MQ-NAME MQ-LOOKUP', 'ENAMETOOLONG@mq_unlink: -'],
  ENOSYS: ['ENOSYS@mq_open: -'],
  ENOMSG: ['ENOMSG@msgrcv: -'],
  EIDRM: ['EIDRM@msgsnd: -', 'EIDRM@msgrcv: -', 'EIDRM@msgctl: -'],
  EOVERFLOW: ['EOVERFLOW@mq_open: MQ-ID-MAPPING MQ-OVERFLOW'],
  EMSGSIZE: ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR', 'EMSGSIZE@mq_receive: MQ-DEFAULT-ATTR'],
  ETIMEDOUT: ['ETIMEDOUT@mq_send: MQ-DEFAULT-ATTR', 'ETIMEDOUT@mq_receive: -'],
};

/** Library messages, formats and runtimes: by entry id. */
const BY_ID: Record<string, string[]> = Object.fromEntries([
  ['python/oserror-errno', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['rust/os-error', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['rust/os-debug', ['ENOSPC@mq_open: MQ-QUEUES-MAX', 'ENOSPC@msgget: SYSV-MSGMNI']],
  ['ruby/errno-class', ['ENOSPC@msgget: SYSV-MSGMNI']],
  ['jna/last-error', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['posix_ipc/mq_open-emfile', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['posix_ipc/mq_open-enfile', ['ENFILE@mq_open: -']],
  ['posix_ipc/mq_open-enospc', ['ENOSPC@mq_open: MQ-QUEUES-MAX']],
  ['posix_ipc/mq_open-einval', ['EINVAL@mq_open: MQ-NAME MQ-ATTR']],
  ['posix_ipc/mq_open-eexist', ['EEXIST@mq_open: MQ-EXISTING']],
  ['posix_ipc/mq_open-enoent', ['ENOENT@mq_open: MQ-NAME MQ-EXISTING', 'ENOENT@mq_unlink: -']],
  ['posix_ipc/eacces', ['EACCES@mq_open: MQ-LOOKUP MQ-EXISTING', 'EACCES@mq_unlink: -']],
  ['posix_ipc/enametoolong', ['ENAMETOOLONG@mq_open: MQ-NAME MQ-LOOKUP', 'ENAMETOOLONG@mq_unlink: -']],
  ['posix_ipc/mq_open-enomem', ['ENOMEM@mq_open: MQ-RLIMIT-MSGQUEUE', 'ENOMEM@msgget: -']],
  ['posix_ipc/send-not-writable', ['EBADF@mq_send: -']],
  ['posix_ipc/send-too-long', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR']],
  ['posix_ipc/send-priority', ['EINVAL@mq_send: -']],
  ['posix_ipc/send-ebadf', ['EBADF@mq_send: -', 'EINVAL@mq_send: -']],
  ['posix_ipc/send-full', ['EAGAIN@mq_send: MQ-DEFAULT-ATTR', 'ETIMEDOUT@mq_send: MQ-DEFAULT-ATTR']],
  ['posix_ipc/send-emsgsize', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR']],
  ['posix_ipc/eintr', ['EINTR@mq_send: -', 'EINTR@mq_receive: -']],
  ['posix_ipc/receive-not-readable', ['EBADF@mq_receive: -']],
  ['posix_ipc/receive-ebadf', ['EBADF@mq_receive: -', 'EINVAL@mq_receive: -']],
  ['posix_ipc/receive-empty', ['EAGAIN@mq_receive: -', 'ETIMEDOUT@mq_receive: -']],
  ['posix_ipc/close-ebadf', ['EBADF@mq_close: -']],
  ['posix_ipc/notify-ebusy', ['EBUSY@mq_notify: -']],
  ['sysv_ipc/msgget-enospc', ['ENOSPC@msgget: SYSV-MSGMNI']],
  ['sysv_ipc/msgget-eexist', ['EEXIST@msgget: SYSV-KEY']],
  ['sysv_ipc/msgget-enoent', ['ENOENT@msgget: SYSV-KEY']],
  ['sysv_ipc/msgget-enomem', ['ENOMEM@mq_open: MQ-RLIMIT-MSGQUEUE', 'ENOMEM@msgget: -']],
  ['sysv_ipc/permission', ['EACCES@msgget: SYSV-KEY', 'EACCES@msgsnd: SYSV-WRITE', 'EACCES@msgctl: SYSV-IPC-STAT', 'EPERM@msgctl: SYSV-MSGMNB SYSV-OWNER']],
  ['sysv_ipc/msgsnd-full', ['EAGAIN@msgsnd: SYSV-CAPACITY']],
  ['sysv_ipc/msgsnd-max-message-size', ['none@msgsnd: SYSV-MSGMAX SYSV-CAPACITY']],
  ['sysv_ipc/eidrm', ['EIDRM@msgsnd: -', 'EIDRM@msgrcv: -', 'EIDRM@msgctl: -', 'EINVAL@msgrcv: -', 'EINVAL@msgctl: -']],
  ['sysv_ipc/eintr', ['EINTR@msgsnd: -', 'EINTR@msgrcv: -']],
  ['sysv_ipc/msgrcv-enomsg', ['ENOMSG@msgrcv: -']],
  ['ipcqueue/posixmq-2-invalid-value', ['EINVAL@mq_open: MQ-NAME MQ-ATTR', 'EINVAL@mq_send: -', 'EINVAL@mq_receive: -', 'ENAMETOOLONG@mq_open: MQ-NAME MQ-LOOKUP', 'ENOENT@mq_open: MQ-NAME MQ-EXISTING']],
  ['ipcqueue/posixmq-3-no-permissions', ['EACCES@mq_open: MQ-LOOKUP MQ-EXISTING', 'EACCES@mq_unlink: -']],
  ['ipcqueue/posixmq-4-no-system-resources', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE', 'ENFILE@mq_open: -', 'ENOMEM@mq_open: MQ-RLIMIT-MSGQUEUE', 'ENOSPC@mq_open: MQ-QUEUES-MAX']],
  ['ipcqueue/posixmq-5-invalid-descriptor', ['EBADF@mq_close: -', 'EBADF@mq_send: -', 'EBADF@mq_receive: -']],
  ['ipcqueue/posixmq-6-interrupted', ['EINTR@mq_send: -', 'EINTR@mq_receive: -']],
  ['ipcqueue/posixmq-7-too-big', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR', 'EMSGSIZE@mq_receive: MQ-DEFAULT-ATTR']],
  ['ipcqueue/posixmq-9-does-not-exist', ['ENOENT@mq_unlink: -']],
  ['ipcqueue/sysvmq-2-invalid-value', ['EINVAL@msgsnd: SYSV-MSGSIZE SYSV-MSGMAX', 'EINVAL@msgrcv: -', 'EFAULT@msgsnd: -']],
  ['ipcqueue/sysvmq-3-no-permissions', ['EACCES@msgget: SYSV-KEY', 'EACCES@msgsnd: SYSV-WRITE', 'EACCES@msgctl: SYSV-IPC-STAT', 'EPERM@msgctl: SYSV-MSGMNB SYSV-OWNER']],
  ['ipcqueue/sysvmq-4-no-system-resources', ['ENOSPC@msgget: SYSV-MSGMNI', 'ENOMEM@msgget: -', 'ENOMEM@msgsnd: -']],
  ['ipcqueue/sysvmq-5-invalid-descriptor', ['EIDRM@msgsnd: -', 'EIDRM@msgrcv: -', 'EIDRM@msgctl: -', 'EINVAL@msgctl: -']],
  ['ipcqueue/sysvmq-6-interrupted', ['EINTR@msgsnd: -', 'EINTR@msgrcv: -']],
  ['ipcqueue/sysvmq-7-too-big', ['none@msgsnd: SYSV-MSGMAX SYSV-CAPACITY', 'E2BIG@msgrcv: SYSV-MSGMAX']],
  ['posix-mqueue/mq_open', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['posix-mqueue/mq_send', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR', 'EMSGSIZE@mq_receive: MQ-DEFAULT-ATTR']],
  ['posix-mqueue/mq_receive', ['EBADF@mq_receive: -']],
  ['posix-mqueue/mq_getattr', ['EBADF@mq_close: -']],
  ['posix-mqueue/mq_unlink', ['ENOENT@mq_unlink: -']],
  ['posix-mqueue/queue-full', ['ETIMEDOUT@mq_send: MQ-DEFAULT-ATTR']],
  ['posix-mqueue/queue-empty', ['ETIMEDOUT@mq_receive: -']],
  ['sysvmq/msgget', ['ENOSPC@msgget: SYSV-MSGMNI']],
  ['sysvmq/msgsnd', ['EINVAL@msgsnd: SYSV-MSGSIZE SYSV-MSGMAX']],
  ['sysvmq/msgrcv', ['E2BIG@msgrcv: SYSV-MSGMAX']],
  ['sysvmq/msgctl', ['EPERM@msgctl: SYSV-MSGMNB SYSV-OWNER']],
  ['sysvmq/buffer-size', ['none@msgsnd: SYSV-MSGMAX SYSV-CAPACITY']],
  ['runc/rlimit-msgqueue', ['EPERM@setrlimit(RLIMIT_MSGQUEUE): RUNTIME-RLIMIT-MSGQUEUE']],
  ['runc/rlimit-nofile', ['EPERM@setrlimit(RLIMIT_NOFILE): RUNTIME-RLIMIT-NOFILE']],
  ['runc/ipc-sysctl-host-ns', ['none@container sysctl: -']],
  ['crun/rlimit-msgqueue', ['EPERM@setrlimit(RLIMIT_MSGQUEUE): RUNTIME-RLIMIT-MSGQUEUE']],
  ['crun/rlimit-nofile', ['EPERM@setrlimit(RLIMIT_NOFILE): RUNTIME-RLIMIT-NOFILE']],
  ['crun/ipc-sysctl-needs-ipc-ns', ['none@container sysctl: -']],
  ['go/eperm', ['EPERM@msgctl: SYSV-MSGMNB SYSV-OWNER']],
  ['go/enoent', ['ENOENT@msgget: SYSV-KEY']],
  ['go/esrch', ['ESRCH@setrlimit(RLIMIT_MSGQUEUE): -', 'ESRCH@setrlimit(RLIMIT_NOFILE): -']],
  ['go/eintr', ['EINTR@msgrcv: -']],
  ['go/e2big', ['E2BIG@msgrcv: SYSV-MSGMAX']],
  ['go/ebadf', ['EBADF@mq_send: -']],
  ['go/eagain', ['EAGAIN@msgsnd: SYSV-CAPACITY']],
  ['go/enomem', ['ENOMEM@msgget: -']],
  ['go/eacces', ['EACCES@msgget: SYSV-KEY']],
  ['go/efault', ['EFAULT@msgsnd: -']],
  ['go/ebusy', ['EBUSY@mq_notify: -']],
  ['go/eexist', ['EEXIST@msgget: SYSV-KEY']],
  ['go/einval', ['EINVAL@msgsnd: SYSV-MSGSIZE SYSV-MSGMAX']],
  ['go/enfile', ['ENFILE@mq_open: -']],
  ['go/emfile', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['go/enospc', ['ENOSPC@msgget: SYSV-MSGMNI']],
  ['go/enametoolong', ['ENAMETOOLONG@mq_open: MQ-NAME MQ-LOOKUP']],
  ['go/enosys', ['ENOSYS@mq_open: -']],
  ['go/enomsg', ['ENOMSG@msgrcv: -']],
  ['go/eidrm', ['EIDRM@msgsnd: -']],
  ['go/eoverflow', ['EOVERFLOW@mq_open: MQ-ID-MAPPING MQ-OVERFLOW']],
  ['go/emsgsize', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR']],
  ['go/etimedout', ['ETIMEDOUT@mq_send: MQ-DEFAULT-ATTR']],
  ['node-posix-mq/eacces', ['EACCES@mq_open: MQ-LOOKUP MQ-EXISTING']],
  ['node-posix-mq/eexist', ['EEXIST@mq_open: MQ-EXISTING']],
  ['node-posix-mq/einval', ['EINVAL@mq_open: MQ-NAME MQ-ATTR', 'EINVAL@mq_send: -', 'EINVAL@mq_receive: -']],
  ['node-posix-mq/emfile', ['EMFILE@mq_open: MQ-DESCRIPTOR MQ-RLIMIT-MSGQUEUE']],
  ['node-posix-mq/enametoolong', ['ENAMETOOLONG@mq_open: MQ-NAME MQ-LOOKUP']],
  ['node-posix-mq/enfile', ['ENFILE@mq_open: -']],
  ['node-posix-mq/enoent', ['ENOENT@mq_open: MQ-NAME MQ-EXISTING']],
  ['node-posix-mq/enomem', ['ENOMEM@mq_open: MQ-RLIMIT-MSGQUEUE']],
  ['node-posix-mq/enospc', ['ENOSPC@mq_open: MQ-QUEUES-MAX']],
  ['node-posix-mq/emsgsize', ['EMSGSIZE@mq_send: MQ-DEFAULT-ATTR', 'EMSGSIZE@mq_receive: MQ-DEFAULT-ATTR']],
  ['node-posix-mq/ebadf', ['EBADF@mq_send: -', 'EBADF@mq_receive: -']],
  ['node-posix-mq/eintr', ['EINTR@mq_send: -', 'EINTR@mq_receive: -']],
] as Array<[string, string[]]>);

function expected(e: MessageEntry): string[] | undefined {
  if (BY_ID[e.id]) return BY_ID[e.id];
  if (/^(errno|glibc|nix)\//.test(e.id)) return BY_ERRNO[e.errnos[0]!];
  return undefined;
}

describe('every recognised message maps to its errno, call and checks', () => {
  it.each(MESSAGES.map((e) => [e.id, e] as const))('%s', (_id, e) => {
    const want = expected(e);
    expect(want, `no expected row for ${e.id}: add one to this table`).toBeDefined();
    expect(rows(e.example)).toEqual(want);
    // The entry itself recognised its example (not only another table's).
    expect(matchMessage(e.example)!.hits.map((h) => h.entry.id)).toContain(e.id);
  });

  it('has no expected row for a message that no longer exists', () => {
    const ids = new Set(MESSAGES.map((e) => e.id));
    expect(Object.keys(BY_ID).filter((id) => !ids.has(id))).toEqual([]);
  });
});

describe('the tables', () => {
  it('give every entry a unique id, a source and a library', () => {
    const ids = MESSAGES.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of MESSAGES) {
      expect(e.source, e.id).toMatch(/^[\w.-]+\/[\w.-]+ \S/);
      expect(e.library.length, e.id).toBeGreaterThan(0);
    }
  });

  it('map only to (errno, call) pairs the errno→checks table knows', () => {
    for (const e of MESSAGES) {
      for (const call of e.calls) {
        const known = e.errnos.filter((x) => ERRNO_CHECKS[call][x] !== undefined);
        expect(known.length, `${e.id} @ ${call}`).toBeGreaterThan(0);
      }
    }
  });

  it('keep Go\'s texts as glibc\'s in lower case, with Linux numbers', () => {
    for (const [name, number, text] of GO_ERRNO_TEXTS) {
      const row = ERRNOS.find((r) => r.name === name)!;
      expect(number, name).toBe(row.number);
      expect(text, name).toBe(row.strerror.toLowerCase());
    }
    expect(GO_ERRNO_TEXTS.map((g) => g[0]).sort()).toEqual(ERRNOS.map((e) => e.name).sort());
  });

  it('are one file per library, all in the registry', () => {
    expect(MESSAGE_TABLES.length).toBeGreaterThanOrEqual(15);
    expect(MESSAGES.length).toBe(MESSAGE_TABLES.reduce((n, t) => n + t.entries.length, 0));
  });
});
