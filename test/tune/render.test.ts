// Golden output per format for every shipped profile: review the diff when it changes.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelEra } from '../../src/model/era.js';
import { deriveSettings, RLIM_UNLIMITED } from '../../src/tune/derive.js';
import { ownerOf, parseProfile, type Profile } from '../../src/tune/profile.js';
import type { RenderInput } from '../../src/tune/render/common.js';
import { FORMATS, renderFormat } from '../../src/tune/render/index.js';
import { ok } from '../support/snapshot-builder.js';

const dir = new URL('../../profiles/', import.meta.url);
const ctx = { era: kernelEra(ok('6.18.44')), wordBits: 64 as const, queuesInUse: 2 };

function input(profile: Profile): RenderInput {
  const d = deriveSettings(profile, ctx);
  if (!d.ok) throw new Error(JSON.stringify(d.errors));
  return { profile, settings: d.settings, owner: ownerOf(profile), producer: 'mq-doctor 0.0.0-test' };
}

describe.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('%s', (file) => {
  const parsed = parseProfile(readFileSync(new URL(file, dir), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
  it.each(FORMATS)('--format %s', async (format) => {
    await expect(renderFormat(format, input(parsed.profile))).toMatchFileSnapshot(`golden/${file.replace('.json', '')}.${format}.txt`);
  });
});

describe('owners', () => {
  const base: Profile = { name: 'owned', workload: { queues: [{ maxmsg: 100, msgsize: 16384, count: 4 }], openFiles: 2000 } };
  it('limits.d names the user', () => {
    expect(renderFormat('limits', input({ ...base, owner: { user: 'app' } }))).toMatch(/^app soft msgqueue 7251200$/m);
  });
  it('the systemd drop-in lands in the service\'s .d directory', () => {
    const out = renderFormat('systemd', input({ ...base, owner: { service: 'orders.service' } }));
    expect(out).toMatch(/^# \/etc\/systemd\/system\/orders\.service\.d\/60-mq-doctor\.conf$/m);
    expect(out).toMatch(/^LimitMSGQUEUE=7251200$/m);
    expect(out).toMatch(/^LimitNOFILE=2004$/m);
  });
  it('without an owner, limits.d uses "*" and says what it matches', () => {
    expect(renderFormat('limits', input(base))).toMatch(/"\*" matches every user but root/);
  });
});

describe('RLIM_INFINITY is written as each format says "unlimited", never as a number', () => {
  const unlimited = (profile: Profile): RenderInput => {
    const i = input(profile);
    return { ...i, settings: i.settings.map((s) => (s.key === 'RLIMIT_MSGQUEUE' ? { ...s, value: RLIM_UNLIMITED } : s)) };
  };
  const base: Profile = { name: 'unlimited', workload: { queues: [{ maxmsg: 100, msgsize: 16384 }] } };
  it.each([
    ['limits', { ...base, owner: { user: 'app' } }, /^app soft msgqueue unlimited\napp hard msgqueue unlimited$/m],
    ['systemd', { ...base, owner: { service: 'app.service' } }, /^LimitMSGQUEUE=infinity$/m],
    ['docker', base, /--ulimit msgqueue=-1:-1/],
    ['compose', base, /msgqueue:\n\s+soft: -1\n\s+hard: -1/],
    ['quadlet', base, /^Ulimit=msgqueue=-1:-1$/m],
  ] as const)('%s', (format, profile, expected) => {
    const out = renderFormat(format, unlimited(profile))!;
    expect(out).toMatch(expected);
    expect(out).not.toContain(String(RLIM_UNLIMITED));
  });
});
