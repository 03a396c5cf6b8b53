// What an answer of `check --json` must be, given what the kernel then did.
import { expect } from 'vitest';

export interface KernelAnswer {
  errno: string | null;
  opened: number;
}

export interface CliAnswer {
  code: number | null;
  json: any;
}

/** With --measure: definite, and the kernel's (errno, how many opened, exit code). */
export function expectMeasuredRight(a: CliAnswer, k: KernelAnswer, count: number, why: string): void {
  const o = a.json.outcome;
  const w = `${why}\n  answer: ${JSON.stringify(o)}\n  measurement: ${JSON.stringify(a.json.measurement)}`;
  expect(o.count, w).toBe(count);
  expect(o.verdict, `--measure left it indefinite: ${JSON.stringify(o.unknowns)}\n${w}`).not.toBe('indeterminate');
  expect(o.errno, `measured errno vs kernel\n${w}`).toBe(k.errno);
  expect(o.opened, `measured opened vs kernel\n${w}`).toBe(k.opened);
  expect(o.errnoCertain, w).toBe(true);
  expect(o.certainWith, w).toBeUndefined();
  expect(a.code, `exit code\n${w}`).toBe(k.errno === null ? 0 : 1);
}

/**
 * Without --measure the model may be unsure, never certain and wrong.
 * favourable: nothing it cannot see works against the target, so its
 * "if the unknowns turn out favourable" must be the kernel's answer too.
 */
export function expectModelNeverWrong(a: CliAnswer, k: KernelAnswer, count: number, why: string, favourable = false): void {
  const o = a.json.outcome;
  const w = `${why}\n  answer: ${JSON.stringify(o)}`;
  expect(o.count, w).toBe(count);
  switch (o.verdict) {
    case 'success':
      expect(k.errno, `the model promised success\n${w}`).toBeNull();
      expect(o.opened, w).toBe(k.opened);
      expect(a.code, w).toBe(0);
      break;
    case 'failure':
      expect(k.errno, `the model promised a failure\n${w}`).not.toBeNull();
      if (o.errnoCertain) expect(o.errno, `a certain errno vs kernel\n${w}`).toBe(k.errno);
      // opened is exact when nothing is in doubt, else an upper bound.
      if (o.errnoCertain && o.certainWith === undefined) expect(o.opened, w).toBe(k.opened);
      else expect(k.opened, w).toBeLessThanOrEqual(o.opened);
      expect(a.code, w).toBe(1);
      break;
    case 'indeterminate':
      expect(a.code, w).toBe(3);
      expect(o.certainWith, `an uncertain answer says what would make it certain\n${w}`).toBeDefined();
      if (favourable) expect(o.ifUnknownsFavourable, `ifUnknownsFavourable vs kernel\n${w}`).toBe(k.errno);
      break;
    default:
      throw new Error(`verdict ${o.verdict}`);
  }
}
