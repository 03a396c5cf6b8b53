// The --measure search against a model of the kernel's accounting (levels with
// their limits, what each level already holds), over budgets the real-kernel
// tests cannot reach: huge soft limits, tiny msg_max, ceilings anywhere. The
// real helper is tested against the real kernel in test/kernel.
import { describe, expect, it } from 'vitest';
import { MAX_PROBES, searchBudget } from '../../src/probe/measure.js';
import { seededRandom } from '../kernel/lib/random.js';

interface FakeKernel {
  /** Level 0: the helper's soft limit (settable) and the charge there. */
  charged0: number;
  /** Each level above: its ceiling and its charge. */
  above: Array<{ ceiling: number; charged: number }>;
  msgMax: number;
  msgsizeMax: number;
}

const SB = 48;
const cost = (m: number, s: number) => m * s + m * SB + Math.min(m, 32768) * SB;

/** Answers the helper's protocol as the kernel would (measure.cc: info, soft, open, release). */
function fake(k: FakeKernel, initialSoft: number | 'unlimited') {
  let soft = initialSoft;
  const held: number[] = [];
  const heldSum = () => held.reduce((a, b) => a + b, 0);
  return {
    measureCall(_w: number, _r: number, op: number, a: number, b: number) {
      const ok = (x = 0, y = 0, err: string | null = null) => ({ ok: true as const, err, x, y });
      switch (op) {
        case 1:
          return ok(k.msgMax, k.msgsizeMax);
        case 2:
          soft = a < 0 ? 'unlimited' : a;
          return ok();
        case 3: {
          if (a > k.msgMax || b > k.msgsizeMax || a < 1 || b < 1) return ok(0, 0, 'EINVAL');
          const c = cost(a, b);
          const fits0 = soft === 'unlimited' || k.charged0 + heldSum() + c <= soft;
          const fitsUp = k.above.every((l) => l.charged + heldSum() + c <= l.ceiling);
          if (!fits0 || !fitsUp) return ok(0, 0, 'EMFILE');
          held.push(c);
          return ok(100 + held.length, held.length);
        }
        case 4: {
          const n = a === 0 ? held.length : Math.min(a, held.length);
          held.splice(held.length - n, n);
          return ok(n);
        }
        default:
          return ok(0, 0, 'EINVAL');
      }
    },
    held: () => held.length,
  };
}

/** What the kernel would allow, at every level at once. */
function truth(k: FakeKernel, soft: number | 'unlimited'): number {
  const rooms = [soft === 'unlimited' ? Infinity : soft - k.charged0, ...k.above.map((l) => l.ceiling - l.charged)];
  return Math.max(0, Math.min(...rooms));
}

function check(k: FakeKernel, soft: number | 'unlimited', hint?: number) {
  const f = fake(k, soft);
  const r = searchBudget(f, { wfd: 0, rfd: 0 }, SB, soft, true, hint);
  const t = truth(k, soft);
  expect(r.probes).toBeLessThanOrEqual(MAX_PROBES);
  expect(f.held(), 'everything released').toBe(0);
  // Never a wrong bound: the truth lies within what was found.
  expect(r.remaining.min).toBeLessThanOrEqual(t);
  if (r.remaining.max !== null) expect(r.remaining.max).toBeGreaterThanOrEqual(t);
  return { r, t };
}

