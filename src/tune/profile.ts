// A profile is user input: validated by the precompiled schema validator
// (scripts/build.mjs), errors reported by JSON pointer and the rule broken.
import validateProfile from '../generated/validate-profile.cjs';
import type { SettingKey } from './derive.js';

export interface QueueSpec {
  name?: string;
  maxmsg: number;
  msgsize: number;
  count?: number;
}

export interface Profile {
  $schema?: string;
  name: string;
  description?: string;
  owner?: { user: string } | { service: string };
  workload?: {
    queues?: QueueSpec[];
    openFiles?: number;
    headroomPercent?: number;
    sysv?: { queues?: number; maxMessageBytes?: number; queueBytes?: number };
  };
  settings?: Partial<Record<SettingKey, number>>;
}

export interface ProfileError {
  /** JSON pointer into the profile, e.g. /workload/queues/0/maxmsg. */
  pointer: string;
  message: string;
}

export type ProfileResult = { ok: true; profile: Profile } | { ok: false; errors: ProfileError[] };

export function parseProfile(text: string): ProfileResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [{ pointer: '', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  if (validateProfile(data)) return { ok: true, profile: data as Profile };
  const errors = (validateProfile.errors ?? [])
    // oneOf/anyOf restate their branches' errors; the branches say what is wrong.
    .filter((e) => e.keyword !== 'oneOf' || (validateProfile.errors ?? []).length === 1)
    .map((e) => {
      const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
      return { pointer: e.instancePath || '/', message: `${e.message ?? 'invalid'}${extra} (rule: ${e.keyword})` };
    });
  return { ok: false, errors };
}

export function ownerOf(p: Profile): { kind: 'user'; user: string } | { kind: 'service'; service: string } | { kind: 'none' } {
  if (!p.owner) return { kind: 'none' };
  return 'user' in p.owner ? { kind: 'user', user: p.owner.user } : { kind: 'service', service: p.owner.service };
}

/** The profile `tune --maxmsg N --msgsize N` stands for. */
export function profileFromFlags(maxmsg: number, msgsize: number, count: number, owner: Profile['owner']): Profile {
  return {
    name: `mq-${maxmsg}x${msgsize}${count > 1 ? `x${count}` : ''}`,
    description: `${count} queue(s) of ${maxmsg} × ${msgsize} (from the command line)`,
    ...(owner ? { owner } : {}),
    workload: { queues: [{ maxmsg, msgsize, count }] },
  };
}
