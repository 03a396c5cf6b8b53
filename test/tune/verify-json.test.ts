// verify --json against schema/verify.schema.json: real outputs of the built CLI
// (met, drifting, nothing configured, several owners, a service) validate, and
// documents that break the schema's rules are rejected.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { schemaErrors, validateVerify } from '../support/schemas.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function root(files: Record<string, string> = {}): string {
  const r = mkdtempSync(join(tmpdir(), 'mqd-verify-json-'));
  temps.push(r);
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(r, p)), { recursive: true });
    writeFileSync(join(r, p), c);
  }
  return r;
}
const profiles = root();
const profile = (name: string, body: object) => {
  const p = join(profiles, `${name}.json`);
  writeFileSync(p, JSON.stringify({ name, ...body }));
  return p;
};
const P = profile('p', { workload: { queues: [{ maxmsg: 100, msgsize: 16384 }], headroomPercent: 0 } });
const Q = profile('q', { workload: { queues: [{ maxmsg: 10, msgsize: 8192, count: 30 }], openFiles: 5000, headroomPercent: 0 } });

interface Doc {
  ok: boolean;
  drift: boolean;
  owner: object;
  rows: Array<Record<string, unknown> & { key: string; kind: string; status: string; sources: string[] }>;
}
function verify(args: string[]): Doc {
  const r = runCli(['verify', ...args, '--json']);
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as Doc;
  expect(schemaErrors(validateVerify, doc)).toBe('');
  // The exit code says what the document says.
  expect(r.code).toBe(doc.ok ? 0 : 1);
  expect(doc.drift).toBe(!doc.ok);
  return doc;
}
const apply = (args: string[]) => expect(runCli(['apply', ...args]).code).toBe(0);
const byKey = (d: Doc) => Object.fromEntries(d.rows.map((r) => [r.key, r]));

describe('verify --json validates against schema/verify.schema.json', () => {
  it('nothing configured: drift, every row without a source', () => {
    const d = verify(['--profile', P, '--user', 'alice', '--root', root()]);
    expect(d).toMatchObject({ ok: false, owner: { kind: 'user', user: 'alice' } });
    expect(d.rows.map((r) => [r.key, r.kind, r.status])).toEqual([
      ['fs.mqueue.msg_max', 'sysctl', 'drift'],
      ['fs.mqueue.msgsize_max', 'sysctl', 'drift'],
      ['RLIMIT_MSGQUEUE', 'rlimit', 'drift'],
    ]);
    for (const r of d.rows) expect(r).toMatchObject({ configured: null, sources: [] });
    expect(byKey(d).RLIMIT_MSGQUEUE).toMatchObject({ live: null, configuredHard: null });
  });

  it('after apply: ok; a row above the need is "higher"; a value that is not an integer is drift with its file named', () => {
    const r = root();
    apply(['--profile', P, '--user', 'alice', '--root', r]);
    const ok = verify(['--profile', P, '--user', 'alice', '--root', r]);
    expect(ok.ok).toBe(true);
    expect(byKey(ok)['fs.mqueue.msg_max']).toMatchObject({ status: 'ok', configured: 100, sources: ['/etc/sysctl.d/60-mq-doctor.conf'] });
    expect(byKey(ok).RLIMIT_MSGQUEUE!.sources).toEqual([
      '/etc/security/limits.d/60-mq-doctor.conf:10',
      '/etc/security/limits.d/60-mq-doctor.conf:11',
    ]);
    writeFileSync(join(r, 'etc/sysctl.d/90-site.conf'), 'fs.mqueue.msg_max = 5000\nfs.mqueue.msgsize_max = lots\n');
    const mixed = verify(['--profile', P, '--user', 'alice', '--root', r]);
    expect(mixed.ok).toBe(false);
    expect(byKey(mixed)['fs.mqueue.msg_max']).toMatchObject({ status: 'higher', configured: 5000, sources: ['/etc/sysctl.d/90-site.conf'] });
    expect(byKey(mixed)['fs.mqueue.msgsize_max']).toMatchObject({ status: 'drift', configured: null, source: '/etc/sysctl.d/90-site.conf (not an integer)' });
  });

  it('several owners in one limits.d file; one of them with its lines removed; "unlimited" and a "-" line', () => {
    const r = root({ '/etc/security/limits.conf': 'carol - msgqueue unlimited\ncarol - nofile 65536\n' });
    apply(['--profile', Q, '--user', 'alice', '--root', r]);
    apply(['--profile', Q, '--user', 'bob', '--root', r]);
    for (const who of ['alice', 'bob']) expect(verify(['--profile', Q, '--user', who, '--root', r]).ok).toBe(true);
    const carol = verify(['--profile', Q, '--user', 'carol', '--root', r]);
    expect(byKey(carol).RLIMIT_MSGQUEUE).toMatchObject({ status: 'higher', configured: 'unlimited', configuredHard: 'unlimited', sources: ['/etc/security/limits.conf:1'] });
    expect(byKey(carol).RLIMIT_NOFILE).toMatchObject({ status: 'higher', configured: 65536, sources: ['/etc/security/limits.conf:2'] });
    // bob's block removed by hand: his rows drift with nothing configured, alice's stay met.
    const file = join(r, 'etc/security/limits.d/60-mq-doctor.conf');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n# --- limits for bob ---\n[\s\S]*$/, '\n'));
    const bob = verify(['--profile', Q, '--user', 'bob', '--root', r]);
    expect(bob.ok).toBe(false);
    expect(bob.rows.map((x) => [x.status, x.configured, x.sources])).toEqual([
      ['drift', null, []],
      ['drift', null, []],
    ]);
    expect(verify(['--profile', Q, '--user', 'alice', '--root', r]).ok).toBe(true);
  });

  it('a service: the unit and its drop-ins, soft:hard apart', () => {
    const r = root({ '/etc/systemd/system/app.service': '[Service]\nExecStart=/bin/true\nLimitNOFILE=100:100000\n' });
    const before = verify(['--profile', Q, '--service', 'app', '--root', r]);
    expect(before.owner).toEqual({ kind: 'service', service: 'app.service' });
    expect(byKey(before).RLIMIT_NOFILE).toMatchObject({ status: 'drift', configured: 100, configuredHard: 100000, sources: ['/etc/systemd/system/app.service:3'] });
    apply(['--profile', Q, '--service', 'app', '--root', r]);
    expect(verify(['--profile', Q, '--service', 'app', '--root', r]).ok).toBe(true);
  });
});

