// The RLIMIT_MSGQUEUE charge of one queue, measured on the real kernel: the
// smallest soft limit at which mq_open (the C oracle) succeeds, found by
// bisection with a fresh IPC namespace per probe, must equal the CLI's
// cost.bytes exactly.
//
// The probes run as a fresh uid that holds no other queue (checked first): the
// charge is per uid across every IPC namespace, so anything else it holds (a
// queue another test or program left behind) would shift the measured threshold.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildOracle } from '../helpers/build-oracle.mjs';
import { cliPath, inFreshNamespace, kernelCost, kernelSkipReason, shellQuote, uidHoldsNoQueueMemory } from './lib/scenario.js';

const oracle = await buildOracle().catch((err: Error) => {
  console.warn(`mq_oracle failed to build: ${err.message}`);
  return null;
});
const skipReason = kernelSkipReason({ oracle, needAddon: false });
if (skipReason) console.warn(`SKIPPED test/kernel/cost-bisection.test.ts: ${skipReason}`);

const UID = 200_000 + Math.floor(Math.random() * 100_000);
const HARD = 819_200; // this machine's hard RLIMIT_MSGQUEUE; the soft limit cannot go higher
const CREATE_EXCL_RDWR = 0o100 | 0o200 | 2;
const as = `setpriv --reuid=${UID} --regid=${UID} --clear-groups`;

interface Case {
  attr: { maxmsg: number; msgsize: number } | null;
  sysctls: Record<string, number>;
}

/** msg_max and msgsize_max at their highest, so only the rlimit can refuse. */
const WIDE = { msg_max: 65536, msgsize_max: 16777216 };
const CASES: Case[] = [
  { attr: { maxmsg: 10, msgsize: 8192 }, sysctls: WIDE },
  { attr: { maxmsg: 1, msgsize: 128 }, sysctls: WIDE },
  { attr: { maxmsg: 1, msgsize: 1 }, sysctls: WIDE },
  { attr: { maxmsg: 100, msgsize: 1000 }, sysctls: WIDE },
  { attr: { maxmsg: 3, msgsize: 65536 }, sysctls: WIDE },
  // Close to the hard limit: 8000 messages, the largest count that fits 819200 bytes.
  { attr: { maxmsg: 8000, msgsize: 1 }, sysctls: WIDE },
  { attr: { maxmsg: 1, msgsize: 800000 }, sysctls: WIDE },
  { attr: { maxmsg: 4096, msgsize: 100 }, sysctls: WIDE },
  // attr NULL: the namespace defaults, clamped to the maxima.
  { attr: null, sysctls: {} },
  { attr: null, sysctls: { msg_default: 3, msgsize_default: 200 } },
  { attr: null, sysctls: { msg_max: 4, msg_default: 50, msgsize_default: 300 } },
];

function sysctlScript(sysctls: Record<string, number>): string {
  // Maxima first: msg_default may exceed msg_max, but write the wide values before anything depends on them.
  const order = ['queues_max', 'msg_max', 'msgsize_max', 'msg_default', 'msgsize_default'];
  return order
    .filter((k) => sysctls[k] !== undefined)
    .map((k) => `echo ${sysctls[k]} > /proc/sys/fs/mqueue/${k} || { echo "SYSCTL-FAILED ${k}"; exit 91; }`)
    .join('\n');
}

/** One real mq_open in a fresh namespace under soft RLIMIT_MSGQUEUE = soft. */
function openWith(c: Case, soft: number): string {
  const a = c.attr ? `${c.attr.maxmsg} ${c.attr.msgsize}` : 'null null';
  const r = inFreshNamespace(
    `${sysctlScript(c.sysctls)}\n${as} prlimit --msgqueue=${soft}: ${shellQuote(oracle!)} open /mqdk-bisect ${CREATE_EXCL_RDWR} 384 ${a}\n` +
      // Unlink now: left to die with the namespace, its charge would linger into the next probe.
      `${shellQuote(oracle!)} unlink /mqdk-bisect >/dev/null`,
  );
  const out = r.stdout.trim();
  if (out !== 'OK' && !/^E[A-Z0-9]+$/.test(out)) throw new Error(`oracle printed "${out}" (exit ${r.code}): ${r.stderr}`);
  return out;
}

