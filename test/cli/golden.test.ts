// CLI output on recorded snapshots (test/fixtures/record-snapshots.sh), compared
// with reviewed golden files. A change in output shows up as a diff to review.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkArgs, fastParse } from '../../src/cli/args.js';
import { runCheckOn } from '../../src/cli/check.js';
import { limitsDocument, renderLimitsText } from '../../src/render/limits.js';
import type { Snapshot } from '../../src/snapshot.js';
import { schemaErrors, validateCheck, validateLimits } from '../support/schemas.js';

const fixture = (name: string): Snapshot =>
  JSON.parse(readFileSync(new URL(`../fixtures/snapshots/${name}.json`, import.meta.url), 'utf8'));
const golden = (name: string) => `../fixtures/golden/${name}`;

const CASES: Array<[string, string, string[], number]> = [
  // [golden name, snapshot, check argv, expected exit code]
  ['tuned-3600x16384', 'tuned-sysctls', ['--maxmsg', '3600', '--msgsize', '16384'], 1],
  ['tuned-fits', 'tuned-sysctls', ['--maxmsg', '40', '--msgsize', '16384'], 0],
  // The model alone cannot vouch for what it cannot read (pid 1 here): indeterminate, with the one command that makes it definite.
  ['container-default-attr', 'container-defaults', [], 3],
  ['container-count-5', 'container-defaults', ['--count', '5'], 1],
  ['container-3600x16384', 'container-defaults', ['--maxmsg', '3600', '--msgsize', '16384'], 1],
  ['container-existing-resized', 'container-defaults', ['--name', '/orders', '--maxmsg', '100', '--msgsize', '100'], 0],
  ['container-exclusive', 'container-defaults', ['--name', '/orders', '--exclusive'], 1],
  ['container-noslash', 'container-defaults', ['--name', 'orders'], 1],
  ['container-missing', 'container-defaults', ['--name', '/nope', '--no-create'], 1],
  ['container-zero', 'container-defaults', ['--maxmsg', '0', '--msgsize', '8192'], 1],
  ['container-over-hard-cap', 'container-defaults', ['--maxmsg', '70000', '--msgsize', '8192'], 1],
  ['host-no-mount', 'host-no-mount', ['--maxmsg', '10', '--msgsize', '8192'], 3],
  // The same container, measured: what the model could only bound, the kernel answered.
  ['container-measured-count-3', 'container-defaults-measured', ['--count', '3'], 0],
  ['container-measured-count-4', 'container-defaults-measured', ['--count', '4'], 1],
  // A rootless container created under a soft limit of 82,879 and raised to 819,200 inside.
  ['rootless-ceiling', 'rootless-ceiling', [], 3],
  ['rootless-ceiling-measured', 'rootless-ceiling-measured', [], 1],
];

describe('check on recorded snapshots', () => {
  for (const [name, snap, argv, code] of CASES) {
    it(`${name}: text`, async () => {
      const r = runCheckOn(fixture(snap), checkArgs(fastParse('check', argv)), null);
      expect(r.code).toBe(code);
      await expect(r.stdout).toMatchFileSnapshot(golden(`${name}.txt`));
    });
    it(`${name}: JSON matches the schema`, async () => {
      const r = runCheckOn(fixture(snap), checkArgs(fastParse('check', [...argv, '--json'])), null);
      const doc = JSON.parse(r.stdout);
      expect(schemaErrors(validateCheck, doc)).toBe('');
      expect(r.code).toBe(code);
      await expect(r.stdout).toMatchFileSnapshot(golden(`${name}.json`));
    });
  }
});

describe('limits on recorded snapshots', () => {
  for (const snap of ['container-defaults', 'container-defaults-measured', 'tuned-sysctls', 'host-no-mount', 'rootless-ceiling-measured']) {
    it(`${snap}: text and schema-valid JSON`, async () => {
      const s = fixture(snap);
      await expect(renderLimitsText(s)).toMatchFileSnapshot(golden(`limits-${snap}.txt`));
      expect(schemaErrors(validateLimits, limitsDocument(s))).toBe('');
    });
  }

  it('the schema rejects a magic number where an unavailable value belongs', () => {
    const s = fixture('container-defaults');
    (s.mqueue as unknown as Record<string, unknown>).msg_max = -1;
    expect(schemaErrors(validateLimits, limitsDocument(s))).not.toBe('');
  });
});
