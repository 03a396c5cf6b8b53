// The checks `explain` runs, on built snapshots: each (errno, call) gets its checks'
// verdicts with the value in force and the value needed, from the model's own
// predictions, and the document it prints is schema-valid.
import { describe, expect, it } from 'vitest';
import { matchMessage } from '../../src/explain/match.js';
import { explainDocument } from '../../src/explain/render.js';
import { explainAll, type ExplainRequest, mqOpenCheckState, Runner } from '../../src/explain/run-checks.js';
import { predictMqOpen } from '../../src/model/predict-mq-open.js';
import type { Snapshot } from '../../src/snapshot.js';
import { schemaErrors, validateExplain } from '../support/schemas.js';
import { queue, snapshot, sysvQueue } from '../support/snapshot-builder.js';

const UID = 250_000;
const REQ: ExplainRequest = { attr: null, name: null, count: 1, msgsize: null, key: null, qbytes: null, pid: undefined, measure: false };

function explain(snap: Snapshot, text: string, req: Partial<ExplainRequest> = {}) {
  const m = matchMessage(text)!;
  const request = { ...REQ, ...req };
  const errnos = explainAll(new Runner(snap, request), m.interpretations);
  const doc = explainDocument(m, request, snap, errnos, []);
  expect(schemaErrors(validateExplain, doc)).toBe('');
  const check = (call: string, id: string) => doc.errnos.flatMap((e) => e.calls).find((c) => c.call === call)!.checks.find((k) => k.id === id)!;
  return { doc, check };
}

