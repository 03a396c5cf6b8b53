import { groupDigits } from '../model/units.js';
import type { RlimValue } from '../snapshot.js';

export const num = groupDigits;
export const rlim = (v: RlimValue): string => (v === 'unlimited' ? 'unlimited' : num(v));
export const plural = (n: number, one: string, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;

/** A 20-cell usage bar; over 100% fills and is marked. */
export function bar(used: number, limit: number, width = 20): string {
  const frac = limit > 0 ? used / limit : 1;
  const cells = Math.min(width, Math.round(frac * width));
  const pct = limit > 0 ? Math.floor(frac * 100) : 100;
  return `[${'#'.repeat(cells)}${'.'.repeat(width - cells)}] ${pct}%${frac > 1 ? ' OVER' : ''}`;
}

export function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

export function table(rows: string[][], gap = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join(gap).trimEnd());
}
