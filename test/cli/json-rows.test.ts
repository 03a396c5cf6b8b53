// jsonWithRows: the layout of `limits --json` (every queue on a line of its own).
import { describe, expect, it } from 'vitest';
import { jsonWithRows } from '../../src/render/json-rows.js';

const text = (doc: unknown, rows: Array<readonly unknown[]>) => [...jsonWithRows(doc, new Set(rows))].join('');

describe('jsonWithRows', () => {
  const queues = [{ name: 'a', n: 1, gone: undefined }, { name: 'b\n"', n: 2, list: [1, 2] }, undefined, () => 0];
  const other: unknown[] = [];
  const doc = { schemaVersion: 2, snapshot: { queues: { ok: true, value: { queues } }, other: { list: other }, small: [1, [2, 3]] }, skipped: undefined };

  it('parses to what JSON.stringify gives', () => {
    expect(JSON.parse(text(doc, [queues, other]))).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('is JSON.stringify(doc, null, 2) outside the rows, and one compact row a line inside them', () => {
    const lines = text(doc, [queues, other]).split('\n');
    const open = lines.indexOf('        "queues": [');
    expect(open, lines.join('\n')).toBeGreaterThan(0);
    expect(lines.slice(open + 1, open + 6)).toEqual([
      '          {"name":"a","n":1},',
      '          {"name":"b\\n\\"","n":2,"list":[1,2]},',
      '          null,',
      '          null',
      '        ]',
    ]);
    expect(lines).toContain('      "list": []');
    expect(text(doc, [])).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });

  it('an array that is the whole document, or met twice', () => {
    expect(JSON.parse(text(queues, [queues]))).toEqual(JSON.parse(JSON.stringify(queues)));
    const twice = { a: queues, b: { c: queues } };
    expect(JSON.parse(text(twice, [queues]))).toEqual(JSON.parse(JSON.stringify(twice)));
  });

  it('a string that looks like its marker: the plain layout, not a wrong one', () => {
    const tricky = { note: '\u0000mq-doctor-rows:0', queues };
    expect(text(tricky, [queues])).toBe(`${JSON.stringify(tricky, null, 2)}\n`);
  });

  it('chunks of bounded size for a long array', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ({ name: `q-${i}`, uid: i }));
    const chunks = [...jsonWithRows({ many }, new Set([many]))];
    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(64 * 1024 + 200);
    expect(JSON.parse(chunks.join(''))).toEqual({ many });
  });
});
