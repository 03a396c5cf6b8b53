import { readFileSync } from 'node:fs';
import { kernelEra } from '../model/era.js';
import { namespaceUsage } from '../model/usage.js';
import type { Snapshot } from '../snapshot.js';
import { type DeriveContext, type Derivation, deriveSettings } from '../tune/derive.js';
import { type Profile, parseProfile, profileFromFlags } from '../tune/profile.js';
import type { OwnerFlag, ProfileSource } from './args.js';
import { UsageError } from './exit-codes.js';

/** Reads and validates a profile; any problem is one usage line naming the JSON pointer and the rule. */
export function loadProfile(source: ProfileSource, owner: OwnerFlag): Profile {
  let profile: Profile;
  if (source.kind === 'flags') {
    profile = profileFromFlags(source.maxmsg, source.msgsize, source.count, undefined);
  } else {
    let text: string;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read profile ${source.path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const parsed = parseProfile(text);
    if (!parsed.ok) {
      throw new UsageError(`invalid profile ${source.path}: ${parsed.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
    }
    profile = parsed.profile;
  }
  return owner ? { ...profile, owner } : profile;
}

export function deriveContext(snap: Snapshot): DeriveContext {
  const era = kernelEra(snap.kernel.release);
  const wordBits = snap.kernel.wordBits.ok ? snap.kernel.wordBits.value : 64;
  return { era, wordBits, queuesInUse: namespaceUsage(snap, era, wordBits).queuesInUse ?? null };
}

/** Derives, or explains (as a usage error) which kernel cap or profile value makes the workload impossible. */
export function deriveOrFail(profile: Profile, snap: Snapshot, label: string): Derivation & { ok: true } {
  const d = deriveSettings(profile, deriveContext(snap));
  if (!d.ok) throw new UsageError(`${label} cannot be met: ${d.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
  return d;
}
