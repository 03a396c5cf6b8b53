// The System V check registry (src/model/sysv-checks/): its order, ids, README
// sections and schema, and the per-check records predictSysv gives (passes too).
// The decisions themselves: test/model/predict-sysv.test.ts and, against the
// kernel, test/kernel/sysv-differential.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runSysvCheckOn } from '../../src/cli/check-sysv.js';
import { predictSysv } from '../../src/model/predict-sysv.js';
import { SYSV_CHECKS } from '../../src/model/sysv-checks/registry.js';
import { CHECK_IDS, SYSV_CHECK_IDS, type SysvRequest } from '../../src/model/types.js';
import { sysvCheckDocument } from '../../src/render/check-json.js';
import { na, snapshot, sysvQueue, type Overrides } from '../support/snapshot-builder.js';
import { schemaErrors, validateSysvCheck } from '../support/schemas.js';

const req = (o: Partial<SysvRequest> = {}): SysvRequest => ({ key: null, create: true, exclusive: false, mode: 0o600, msgsize: 100, qbytes: null, count: 1, ...o });
const predict = (o: Partial<SysvRequest>, s: Overrides = {}) => predictSysv(snapshot(s), req(o));
const record = (p: ReturnType<typeof predict>, id: string) => p.checks.find((c) => c.id === id);
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const schema = JSON.parse(readFileSync(new URL('../../schema/check-sysv.schema.json', import.meta.url), 'utf8'));

