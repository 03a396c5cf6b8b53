import { describe, expect, it } from 'vitest';
import { queueCost, queueCostBytes, structBytes } from '../../src/model/cost.js';
import { kernelEra, parseRelease } from '../../src/model/era.js';
import { groupDigits } from '../../src/model/units.js';
import { ok } from '../support/snapshot-builder.js';

const modern = kernelEra(ok('6.18.44'));
const legacy = kernelEra(ok('3.4.0'));

describe('queueCost (what RLIMIT_MSGQUEUE is charged)', () => {
  it.each([
    // maxmsg, msgsize, bytes on a 64-bit kernel ≥ 3.5
    [10, 8192, 82_880], // the default queue: 81920 + 480 + 480 (kernel-facts: measured 82880)
    [1, 128, 128 + 48 + 48],
    [3600, 16384, 3600 * 16384 + 3600 * 48 * 2],
    [32768, 1, 32768 + 32768 * 48 * 2], // tree nodes still one per message at MQ_PRIO_MAX
    [32769, 1, 32769 + 32769 * 48 + 32768 * 48], // …and capped there one message later
    [65536, 16 * 1024 * 1024, 65536 * 16777216 + 65536 * 48 + 32768 * 48],
  ])('%i × %i costs %i bytes on a 64-bit kernel', (maxmsg, msgsize, bytes) => {
    expect(queueCost(maxmsg, msgsize, modern, 64).bytes).toBe(bytes);
  });

  it('uses 24-byte structs on a 32-bit kernel', () => {
    expect(structBytes(32)).toBe(24);
    expect(queueCost(10, 8192, modern, 32).bytes).toBe(81920 + 240 + 240);
  });

  it('uses one pointer per message before 3.5', () => {
    expect(queueCost(10, 8192, legacy, 64).bytes).toBe(81920 + 80);
    expect(queueCost(10, 8192, legacy, 32).bytes).toBe(81920 + 40);
  });

  it('is not the articles\' maxmsg*(msgsize+sizeof(msg_msg)), which is 48 bytes short per message', () => {
    const article = 10 * (8192 + 48);
    expect(queueCost(10, 8192, modern, 64).bytes - article).toBe(10 * 48);
  });

  it('holds 9 default queues in the default 819200-byte budget, not 10', () => {
    const each = queueCost(10, 8192, modern, 64).bytes;
    expect(Math.floor(819_200 / each)).toBe(9);
  });

  it('charges nothing for a non-positive attr (the kernel refuses it first)', () => {
    expect(queueCost(0, 8192, modern, 64).bytes).toBe(0);
    expect(queueCost(10, -1, modern, 64).bytes).toBe(0);
  });
});

describe('kernelEra', () => {
  it.each([
    ['6.18.44-fc-v595', 'tree', false, 'EMFILE', true],
    ['4.16.0', 'tree', false, 'EMFILE', true],
    ['4.15.18', 'tree', true, 'EMFILE', true],
    ['3.5.0', 'tree', true, 'EMFILE', true],
    ['3.4.113', 'pointer', true, 'EMFILE', false], // do_create() ran mq_attr_ok before vfs_create
    ['2.6.37', 'pointer', true, 'ENOMEM', false],
  ] as const)('%s', (release, formula, einvalFirst, errno, defaults) => {
    const era = kernelEra(ok(release));
    expect(era.costFormula).toBe(formula);
    expect(era.einvalBeforeEnospc).toBe(einvalFirst);
    expect(era.rlimitErrno).toBe(errno);
    expect(era.hasDefaultSysctls).toBe(defaults);
  });

  it('assumes a current kernel, and says so, when the release is unknown', () => {
    const era = kernelEra({ ok: false, reason: 'uname failed' });
    expect(era.costFormula).toBe('tree');
    expect(era.basis).toMatch(/assumed.*uname failed/);
    expect(parseRelease('garbage')).toBeUndefined();
  });
});

describe('groupDigits', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [59328000, '59,328,000'],
    [-82880, '-82,880'],
    [1e21, '1e+21'],
  ])('%d → %s', (n, s) => expect(groupDigits(n)).toBe(s));
});

describe('queueCostBytes: the same bytes as queueCost, without the breakdown', () => {
  it.each([
    [10, 8192, 64],
    [1, 1, 64],
    [40000, 3, 64],
    [10, 8192, 32],
    [0, 10, 64],
    [5, -1, 64],
  ] as const)('%i × %i on a %i-bit kernel', (maxmsg, msgsize, bits) => {
    for (const release of ['6.18.0', '3.4.0']) {
      const era = kernelEra({ ok: true, value: release });
      expect(queueCostBytes(maxmsg, msgsize, era, bits)).toBe(queueCost(maxmsg, msgsize, era, bits).bytes);
    }
  });
});
