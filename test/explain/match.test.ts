// How the matcher combines what the entries say: the errno in the text narrows a
// library's message, a longer errno text wins over the one inside it, the call named
// in the text restricts a bare errno, and a text that names another module's class
// is not this module's.
import { describe, expect, it } from 'vitest';
import { closestMatches, matchMessage, normalise } from '../../src/explain/match.js';

const pairs = (text: string) => matchMessage(text)?.interpretations.map((i) => `${i.errno}@${i.call}`) ?? null;

describe('matchMessage', () => {
  it.each([
    ['Too many open files in system', ['ENFILE@mq_open']],
    ['OSError: [Errno 23] Too many open files in system', ['ENFILE@mq_open']],
    ['No space left on device - Failed opening the message queue, please consult mq_open(3) (Errno::ENOSPC)', ['ENOSPC@mq_open']],
    ['Errno::EMFILE: Too many open files - Failed opening the message queue, please consult mq_open(3)', ['EMFILE@mq_open']],
    ['msgget: no space left on device', ['ENOSPC@msgget']],
    ['mq_open: no space left on device', ['ENOSPC@mq_open']],
    ['"EMFILE"', ['EMFILE@mq_open']],
    ['-24', ['EMFILE@mq_open']],
    ['  24\n', ['EMFILE@mq_open']],
    ['Too many open files (os error 24)', ['EMFILE@mq_open']],
    ['thread \'main\' panicked: called `Result::unwrap()` on an `Err` value: Os { code: 24, kind: Uncategorized, message: "Too many open files" }', ['EMFILE@mq_open']],
    ['ipcqueue.posixmq.QueueError: 4, No system resources', ['EMFILE@mq_open', 'ENFILE@mq_open', 'ENOMEM@mq_open', 'ENOSPC@mq_open']],
    ['ipcqueue.sysvmq.QueueError: 4, No system resources', ['ENOSPC@msgget', 'ENOMEM@msgget', 'ENOMEM@msgsnd']],
    ['sysv_ipc.PermissionsError: Permission denied', ['EACCES@msgget', 'EACCES@msgsnd', 'EACCES@msgctl', 'EPERM@msgctl']],
    ['posix_ipc.PermissionsError: Permission denied', ['EACCES@mq_open', 'EACCES@mq_unlink']],
    ['Invalid argument - Failed sending message to queue', ['EINVAL@msgsnd']],
    ['Resource temporarily unavailable - Failed sending message to queue (Errno::EAGAIN)', ['EAGAIN@msgsnd']],
    ['error setting rlimit type 12: invalid argument', ['EINVAL@setrlimit(RLIMIT_MSGQUEUE)']],
    ['OCI runtime create failed: error setting rlimit type 12', ['EPERM@setrlimit(RLIMIT_MSGQUEUE)', 'EINVAL@setrlimit(RLIMIT_MSGQUEUE)']],
    ['crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied', ['EPERM@setrlimit(RLIMIT_NOFILE)']],
    ['Error: crun: the sysctl `fs.mqueue.queues_max` requires a new IPC namespace: OCI runtime error', ['none@container sysctl']],
  ])('%s', (text, want) => {
    expect(pairs(text)).toEqual(want);
  });

  it('takes a failed call without an errno as every errno a check explains for it', () => {
    expect(pairs('mq_open failed')).toEqual(['EINVAL@mq_open', 'ENOENT@mq_open', 'ENAMETOOLONG@mq_open', 'EMFILE@mq_open', 'ENOMEM@mq_open', 'EACCES@mq_open', 'EEXIST@mq_open', 'ENOSPC@mq_open', 'EOVERFLOW@mq_open']);
  });

  it('reads a number inside a longer text as no errno', () => {
    expect(matchMessage('queue 24 is gone')).toBeNull();
    expect(matchMessage('Einval happened')).toBeNull();
  });

  it('says which entries matched', () => {
    const m = matchMessage('OSError: This process already has the maximum number of files open')!;
    expect(m.hits.map((h) => h.entry.id)).toEqual(['posix_ipc/mq_open-emfile']);
    expect(m.interpretations[0]!.via[0]!.entry.note).toMatch(/RLIMIT_MSGQUEUE/);
  });

  it('normalises what is pasted', () => {
    expect(normalise(`  'Too many open files'\n`)).toBe('Too many open files');
    expect(matchMessage('   ')).toBeNull();
  });
});

describe('closestMatches (fastest-levenshtein)', () => {
  it('offers the nearest known messages', async () => {
    expect(await closestMatches('EMFLIE')).toContain('EMFILE');
    expect((await closestMatches('Too many opn files'))[0]).toBe('Too many open files');
    expect(await closestMatches('QueueError: 4, No sytem resources')).toContain('ipcqueue.posixmq.QueueError: 4, No system resources');
    expect(await closestMatches('x', 5)).toHaveLength(5);
  });
});

describe('errno names', () => {
  it('in any case when the text is the name alone, upper case inside a text', () => {
    expect(pairs('emfile')).toEqual(['EMFILE@mq_open']);
    expect(pairs(' Enospc ')).toEqual(['ENOSPC@mq_open', 'ENOSPC@msgget']);
    expect(matchMessage('an emfile happened')).toBeNull();
  });
});