describe('the System V check registry', () => {
  it('every check is one file in src/model/sysv-checks and has a README section at its anchor, one to one', () => {
    for (const c of SYSV_CHECKS) {
      expect(c.doc).toBe(`README.md#${c.id.toLowerCase()}`);
      expect(readme, c.id).toMatch(new RegExp(`^#### ${c.id}$`, 'm'));
      const file = c.id.replace(/^SYSV-/, '').toLowerCase();
      expect(existsSync(new URL(`../../src/model/sysv-checks/${file}.ts`, import.meta.url)), `${c.id}: src/model/sysv-checks/${file}.ts`).toBe(true);
    }
    const headings = [...readme.matchAll(/^#### (SYSV-[A-Z-]+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(SYSV_CHECKS.map((c) => c.id));
  });

  it('the SysV headings sit in the `check --sysv` section, apart from the MQ- ones', () => {
    const sysv = readme.indexOf('### `mq-doctor check --sysv`');
    const next = readme.indexOf('\n### ', sysv + 1);
    for (const c of SYSV_CHECKS) {
      const at = readme.indexOf(`\n#### ${c.id}\n`);
      expect(at > sysv && at < next, c.id).toBe(true);
    }
  });

  it('SYSV_CHECK_IDS and the schema are the registry, in its order; CHECK_IDS stays mq_open\'s', () => {
    expect([...SYSV_CHECK_IDS]).toEqual(SYSV_CHECKS.map((c) => c.id));
    expect(schema.definitions.checkId.enum).toEqual([...SYSV_CHECK_IDS]);
    expect(CHECK_IDS.every((id) => id.startsWith('MQ-'))).toBe(true);
  });

  it('lists the calls in order: msgget, then msgctl, then msgsnd', () => {
    const calls = SYSV_CHECKS.map((c) => c.call);
    expect([...new Set(calls)]).toEqual(['msgget', 'msgctl', 'msgsnd']);
    expect(calls).toEqual([...calls].sort((a, b) => ['msgget', 'msgctl', 'msgsnd'].indexOf(a) - ['msgget', 'msgctl', 'msgsnd'].indexOf(b)));
    for (const c of SYSV_CHECKS) expect(c.kernel, c.id).toMatch(/ksys_msg(get|ctl|snd)\(\)/);
  });
});

describe('check records: every check made, passes too, with what it read', () => {
  it('a new queue: the msgget and msgsnd checks, all passing, with their readings', () => {
    const p = predict({ msgsize: 8192 }, { msgmni: 32000, sysvQueues: [sysvQueue(1, 0, 0, 16384), sysvQueue(2, 1, 0, 16384), sysvQueue(3, 2, 0, 16384)] });
    expect(p.checks.map((c) => c.id)).toEqual(['SYSV-MSGMNI', 'SYSV-MSGSIZE', 'SYSV-MSGMAX', 'SYSV-WRITE', 'SYSV-CAPACITY']);
    expect(p.checks.every((c) => c.status === 'pass' && c.errno === null)).toBe(true);
    expect(record(p, 'SYSV-MSGMNI')).toMatchObject({ detail: '3 of 32,000 queues in use', actual: 32000, needed: 4, doc: 'README.md#sysv-msgmni' });
    expect(record(p, 'SYSV-MSGMAX')).toMatchObject({ detail: '8,192-byte message within kernel.msgmax 8,192', actual: 8192, needed: 8192 });
    expect(record(p, 'SYSV-CAPACITY')).toMatchObject({ actual: 16384, needed: 8192 });
    expect(record(p, 'SYSV-CAPACITY')!.detail).toMatch(/holds 2 message\(s\) of 8,192 bytes/);
  });

  it('IPC_PRIVATE looks no key up; --qbytes adds the msgctl checks; a key adds SYSV-KEY', () => {
    expect(record(predict({}), 'SYSV-KEY')).toBeUndefined();
    expect(predict({ qbytes: 100 }).checks.map((c) => c.id)).toEqual(['SYSV-MSGMNI', 'SYSV-IPC-STAT', 'SYSV-OWNER', 'SYSV-MSGMNB', 'SYSV-MSGSIZE', 'SYSV-MSGMAX', 'SYSV-WRITE', 'SYSV-CAPACITY']);
    const q = [sysvQueue(0x10, 7, 0, 16384)];
    const p = predict({ key: 0x10 }, { sysvQueues: q });
    expect(p.checks.map((c) => c.id)).toEqual(['SYSV-KEY', 'SYSV-MSGSIZE', 'SYSV-MSGMAX', 'SYSV-WRITE', 'SYSV-CAPACITY']);
    expect(record(p, 'SYSV-KEY')!.detail).toMatch(/names queue 7/);
  });

  it('near kernel.msgmni: a WARN that still passes', () => {
    const p = predict({ count: 3 }, { msgmni: 4, sysvQueues: [sysvQueue(1, 0, 0, 16384)] });
    expect(p.outcome.verdict).toBe('success');
    expect(record(p, 'SYSV-MSGMNI')).toMatchObject({ status: 'warn', actual: 4, needed: 4 });
  });

  it('failures: the record has the errno and the limit\'s numbers; each blocker names its check', () => {
    const p = predict({ msgsize: 65536, qbytes: 1 << 20 }, { msgmni: 0 });
    expect(p.blockers.map((b) => b.id)).toEqual(['SYSV-MSGMNI', 'SYSV-MSGMNB', 'SYSV-MSGMAX']);
    expect(record(p, 'SYSV-MSGMNI')).toMatchObject({ status: 'fail', errno: 'ENOSPC', actual: 0, needed: 1 });
    expect(record(p, 'SYSV-MSGMNB')).toMatchObject({ status: 'fail', errno: 'EPERM', actual: 16384, needed: 1 << 20 });
    expect(record(p, 'SYSV-MSGMAX')).toMatchObject({ status: 'fail', errno: 'EINVAL', actual: 8192, needed: 65536 });
    expect(record(p, 'SYSV-IPC-STAT')!.status).toBe('pass');
    const failed = p.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed).toEqual(p.blockers.map((b) => b.id));
  });

  it.each([
    ['SYSV-KEY', 'EEXIST', { key: 0x10, exclusive: true }, { sysvQueues: [sysvQueue(0x10, 0, 0, 16384)] }],
    ['SYSV-KEY', 'ENOENT', { key: 0x11, create: false }, {}],
    ['SYSV-KEY', 'EACCES', { key: 0x10 }, { uid: 1000, sysvQueues: [sysvQueue(0x10, 0, 0, 16384)] }],
    ['SYSV-IPC-STAT', 'EACCES', { qbytes: 50, mode: 0o200 }, { uid: 1000 }],
    ['SYSV-OWNER', 'EPERM', { key: 0x10, qbytes: 100 }, { uid: 1000, sysAdmin: false, sysvQueues: [sysvQueue(0x10, 0, 0, 16384, { mode: 0o666 })] }],
    ['SYSV-MSGSIZE', 'EINVAL', { msgsize: -1 }, {}],
    ['SYSV-WRITE', 'EACCES', { key: 0x10, mode: 0o444 }, { uid: 1000, sysvQueues: [sysvQueue(0x10, 0, 0, 16384, { mode: 0o444 })] }],
    ['SYSV-CAPACITY', 'EAGAIN', { key: 0x10, msgsize: 100 }, { sysvQueues: [sysvQueue(0x10, 0, 0, 1000, { bytes: 950, messages: 2 })] }],
  ] as const)('%s fails with %s, and decides', (id, errno, r, s) => {
    const p = predict(r as Partial<SysvRequest>, s as Overrides);
    expect(p.outcome.errno).toBe(errno);
    expect(p.blockers[0]!.id).toBe(id);
    expect(record(p, id)).toMatchObject({ status: 'fail', errno });
    expect(schemaErrors(validateSysvCheck, JSON.parse(JSON.stringify(sysvCheckDocument(snapshot(s as Overrides), p))))).toBe('');
  });

  it('a value that cannot be read: ???? for its check, the rest still made', () => {
    const s = snapshot();
    s.sysv.msgmax = na('permission denied');
    const p = predictSysv(s, req());
    expect(record(p, 'SYSV-MSGMAX')).toMatchObject({ status: 'unknown', errno: null, detail: 'could not be told: kernel.msgmax: permission denied' });
    expect(record(p, 'SYSV-CAPACITY')!.status).toBe('pass');
    const u = predict({ key: 0x10 }, { sysvQueues: null });
    expect(record(u, 'SYSV-KEY')!.status).toBe('unknown');
  });
});

describe('check --sysv text: one line per check', () => {
  it('lists each check with its status, in order, the failed limit against what is needed', () => {
    const out = runSysvCheckOn(snapshot(), { request: req({ msgsize: 9000 }), pid: undefined, json: false }).stdout;
    expect(out).toMatch(/^Checks, in the order the kernel makes them:$/m);
    expect(out).toMatch(/^ {2}PASS {2}SYSV-MSGMNI {4}0 of 32,000 queues in use$/m);
    expect(out).toMatch(/^ {2}FAIL {2}SYSV-MSGMAX {4}kernel\.msgmax is 8,192, needs at least 9,000 {2}-> EINVAL$/m);
    const lines = out.split('\n').filter((l) => /^ {2}(PASS|WARN|FAIL|\?\?\?\?) {2}SYSV-/.test(l));
    expect(lines.map((l) => l.split(/\s+/)[2])).toEqual(['SYSV-MSGMNI', 'SYSV-MSGSIZE', 'SYSV-MSGMAX', 'SYSV-WRITE', 'SYSV-CAPACITY']);
  });
});
