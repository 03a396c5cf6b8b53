import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelEra } from '../../src/model/era.js';
import { deriveSettings, memoryWarning, type DeriveContext } from '../../src/tune/derive.js';
import { type Profile, parseProfile } from '../../src/tune/profile.js';
import { ok } from '../support/snapshot-builder.js';

const ctx: DeriveContext = { era: kernelEra(ok('6.18.44')), wordBits: 64, queuesInUse: 3 };
const derive = (p: Omit<Profile, 'name'>, c = ctx) => deriveSettings({ name: 't', ...p }, c);
const values = (p: Omit<Profile, 'name'>, c = ctx) => {
  const d = derive(p, c);
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  return Object.fromEntries(d.settings.map((s) => [s.key, s.value]));
};

describe('deriveSettings', () => {
  it('derives each limit from the workload, with the exact cost plus headroom', () => {
    expect(values({ workload: { queues: [{ maxmsg: 3600, msgsize: 16384 }], headroomPercent: 10 } })).toEqual({
      'fs.mqueue.msg_max': 3600,
      'fs.mqueue.msgsize_max': 16384,
      RLIMIT_MSGQUEUE: 65_260_800, // 59,328,000 × 1.10, exactly
    });
  });
  it('counts queues already in use toward queues_max', () => {
    const v = values({ workload: { queues: [{ maxmsg: 10, msgsize: 128, count: 400 }], headroomPercent: 0 } });
    expect(v['fs.mqueue.queues_max']).toBe(403);
    expect(v.RLIMIT_MSGQUEUE).toBe(400 * (1280 + 960));
  });
  it('says so when queues in use are unknown', () => {
    const d = derive({ workload: { queues: [{ maxmsg: 10, msgsize: 128, count: 300 }] } }, { ...ctx, queuesInUse: null });
    expect(d.ok && d.notes.join(' ')).toMatch(/unknown/);
  });
  it('emits nothing the defaults already cover (it would lower them)', () => {
    const d = derive({ workload: { queues: [{ maxmsg: 10, msgsize: 8192 }] } });
    expect(d.ok && d.settings).toEqual([]);
    expect(d.ok && d.notes.join('\n')).toMatch(/RLIMIT_MSGQUEUE: the default 819,200 already covers 91,168/);
  });
  it('raises msgsize_max to at least the kernel minimum of 128', () => {
    expect(values({ workload: { queues: [{ maxmsg: 11, msgsize: 1 }] } })['fs.mqueue.msg_max']).toBe(11);
  });
  it('sums several queue kinds and adds descriptors', () => {
    const v = values({
      workload: { queues: [{ maxmsg: 1024, msgsize: 8192, count: 64 }, { maxmsg: 256, msgsize: 65536, count: 4 }], openFiles: 8192, headroomPercent: 0 },
    });
    expect(v.RLIMIT_MSGQUEUE).toBe(64 * (1024 * 8192 + 1024 * 96) + 4 * (256 * 65536 + 256 * 96));
    expect(v.RLIMIT_NOFILE).toBe(8192 + 68);
    expect(v['fs.mqueue.msgsize_max']).toBe(65536);
  });
  it('derives System V settings; one largest message must fit a queue', () => {
    expect(values({ workload: { sysv: { maxMessageBytes: 65536 } } })).toEqual({ 'kernel.msgmax': 65536, 'kernel.msgmnb': 65536 });
  });
  it.each([
    [{ workload: { queues: [{ maxmsg: 70000, msgsize: 128 }] } }, '/workload/queues/0/maxmsg', /HARD_MSGMAX = 65,536/],
    [{ workload: { queues: [{ maxmsg: 1, msgsize: 16777217 }] } }, '/workload/queues/0/msgsize', /HARD_MSGSIZEMAX/],
    [{ workload: { sysv: { queues: 40000 } } }, '/workload/sysv/queues', /32,768/],
    [{ workload: { queues: [{ maxmsg: 3600, msgsize: 128 }] }, settings: { 'fs.mqueue.msg_max': 100 } }, '/settings/fs.mqueue.msg_max', /below what the workload needs: 3,600/],
  ])('refuses an impossible profile, naming the kernel cap (%#)', (p, pointer, message) => {
    const d = derive(p as Omit<Profile, 'name'>);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.errors[0]).toMatchObject({ pointer, message: expect.stringMatching(message) });
  });
  it('keeps explicit settings that exceed the need', () => {
    expect(values({ settings: { 'fs.mqueue.queues_max': 1024, RLIMIT_MSGQUEUE: 1 } })).toEqual({ 'fs.mqueue.queues_max': 1024, RLIMIT_MSGQUEUE: 1 });
  });
  it('warns when one uid could pin a large share of RAM', () => {
    const d = derive({ workload: { queues: [{ maxmsg: 65536, msgsize: 16384, count: 2 }] } });
    expect(d.ok && memoryWarning(d.settings, 8 * 2 ** 30)).toMatch(/pin 2\d% of this machine/);
    expect(d.ok && memoryWarning(d.settings, 64 * 2 ** 40)).toBeNull();
  });
});

describe('profiles', () => {
  const dir = new URL('../../profiles/', import.meta.url);
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('shipped profile %s is valid and derivable', (file) => {
    const r = parseProfile(readFileSync(new URL(file, dir), 'utf8'));
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(r.ok && deriveSettings(r.profile, ctx).ok).toBe(true);
  });
  it.each([
    ['{', '', /not valid JSON/],
    ['{"workload":{}}', '/', /must have required property 'name'/],
    ['{"name":"x"}', '/', /anyOf/],
    ['{"name":"x","workload":{"queues":[{"maxmsg":"10","msgsize":1}]}}', '/workload/queues/0/maxmsg', /must be integer \(rule: type\)/],
    ['{"name":"x","settings":{"fs.mqueue.msg_max":70000}}', '/settings/fs.mqueue.msg_max', /<= 65536 \(rule: maximum\)/],
    ['{"name":"x","settings":{"fs.mqueue.msgsize_max":64}}', '/settings/fs.mqueue.msgsize_max', />= 128 \(rule: minimum\)/],
    ['{"name":"x","owner":{"service":"app"},"settings":{"RLIMIT_NOFILE":5}}', '/owner/service', /pattern/],
    ['{"name":"x","settings":{"fs.mqueue.msgmax":5}}', '/settings', /additional properties "fs.mqueue.msgmax"/],
  ])('rejects %s at %s', (text, pointer, message) => {
    const r = parseProfile(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toContainEqual({ pointer, message: expect.stringMatching(message) });
  });
});

describe('deriveContext', () => {
  it("does not count the profile's own named queues as already in use", async () => {
    const { deriveContext } = await import('../../src/cli/profile-input.js');
    const { snapshot, queue } = await import('../support/snapshot-builder.js');
    const snap = snapshot({ queues: [queue('orders', 0, 10, 128), queue('other', 0, 10, 128)] });
    expect(deriveContext(snap, { name: 'p', workload: { queues: [{ name: '/orders', maxmsg: 10, msgsize: 128 }] } }).queuesInUse).toBe(1);
    expect(deriveContext(snap, { name: 'p', workload: { queues: [{ maxmsg: 10, msgsize: 128 }] } }).queuesInUse).toBe(2);
    expect(deriveContext(snapshot({ queues: null }), { name: 'p' }).queuesInUse).toBeNull();
  });
});