describe('explain on a snapshot', () => {
  it('ENOSPC: queues_max reached, for an uid without CAP_SYS_RESOURCE', () => {
    const snap = snapshot({ uid: UID, queues_max: 1, queues: [queue('held', 0, 1, 128)] });
    const { doc, check } = explain(snap, 'ENOSPC');
    expect(check('mq_open', 'MQ-QUEUES-MAX')).toMatchObject({ status: 'fails', errno: 'ENOSPC', values: [{ limit: 'fs.mqueue.queues_max', actual: 1, needed: 2 }] });
    expect(check('mq_open', 'MQ-QUEUES-MAX').fix).toMatch(/queues_max/);
    expect(check('msgget', 'SYSV-MSGMNI')).toMatchObject({ status: 'passes', values: [{ limit: 'kernel.msgmni', actual: 32000, needed: 1 }] });
    expect(doc.verdict).toBe('cause-here');
    const run = doc.errnos[0]!.calls[0]!.runs[0]!;
    expect(run).toMatchObject({ call: 'mq_open', verdict: 'failure', errno: 'ENOSPC', command: 'mq-doctor check' });
  });

  it('EMFILE: both kinds, descriptors and queue memory', () => {
    const snap = snapshot({ uid: UID, nofileSoft: 3, fds: [0, 1, 2], soft: 82_879, hard: 819_200 });
    const { check } = explain(snap, 'OSError: This process already has the maximum number of files open');
    expect(check('mq_open', 'MQ-DESCRIPTOR')).toMatchObject({ status: 'fails', errno: 'EMFILE', values: [{ limit: 'RLIMIT_NOFILE', actual: 3, needed: 4 }] });
    expect(check('mq_open', 'MQ-RLIMIT-MSGQUEUE')).toMatchObject({ status: 'fails', errno: 'EMFILE', values: [{ limit: 'RLIMIT_MSGQUEUE', actual: 82_879, needed: 82_880 }] });
  });

  it('EMFILE with room for both', () => {
    const snap = snapshot({ uid: UID });
    const { doc, check } = explain(snap, 'Too many open files (os error 24)', { attr: { maxmsg: 10, msgsize: 8192 } });
    expect(check('mq_open', 'MQ-DESCRIPTOR').status).toBe('passes');
    expect(check('mq_open', 'MQ-RLIMIT-MSGQUEUE').status).toBe('passes');
    expect(doc.verdict).toBe('none-here');
    expect(doc.errnos[0]!.calls[0]!.runs[0]!.command).toBe('mq-doctor check --maxmsg 10 --msgsize 8192');
  });

  it('EEXIST and ENOENT run the request that gives them (O_EXCL, no O_CREAT), and need --name', () => {
    const snap = snapshot({ uid: UID, queues: [queue('orders', UID, 10, 8192)] });
    expect(explain(snap, 'EEXIST').check('mq_open', 'MQ-EXISTING')).toMatchObject({ status: 'not-run' });
    const e = explain(snap, 'EEXIST', { name: '/orders' });
    expect(e.check('mq_open', 'MQ-EXISTING')).toMatchObject({ status: 'fails', errno: 'EEXIST' });
    expect(e.doc.errnos[0]!.calls[0]!.runs[0]!.command).toBe('mq-doctor check --name /orders --exclusive');
    const missing = explain(snap, 'No queue exists with the specified name', { name: '/other' });
    expect(missing.check('mq_open', 'MQ-EXISTING')).toMatchObject({ status: 'fails', errno: 'ENOENT' });
    expect(missing.doc.errnos[0]!.calls[0]!.runs).toContainEqual({ call: 'mq_open', verdict: 'failure', errno: 'ENOENT', command: 'mq-doctor check --name /other --no-create' });
  });

  it('EINVAL: the attr over msg_max', () => {
    const snap = snapshot({ uid: UID });
    const { check } = explain(snap, 'ValueError: Invalid parameter(s)', { attr: { maxmsg: 100, msgsize: 8192 } });
    expect(check('mq_open', 'MQ-ATTR')).toMatchObject({ status: 'fails', errno: 'EINVAL', values: [{ limit: 'fs.mqueue.msg_max', actual: 10, needed: 100 }] });
    expect(check('mq_open', 'MQ-NAME').status).toBe('not-run');
  });

  it('EMSGSIZE: the attr a queue gets, as context', () => {
    const snap = snapshot({ uid: UID, msgsize_default: 1024, queues: [queue('q', UID, 5, 512)] });
    const { doc, check } = explain(snap, 'ipcqueue.posixmq.QueueError: 7, Data is too big', { name: '/q' });
    expect(check('mq_send', 'MQ-DEFAULT-ATTR')).toMatchObject({ status: 'info', values: [{ actual: 10 }, { actual: 1024 }] });
    expect(check('mq_send', 'MQ-DEFAULT-ATTR').detail).toMatch(/\/q was created with mq_maxmsg 5 × mq_msgsize 512/);
    expect(doc.verdict).toBe('no-checks');
  });

  it('System V: msgsnd over kernel.msgmax, msgctl(IPC_SET) over kernel.msgmnb', () => {
    const snap = snapshot({ uid: UID, msgmax: 8192, msgmnb: 16384, sysvQueues: [sysvQueue(0x1234, 7, UID, 16384)] });
    const big = explain(snap, 'Invalid argument - Failed sending message to queue', { msgsize: 65536 });
    expect(big.check('msgsnd', 'SYSV-MSGMAX')).toMatchObject({ status: 'fails', errno: 'EINVAL', values: [{ limit: 'kernel.msgmax', actual: 8192, needed: 65536 }] });
    expect(big.doc.errnos[0]!.calls[0]!.runs[0]!.command).toBe('mq-doctor check --sysv --msgsize 65536');
    const small = explain(snap, 'Invalid argument - Failed sending message to queue');
    expect(small.check('msgsnd', 'SYSV-MSGMAX')).toMatchObject({ status: 'passes', values: [{ actual: 8192, needed: 8192 }] });
    const perm = explain(snap, 'Operation not permitted - Failed executing msgctl(2) command. (Errno::EPERM)', { key: 0x1234, qbytes: 1 << 20 });
    expect(perm.check('msgctl', 'SYSV-MSGMNB')).toMatchObject({ status: 'fails', errno: 'EPERM', values: [{ actual: 16384, needed: 1 << 20 }] });
    expect(perm.check('msgctl', 'SYSV-OWNER').status).toBe('passes');
  });

  it("runc's rlimit type 12: the hard limit a runtime started here inherits", () => {
    const snap = snapshot({ uid: UID, soft: 819_200, hard: 819_200 });
    const text = 'error setting rlimits for ready process: error setting rlimit type 12: operation not permitted';
    const none = explain(snap, text);
    expect(none.check('setrlimit(RLIMIT_MSGQUEUE)', 'RUNTIME-RLIMIT-MSGQUEUE')).toMatchObject({ status: 'unknown', values: [{ actual: 819_200, needed: null }] });
    const big = explain(snap, text, { attr: { maxmsg: 3600, msgsize: 16384 } });
    const v = big.check('setrlimit(RLIMIT_MSGQUEUE)', 'RUNTIME-RLIMIT-MSGQUEUE');
    expect(v).toMatchObject({ status: 'fails', values: [{ actual: 819_200, needed: 59_328_000 }] });
    expect(v.detail).toMatch(/LimitMSGQUEUE=/);
    const root = explain(snapshot({ uid: 0, sysResource: true }), text, { attr: { maxmsg: 3600, msgsize: 16384 } });
    expect(root.check('setrlimit(RLIMIT_MSGQUEUE)', 'RUNTIME-RLIMIT-MSGQUEUE').status).toBe('passes');
  });
});
