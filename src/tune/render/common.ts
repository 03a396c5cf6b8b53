import { groupDigits } from '../../model/units.js';
import { type DerivedSetting, isSysctlKey, RLIM_UNLIMITED, type SysctlKey } from '../derive.js';
import type { Profile } from '../profile.js';
import { comment, decimal } from './encode.js';

export type Owner = { kind: 'user'; user: string } | { kind: 'service'; service: string } | { kind: 'none' };

export interface RenderInput {
  profile: Profile;
  settings: DerivedSetting[];
  owner: Owner;
  /** e.g. "mq-doctor 0.1.0": file headers say what produced them. */
  producer: string;
}

export const FILES = {
  sysctl: '/etc/sysctl.d/60-mq-doctor.conf',
  limits: '/etc/security/limits.d/60-mq-doctor.conf',
  dropIn: (unit: string) => `/etc/systemd/system/${unit}.d/60-mq-doctor.conf`,
} as const;

export const sysctls = (s: DerivedSetting[]) => s.filter((x): x is DerivedSetting & { key: SysctlKey } => isSysctlKey(x.key));
export const rlimit = (s: DerivedSetting[], key: 'RLIMIT_MSGQUEUE' | 'RLIMIT_NOFILE') => s.find((x) => x.key === key);

export function header(input: RenderInput, path: string, lines: string[]): string[] {
  const p = input.profile;
  return [
    comment(path),
    comment(`Written by ${input.producer} from profile "${p.name}".`),
    ...(p.description ? [comment(`Profile description: ${p.description}`)] : []),
    ...lines.map(comment),
  ];
}

/** "# why" above each value, so the file explains itself. */
export function explained(s: DerivedSetting, line: string): string[] {
  return ['', comment(s.why), line];
}

/** A setting's value as the files write it: an exact decimal. */
export const value = (s: DerivedSetting): string => decimal(s.value);

/** An rlimit as a format writes it: its own word for RLIM_INFINITY, else an exact decimal. */
export const limitValue = (s: DerivedSetting, unlimited: 'unlimited' | 'infinity' | '-1'): string => (s.value >= RLIM_UNLIMITED ? unlimited : decimal(s.value));

export const n = groupDigits;