function predictedCost(c: Case): any {
  const flags = c.attr ? `--maxmsg ${c.attr.maxmsg} --msgsize ${c.attr.msgsize}` : '';
  for (let attempt = 1; ; attempt++) {
    const r = inFreshNamespace(
      `D=$(mktemp -d /tmp/mqd-kernel.XXXXXX) || exit 90\ntrap 'umount "$D" 2>/dev/null; rmdir "$D"' EXIT\n` +
        `mount -t mqueue none "$D" || exit 90\n${sysctlScript(c.sysctls)}\n` +
        `${as} ${shellQuote(process.execPath)} ${shellQuote(cliPath())} check --json ${flags} </dev/null`,
    );
    try {
      return JSON.parse(r.stdout);
    } catch {
      // Someone rebuilding dist/ meanwhile (scripts/build.mjs deletes it first): wait for it.
      if (attempt < 5 && /not built yet|Cannot find module/.test(r.stderr)) {
        spawnSync('sleep', [String(0.5 * attempt)]);
        continue;
      }
      throw new Error(`the CLI printed no JSON (exit ${r.code}): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`);
    }
  }
}

const label = (c: Case) =>
  `${c.attr ? `${c.attr.maxmsg} × ${c.attr.msgsize}` : 'attr NULL'}${Object.keys(c.sysctls).length ? ` (${Object.entries(c.sysctls).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`;

describe.skipIf(!!skipReason)('real kernel: the RLIMIT_MSGQUEUE charge of one queue, by bisection', () => {
  it(`the probing uid (a fresh one) holds no queue memory elsewhere (else every threshold shifts)`, () => {
    const r = uidHoldsNoQueueMemory(UID, oracle!);
    expect(r.ok, `uid ${UID} has POSIX queue memory charged elsewhere (another test or program holds queues): ${r.last}`).toBe(true);
  });

  for (const c of CASES) {
    it(`${label(c)}: smallest soft limit that opens = cost.bytes`, () => {
      const doc = predictedCost(c);
      const predicted: number = doc.cost.bytes;
      expect(predicted, 'the CLI must predict a cost').toBeGreaterThan(0);
      // The CLI's own verdict for this uid at the default soft limit (819200).
      if (predicted > HARD) {
        expect(openWith(c, HARD), 'too big even for the hard limit').toBe('EMFILE');
        expect(doc.outcome.errno).toBe('EMFILE');
        return;
      }
      expect(openWith(c, HARD), `must open under the hard limit ${HARD}`).toBe('OK');
      let lo = 0; // fails (checked below unless the cost were 0)
      let hi = HARD; // opens
      expect(openWith(c, lo)).toBe('EMFILE');
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (openWith(c, mid) === 'OK') hi = mid;
        else lo = mid;
      }
      expect(openWith(c, hi - 1), 'one byte below the threshold').toBe('EMFILE');
      expect(hi, `measured charge of ${label(c)} vs the CLI's cost.bytes (${doc.cost.formula})`).toBe(predicted);
      const s = { msg_max: 10, msgsize_max: 8192, msg_default: 10, msgsize_default: 8192, ...c.sysctls };
      const eff = c.attr ?? { maxmsg: Math.min(s.msg_max, s.msg_default), msgsize: Math.min(s.msgsize_max, s.msgsize_default) };
      expect(hi, 'vs the kernel-facts formula').toBe(kernelCost(eff.maxmsg, eff.msgsize));
    });
  }

  it('a queue over the hard limit: 5000 × 100 costs 980,000 bytes and never opens here', () => {
    const c: Case = { attr: { maxmsg: 5000, msgsize: 100 }, sysctls: WIDE };
    const doc = predictedCost(c);
    expect(doc.cost.bytes).toBe(kernelCost(5000, 100));
    expect(doc.cost.bytes).toBeGreaterThan(HARD);
    expect(doc.outcome.errno).toBe('EMFILE');
    expect(openWith(c, HARD)).toBe('EMFILE');
  });
});