describe('--measure: the search finds what the kernel allows', () => {
  it('exactly, for the usual budgets, with the model\'s hint in a few probes', () => {
    const k: FakeKernel = { charged0: 88_480, above: [], msgMax: 65_536, msgsizeMax: 16_777_216 };
    const { r } = check(k, 400_000, 88_480);
    expect(r.remaining).toEqual({ min: 311_520, max: 311_520 });
    expect(r.own).toEqual({ ok: true, value: { min: 88_480, max: 88_480 } });
    expect(r.probes).toBeLessThanOrEqual(5);
    // A wrong hint costs a bisection, never a wrong answer.
    const wrong = check(k, 400_000, 1_000).r;
    expect(wrong.remaining).toEqual({ min: 311_520, max: 311_520 });
    expect(wrong.own).toEqual({ ok: true, value: { min: 88_480, max: 88_480 } });
  });

  it('a ceiling above shows in what remains, not in the charge at the own level', () => {
    const k: FakeKernel = { charged0: 0, above: [{ ceiling: 82_879, charged: 0 }], msgMax: 65_536, msgsizeMax: 16_777_216 };
    const { r } = check(k, 819_200, 0);
    expect(r.remaining).toEqual({ min: 82_879, max: 82_879 });
    expect(r.own).toEqual({ ok: true, value: { min: 0, max: 0 } });
  });

  it('budgets beyond the largest single queue: held and measured on', () => {
    const k: FakeKernel = { charged0: 12_345, above: [], msgMax: 65_536, msgsizeMax: 16_777_216 };
    const soft = 4_000_000_000;
    const { r, t } = check(k, soft, 12_345);
    expect(r.remaining).toEqual({ min: t, max: t });
    // The right hint confirms every step in two probes.
    expect(r.probes).toBeLessThanOrEqual(12);
    // Without one, still within the budget: 783 MB of soft limit, 612 MB charged.
    const bisected = check({ ...k, charged0: 611_846_294 }, 783_690_540, undefined).r;
    expect(bisected.remaining).toEqual({ min: 783_690_540 - 611_846_294, max: 783_690_540 - 611_846_294 });
  });

  it('in a namespace it may not resize (msg_max 10, msgsize_max 8192): bounded by the probe budget, never wrong', () => {
    const small: FakeKernel = { charged0: 0, above: [], msgMax: 10, msgsizeMax: 8192 };
    expect(check(small, 819_200, 0).r.remaining).toEqual({ min: 819_200, max: 819_200 });
    // 65 MB in 82,880-byte steps is more than 63 probes: a lower bound, said as such.
    const big = check(small, 65_000_000, 0).r.remaining;
    expect(big.max).toBeNull();
    expect(big.min).toBeGreaterThan(0);
  });

  it('an unlimited soft limit: only the levels above bound it', () => {
    const k: FakeKernel = { charged0: 0, above: [{ ceiling: 500_000, charged: 123 }], msgMax: 65_536, msgsizeMax: 16_777_216 };
    const { r } = check(k, 'unlimited');
    expect(r.own.ok).toBe(false);
    expect(r.remaining).toEqual({ min: 500_000 - 123, max: 500_000 - 123 });
  });

  it('less than one minimal queue left: below 97 bytes, which no queue fits', () => {
    const k: FakeKernel = { charged0: 819_200 - 50, above: [], msgMax: 65_536, msgsizeMax: 16_777_216 };
    const { r } = check(k, 819_200, 819_200 - 50);
    expect(r.remaining.max).toBeLessThan(97);
  });

  it('a random sweep: exact whenever what is left is at least a minimal queue, and within 63 probes', () => {
    const { int, pick } = seededRandom(20261202);
    for (let i = 0; i < 400; i++) {
      const msgMax = pick([10, 1000, 65_536]);
      const msgsizeMax = pick([8192, 1 << 20, 16_777_216]);
      const soft = pick([int(97, 819_200), 819_200, int(1, 1 << 30)]);
      const charged0 = int(0, Math.max(0, soft - 1));
      const above = Array.from({ length: int(0, 2) }, () => {
        const charged = int(charged0, charged0 + 200_000);
        return { charged, ceiling: charged + int(0, 1_000_000) };
      });
      const k = { charged0, above, msgMax, msgsizeMax };
      const { r, t } = check(k, soft, pick([charged0, undefined, int(0, soft)]));
      const why = JSON.stringify({ k, soft, r });
      // A resizable namespace and a budget a few queues cover: always exact.
      if (t >= 97 && msgsizeMax >= 1 << 20 && t <= 4 * cost(msgMax, msgsizeMax)) expect(r.remaining, why).toEqual({ min: t, max: t });
      else if (t >= 97 && r.remaining.max !== null) expect(r.remaining, why).toEqual({ min: t, max: t });
    }
  });
});
