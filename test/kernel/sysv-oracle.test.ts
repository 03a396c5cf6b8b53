// Smoke test of the C oracle's System V commands (msgget, msgsnd, msgset,
// msgstat, msgrm) against the real kernel, in a fresh private IPC namespace
// with small kernel.msg* limits. Only their syntax, output and exit codes are
// checked here; the differential suite compares them with the addon and the model.
// System V messages charge no rlimit, so this can run next to other tests.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { inFreshNamespace, shellQuote } from './lib/scenario.js';

const oracle = await buildOracle().catch((err: Error) => {
  console.warn(`mq_oracle failed to build: ${err.message}`);
  return null;
});

function skipReason(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return `needs root for unshare --ipc --mount --pid (running as uid ${process.getuid?.()})`;
  const t = spawnSync('unshare', ['--ipc', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (t.error || t.status !== 0) return `unshare --ipc --mount --pid --fork fails here: ${t.error?.message ?? t.stderr.trim()}`;
  if (!oracle) return 'the C oracle could not be built: gcc is missing';
  return null;
}
const skip = skipReason();
if (skip) console.warn(`SKIPPED test/kernel/sysv-oracle.test.ts: ${skip}`);

/** CAP_SYS_RESOURCE (bit 24) lifts the msgmnb cap on IPC_SET; the machines here lack it. */
function hasCapSysResource(): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> 24n) & 1n) === 1n;
}

/** Runs each oracle command in order in one fresh namespace: its output line and exit code. */
function runOracle(setup: string[], commands: string[][]): { out: string; rc: number }[] {
  const lines = ['set -u', ...setup];
  for (const c of commands) lines.push(`r=$(${[oracle!, ...c].map(shellQuote).join(' ')} 2>&1); echo "@@$?|$r"`);
  const r = inFreshNamespace(lines.join('\n'));
  if (r.code !== 0) throw new Error(`namespace script exited ${r.code}: ${r.stderr}`);
  const results = [...r.stdout.matchAll(/^@@(\d+)\|(.*)$/gm)].map((m) => ({ rc: Number(m[1]), out: m[2]! }));
  if (results.length !== commands.length) throw new Error(`expected ${commands.length} results:\n${r.stdout}${r.stderr}`);
  return results;
}

describe.skipIf(!!skip)('real kernel: the C oracle\'s System V commands', () => {
  it('msgget, msgsnd, msgset, msgstat and msgrm answer OK or the errno, as documented', () => {
    const K = '/proc/sys/kernel';
    const setup = [`echo 100 > ${K}/msgmax`, `echo 10 > ${K}/msgmnb`, `echo 3 > ${K}/msgmni`];
    const cases: [string[], string | RegExp, number][] = [
      [['msgget', '0x10', '01600'], /^OK \d+$/, 0], // IPC_CREAT | 0600
      [['msgget', '16', '03600'], 'EEXIST', 1], // IPC_EXCL; 16 = 0x10
      [['msgget', '17', '0'], 'ENOENT', 1],
      [['msgstat', '0x10'], 'OK 10 0 0', 0], // qbytes = msgmnb at creation
      [['msgsnd', '0x10', '1', '20'], 'EAGAIN 10', 1], // msgmnb=10: ten 1-byte messages
      [['msgstat', '0x10'], 'OK 10 10 10', 0],
      [['msgsnd', '0x10', '101', '1'], 'EINVAL 0', 1], // over msgmax, checked before the full queue
      [['msgset', '0x10', '11'], hasCapSysResource() ? 'OK' : 'EPERM', hasCapSysResource() ? 0 : 1],
      [['msgset', '0x10', '5'], 'OK', 0],
      [['msgstat', '0x10'], 'OK 5 10 10', 0], // lowering is always allowed, even below what is queued
      [['msgget', '10', '01600'], /^OK \d+$/, 0],
      [['msgget', '010', '0'], /^OK \d+$/, 0], // decimal 10 again, not octal 8
      [['msgget', '-0x1', '01600'], /^OK \d+$/, 0], // a negative key: 0xffffffff as ipcs shows it
      [['msgget', '0', '0600'], 'ENOSPC', 1], // IPC_PRIVATE, a fourth queue: over msgmni=3
      [['msgrm', '0x10'], 'OK', 0],
      [['msgrm', '0x10'], 'ENOENT', 1],
      [['msgstat', '0x10'], 'ENOENT', 1],
      [['msgsnd', '0x10', '1', '1'], 'ENOENT 0', 1],
      [['msgget', '0x80000000', '0'], /^usage:/, 2], // KEY must fit an int
      [['msgset', '10', '-1'], /^usage:/, 2],
      [['msgsnd', '10', '1'], /^usage:/, 2],
    ];
    const results = runOracle(setup, cases.map((c) => c[0]));
    cases.forEach(([cmd, out, rc], i) => {
      const got = results[i]!;
      const why = `mq_oracle ${cmd.join(' ')} printed "${got.out}" (exit ${got.rc})`;
      if (typeof out === 'string') expect(got.out, why).toBe(out);
      else expect(got.out, why).toMatch(out);
      expect(got.rc, why).toBe(rc);
    });
    // 010 is the same queue as 10.
    expect(results[11]!.out).toBe(results[10]!.out);
  });
});
