// Pure: a validated profile + what is in use now → the settings that make the
// workload fit, each with the reason a reviewer needs to trust it.
import { HARD_MSGMAX, HARD_MSGSIZEMAX, KERNEL_DEFAULTS, MSGMNI_CAP, queueCost } from '../model/cost.js';
import type { KernelEra } from '../model/era.js';
import { groupDigits as fmt } from '../model/units.js';
import type { Profile, ProfileError } from './profile.js';

export const SYSCTL_KEYS = [
  'fs.mqueue.msg_max',
  'fs.mqueue.msgsize_max',
  'fs.mqueue.msg_default',
  'fs.mqueue.msgsize_default',
  'fs.mqueue.queues_max',
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
] as const;
export const RLIMIT_KEYS = ['RLIMIT_MSGQUEUE', 'RLIMIT_NOFILE'] as const;
export type SysctlKey = (typeof SYSCTL_KEYS)[number];
export type RlimitKey = (typeof RLIMIT_KEYS)[number];
export type SettingKey = SysctlKey | RlimitKey;

/** What every system starts with; a derived value at or below it needs no setting. */
export const DEFAULTS: Record<SettingKey, number> = {
  'fs.mqueue.msg_max': KERNEL_DEFAULTS.msg_max,
  'fs.mqueue.msgsize_max': KERNEL_DEFAULTS.msgsize_max,
  'fs.mqueue.msg_default': KERNEL_DEFAULTS.msg_default,
  'fs.mqueue.msgsize_default': KERNEL_DEFAULTS.msgsize_default,
  'fs.mqueue.queues_max': KERNEL_DEFAULTS.queues_max,
  'kernel.msgmax': 8192,
  'kernel.msgmnb': 16384,
  'kernel.msgmni': 32000,
  /** MQ_BYTES_MAX: the kernel's default RLIMIT_MSGQUEUE. */
  RLIMIT_MSGQUEUE: 819_200,
  RLIMIT_NOFILE: 1024,
};

/** fs.nr_open's ceiling (NR_OPEN): no RLIMIT_NOFILE can be higher. */
export const NR_OPEN_MAX = 1_073_741_816;

/**
 * The most an rlimit is written as here: an exact decimal (RLIM_INFINITY is
 * 2^64-1, but a JSON number above 2^53-1 is already rounded).
 */
export const RLIMIT_MAX: Record<RlimitKey, number> = { RLIMIT_MSGQUEUE: Number.MAX_SAFE_INTEGER, RLIMIT_NOFILE: NR_OPEN_MAX };

/**
 * An rlimit this high stands for RLIM_INFINITY ("unlimited" in limits.d,
 * "infinity" in a unit, -1 for a container runtime): an unlimited value kept
 * from the configuration, or a profile that asks for 2^53-1 bytes, which no
 * machine has. Written as each format's word, never as the number.
 */
export const RLIM_UNLIMITED = Number.MAX_SAFE_INTEGER;

/** The ranges the kernel accepts (ipc/mq_sysctl.c, ipc/ipc_sysctl.c); writes outside fail with EINVAL. */
export const RANGES: Record<SysctlKey, [number, number]> = {
  'fs.mqueue.msg_max': [1, HARD_MSGMAX],
  'fs.mqueue.msgsize_max': [128, HARD_MSGSIZEMAX],
  'fs.mqueue.msg_default': [1, HARD_MSGMAX],
  'fs.mqueue.msgsize_default': [128, HARD_MSGSIZEMAX],
  'fs.mqueue.queues_max': [0, 2 ** 31 - 1],
  'kernel.msgmax': [0, 2 ** 31 - 1],
  'kernel.msgmnb': [0, 2 ** 31 - 1],
  'kernel.msgmni': [0, MSGMNI_CAP],
};

export const isSysctlKey = (k: SettingKey): k is SysctlKey => (SYSCTL_KEYS as readonly string[]).includes(k);

export interface DerivedSetting {
  key: SettingKey;
  value: number;
  why: string;
  from: 'workload' | 'settings';
}

export interface DeriveContext {
  /** Queues already in the target IPC namespace, not counting the profile's own; null when unknown (then 0 is assumed and said). */
  queuesInUse: number | null;
  era: KernelEra;
  wordBits: 32 | 64;
}

export type Derivation =
  | { ok: true; profile: Profile; settings: DerivedSetting[]; notes: string[]; exactCost: number; queueCount: number }
  | { ok: false; errors: ProfileError[] };

export const DEFAULT_HEADROOM_PERCENT = 10;

