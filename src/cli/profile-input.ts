import { closeSync, constants as C, fstatSync, openSync, readFileSync } from 'node:fs';
import { kernelModel } from '../model/limits-analysis.js';
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
    const parsed = parseProfile(readProfileText(source.path));
    if (!parsed.ok) {
      throw new UsageError(`invalid profile ${source.path}: ${parsed.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
    }
    profile = parsed.profile;
  }
  return owner ? { ...profile, owner } : profile;
}

/** A profile is at most this large: a JSON description of a few queues. */
const MAX_PROFILE_BYTES = 1 << 20;

/**
 * The profile's text: a regular file (a FIFO or a device must not hang an apply
 * at boot), at most 1 MiB, valid UTF-8 (one stray byte is a damaged or foreign file).
 */
export function readProfileText(path: string): string {
  const fail = (why: string): never => {
    throw new UsageError(`cannot read profile ${path}: ${why}`);
  };
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NONBLOCK);
  } catch (err) {
    return fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(st.isDirectory() ? 'it is a directory' : 'it is not a regular file');
    if (st.size > MAX_PROFILE_BYTES) fail(`it is ${st.size} bytes; a profile is at most ${MAX_PROFILE_BYTES}`);
    const bytes = readFileSync(fd);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail('it is not valid UTF-8');
    }
    return text.replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}

/**
 * The queues already in use, less the profile's own named queues: once the
 * application has created them they would otherwise count twice, and every
 * verify or re-apply would ask for more.
 */
export function deriveContext(snap: Snapshot, profile: Profile): DeriveContext {
  const { era, wordBits } = kernelModel(snap);
  const own = new Set((profile.workload?.queues ?? []).flatMap((q) => (q.name ? [q.name.slice(1)] : [])));
  const queuesInUse = snap.queues.ok ? snap.queues.value.queues.filter((q) => !own.has(q.name)).length : null;
  return { era, wordBits, queuesInUse };
}

/** Derives, or explains (as a usage error) which kernel cap or profile value makes the workload impossible. */
export function deriveOrFail(profile: Profile, snap: Snapshot, label: string): Derivation & { ok: true } {
  const d = deriveSettings(profile, deriveContext(snap, profile));
  if (!d.ok) throw new UsageError(`${label} cannot be met: ${d.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
  return d;
}
