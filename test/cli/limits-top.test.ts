// The report's queue section at scale: more than TOP_QUEUES queues show the largest
// by charge and what is left out; --all shows every one; the list (-o) and --json
// are always whole.
import { describe, expect, it } from 'vitest';
import { limitsArgs, fastParse } from '../../src/cli/args.js';
import { renderLimitsText, TOP_QUEUES } from '../../src/render/limits.js';
import { queue, snapshot } from '../support/snapshot-builder.js';

// 25 queues: /q01 … /q25, each one message larger than the one before.
const many = snapshot({ uid: 2000, queues: Array.from({ length: 25 }, (_, i) => queue(`q${String(i + 1).padStart(2, '0')}`, 2000, i + 1, 1024)) });
const names = (text: string) => [...text.matchAll(/^  \/(q\d\d) /gm)].map((m) => m[1]);
const cost = (m: number) => m * 1024 + m * 48 + m * 48;

describe('limits: the queue section', () => {
  it(`more than ${TOP_QUEUES}: the ${TOP_QUEUES} largest, largest first, and how many are left out with their charge`, () => {
    const text = renderLimitsText(many, { isRoot: false });
    expect(names(text)).toEqual(Array.from({ length: 20 }, (_, i) => `q${String(25 - i).padStart(2, '0')}`));
    expect(text).toMatch(/^Queues in .*: the 20 largest by charge of 25$/m);
    const rest = [1, 2, 3, 4, 5].reduce((n, m) => n + cost(m), 0);
    expect(text).toContain(`  … and 5 more, charged ${rest.toLocaleString('en-US')} bytes together: mq-doctor limits --all, or the list alone: mq-doctor limits -o NAME,UID,CHARGED\n`);
    // The per-uid total still counts every queue.
    const all = Array.from({ length: 25 }, (_, i) => cost(i + 1)).reduce((a, b) => a + b, 0);
    expect(text).toContain(`uid 2000 (target): 25 queues, charged ${all.toLocaleString('en-US')} bytes`);
  });

  it('--all: every queue, in the listing\'s (name) order', () => {
    const text = renderLimitsText(many, { isRoot: false, all: limitsArgs(fastParse('limits', ['--all'])).all });
    expect(names(text)).toEqual(Array.from({ length: 25 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`));
    expect(text).not.toContain('… and');
  });

  it(`${TOP_QUEUES} or fewer: all of them, in the listing's (name) order, as before`, () => {
    const few = snapshot({ uid: 2000, queues: [queue('q01', 2000, 1, 128), queue('q02', 2000, 5, 128)] });
    const text = renderLimitsText(few, { isRoot: false });
    expect(names(text)).toEqual(['q01', 'q02']);
    expect(text).not.toContain('largest by charge');
  });
});