describe('the schema rejects what verify never prints', () => {
  let good: Doc;
  beforeAll(() => {
    const r = root();
    apply(['--profile', P, '--user', 'alice', '--root', r]);
    good = JSON.parse(runCli(['verify', '--profile', P, '--user', 'alice', '--root', r, '--json']).stdout) as Doc;
  });
  const variants: Array<[string, (d: Doc) => void]> = [
    ['an unknown top-level field', (d) => Object.assign(d, { extra: 1 })],
    ['an unknown row field', (d) => Object.assign(d.rows[0]!, { extra: 1 })],
    ['ok and drift both true', (d) => Object.assign(d, { drift: true })],
    ['ok although a row drifts', (d) => Object.assign(d.rows[0]!, { status: 'drift' })],
    ['not ok although no row drifts', (d) => Object.assign(d, { ok: false, drift: true })],
    ['an unknown status', (d) => Object.assign(d.rows[0]!, { status: 'fine' })],
    ['a sysctl row that calls itself an rlimit', (d) => Object.assign(d.rows[0]!, { kind: 'rlimit' })],
    ['an rlimit that is met with nothing configured', (d) => Object.assign(d.rows[2]!, { configured: null })],
    ['an rlimit source without a line number', (d) => Object.assign(d.rows[2]!, { sources: ['/etc/security/limits.conf'] })],
    ['a relative root', (d) => Object.assign(d, { root: 'tmp/x' })],
    ['a negative expected value', (d) => Object.assign(d.rows[0]!, { expected: -1 })],
    ['another schema version', (d) => Object.assign(d, { schemaVersion: 2 })],
    ['no rows', (d) => delete (d as Partial<Doc>).rows],
    ['an owner with a user and a service', (d) => Object.assign(d, { owner: { kind: 'user', user: 'alice', service: 'a.service' } })],
  ];
  it('the document they start from is valid', () => {
    expect(schemaErrors(validateVerify, good)).toBe('');
    expect(good.rows.map((x) => x.kind)).toEqual(['sysctl', 'sysctl', 'rlimit']);
  });
  it.each(variants)('%s', (_what, mutate) => {
    const d = structuredClone(good);
    mutate(d);
    expect(validateVerify(d)).toBe(false);
  });
});
