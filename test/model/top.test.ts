// firstK against the full sort it stands in for: the same items in the same
// order, ties kept in their input order as a stable sort keeps them.
import { describe, expect, it } from 'vitest';
import { firstK } from '../../src/model/top.js';
import { seededRandom } from '../kernel/lib/random.js';

interface Row {
  charge: number;
  at: number;
}
const byChargeDown = (a: Row, b: Row) => b.charge - a.charge;

describe('firstK', () => {
  it.each([1, 2, 3, 4, 5])('equals sort + slice on random lists with many ties (seed %i)', (seed) => {
    const r = seededRandom(seed);
    for (let round = 0; round < 200; round++) {
      const rows: Row[] = Array.from({ length: r.int(0, 400) }, (_, at) => ({ charge: r.int(0, r.pick([3, 50, 1e6])), at }));
      const k = r.pick([0, 1, 5, 20, 100, 500]);
      expect(firstK(rows, k, byChargeDown)).toEqual([...rows].sort(byChargeDown).slice(0, k));
    }
  });

  it('leaves its input as it was', () => {
    const rows = Array.from({ length: 1000 }, (_, at) => ({ charge: (at * 7919) % 1000, at }));
    const copy = rows.map((x) => ({ ...x }));
    expect(firstK(rows, 20, byChargeDown).map((x) => x.charge)).toEqual(Array.from({ length: 20 }, (_, i) => 999 - i));
    expect(rows).toEqual(copy);
  });
});