export function deriveSettings(profile: Profile, ctx: DeriveContext): Derivation {
  const errors: ProfileError[] = [];
  const notes: string[] = [];
  const need = new Map<SettingKey, DerivedSetting>();
  const want = (key: SettingKey, value: number, why: string) => {
    if (value > DEFAULTS[key]) need.set(key, { key, value, why, from: 'workload' });
    else notes.push(`${key}: the default ${fmt(DEFAULTS[key])} already covers ${fmt(value)} (${why}).`);
  };

  const w = profile.workload ?? {};
  const queues = (w.queues ?? []).map((q, i) => ({ ...q, count: q.count ?? 1, label: q.name ?? `queues[${i}]`, i }));
  for (const q of queues) {
    if (q.maxmsg > HARD_MSGMAX) {
      errors.push({ pointer: `/workload/queues/${q.i}/maxmsg`, message: `${fmt(q.maxmsg)} is over the kernel's hard cap HARD_MSGMAX = ${fmt(HARD_MSGMAX)}: no sysctl or capability allows it; spread the messages over several queues` });
    }
    if (q.msgsize > HARD_MSGSIZEMAX) {
      errors.push({ pointer: `/workload/queues/${q.i}/msgsize`, message: `${fmt(q.msgsize)} is over the kernel's hard cap HARD_MSGSIZEMAX = ${fmt(HARD_MSGSIZEMAX)}: no sysctl or capability allows it` });
    }
  }
  let exactCost = 0;
  const queueCount = queues.reduce((n, q) => n + q.count, 0);
  if (queues.length > 0 && errors.length === 0) {
    const widest = queues.reduce((a, b) => (b.maxmsg > a.maxmsg ? b : a));
    const largest = queues.reduce((a, b) => (b.msgsize > a.msgsize ? b : a));
    want('fs.mqueue.msg_max', widest.maxmsg, `largest maxmsg: ${widest.label}`);
    // Only a msgsize above the default 8,192 is written, so never one below the sysctl's floor of 128.
    want('fs.mqueue.msgsize_max', largest.msgsize, `largest msgsize: ${largest.label}`);
    const inUse = ctx.queuesInUse ?? 0;
    if (ctx.queuesInUse === null) notes.push('Queues already in use are unknown (no mqueue mount): fs.mqueue.queues_max counts only the new ones.');
    want('fs.mqueue.queues_max', inUse + queueCount, `${fmt(inUse)} queues in use now + ${fmt(queueCount)} new`);

    exactCost = queues.reduce((sum, q) => sum + q.count * queueCost(q.maxmsg, q.msgsize, ctx.era, ctx.wordBits).bytes, 0);
    const headroom = w.headroomPercent ?? DEFAULT_HEADROOM_PERCENT;
    // Integer arithmetic: 59,328,000 × 1.1 is 65,260,800.000000001 in floating point.
    const budget = Math.ceil((exactCost * (100 + headroom)) / 100);
    const parts = queues.map((q) => `${q.count > 1 ? `${q.count} × ` : ''}${q.maxmsg}×${q.msgsize}`).join(' + ');
    want('RLIMIT_MSGQUEUE', budget, `exact cost of ${parts} = ${fmt(exactCost)} bytes, + ${headroom}% headroom`);
  }
  if (w.openFiles !== undefined) {
    want('RLIMIT_NOFILE', w.openFiles + queueCount, `${fmt(w.openFiles)} descriptors + one per queue (${fmt(queueCount)})`);
  }
  if (w.sysv) {
    const s = w.sysv;
    if (s.maxMessageBytes !== undefined) want('kernel.msgmax', s.maxMessageBytes, 'largest System V message');
    const qbytes = Math.max(s.queueBytes ?? 0, s.maxMessageBytes ?? 0);
    if (qbytes > 0) want('kernel.msgmnb', qbytes, s.queueBytes !== undefined ? 'bytes per System V queue' : 'one largest message must fit a queue');
    if (s.queues !== undefined) {
      if (s.queues > RANGES['kernel.msgmni'][1]) {
        errors.push({ pointer: '/workload/sysv/queues', message: `${fmt(s.queues)} is over the kernel's cap for kernel.msgmni (${fmt(RANGES['kernel.msgmni'][1])} per IPC namespace)` });
      } else want('kernel.msgmni', s.queues, 'System V queues');
    }
  }

  for (const [key, value] of Object.entries(profile.settings ?? {}) as Array<[SettingKey, number]>) {
    const derived = need.get(key);
    if (derived && value < derived.value) {
      errors.push({ pointer: `/settings/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: `${fmt(value)} is below what the workload needs: ${fmt(derived.value)} (${derived.why})` });
      continue;
    }
    need.set(key, { key, value, why: derived ? `set in the profile (the workload needs ${fmt(derived.value)})` : 'set in the profile', from: 'settings' });
  }
  for (const s of need.values()) {
    const [lo, hi] = isSysctlKey(s.key) ? RANGES[s.key] : [0, RLIMIT_MAX[s.key as RlimitKey]];
    if (!Number.isSafeInteger(s.value) || s.value < lo || s.value > hi) {
      const range = isSysctlKey(s.key) ? 'the range the kernel accepts' : s.key === 'RLIMIT_NOFILE' ? 'what fs.nr_open can allow' : 'what can be written exactly';
      errors.push({ pointer: s.from === 'settings' ? `/settings/${s.key}` : '/workload', message: `${s.key} = ${Number.isSafeInteger(s.value) ? fmt(s.value) : String(s.value)} is outside ${range} (${fmt(lo)} … ${fmt(hi)})` });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const order = [...SYSCTL_KEYS, ...RLIMIT_KEYS] as readonly SettingKey[];
  const settings = [...need.values()].sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  return { ok: true, profile, settings, notes, exactCost, queueCount };
}

/** Queue memory is unswappable kernel memory: a budget that is a large share of RAM is a risk worth naming. */
export function memoryWarning(settings: DerivedSetting[], totalRamBytes: number): string | null {
  const budget = settings.find((s) => s.key === 'RLIMIT_MSGQUEUE')?.value;
  if (budget === undefined || totalRamBytes <= 0) return null;
  const share = budget / totalRamBytes;
  if (share < 0.1) return null;
  return `RLIMIT_MSGQUEUE ${fmt(budget)} bytes lets one uid pin ${Math.round(share * 100)}% of this machine's ${fmt(totalRamBytes)} bytes of RAM in unswappable kernel memory; keep the budget to what the workload needs.`;
}
