import { createRequire } from 'node:module';
import { kernelModel } from '../model/limits-analysis.js';
import type { Snapshot } from '../snapshot.js';
import { type DeriveContext, type Derivation, deriveSettings } from '../tune/derive.js';
import { type Profile, parseProfile, profileFromFlags } from '../tune/profile.js';
import schema from '../../schema/profile.schema.json' with { type: 'json' };
import type { OwnerFlag, ProfileSource } from './args.js';
import { UsageError } from './exit-codes.js';
import { readInputText } from './input-file.js';

/** Reads and validates a profile; any problem is one usage line naming the JSON pointer and the rule. */
export function loadProfile(source: ProfileSource, owner: OwnerFlag): Profile {
  let profile: Profile;
  if (source.kind === 'flags') {
    profile = profileFromFlags(source.maxmsg, source.msgsize, source.count, undefined);
  } else {
    const text = readProfileText(source.path);
    const parsed = parseProfile(text);
    if (!parsed.ok) {
      // Each oneOf branch may say the same thing (owner "must be object"): once is enough.
      const lines = new Set(parsed.errors.map((e) => (e.pointer ? `${e.pointer} ${e.message}${valueDetail(text, e.pointer, e.message)}` : e.message)));
      throw new UsageError(`invalid profile ${source.path}: ${[...lines].join('; ')}`);
    }
    // JSON.parse keeps the last of a repeated key; a profile that says two things must not pass unseen.
    const dup = duplicateKey(text);
    if (dup) throw new UsageError(`invalid profile ${source.path}: ${dup.pointer || '/'} has "${dup.key}" twice: give it once (rule: duplicate key)`);
    profile = parsed.profile;
  }
  return owner ? { ...profile, owner } : profile;
}

interface SchemaNode {
  type?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
}

const unescapePointer = (p: string) => p.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** The schema node a JSON pointer into a profile stands for (either branch of a oneOf), or undefined. */
function schemaAt(pointer: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema as unknown as SchemaNode;
  for (const seg of unescapePointer(pointer)) {
    if (!node) return undefined;
    const branches: SchemaNode[] = [node, ...(node.oneOf ?? [])];
    node = branches.map((b) => (b.items && /^\d+$/.test(seg) ? b.items : b.properties?.[seg])).find((n) => n !== undefined);
  }
  return node;
}

/**
 * What a schema error's one line adds to ajv's message: the value found (as
 * JSON, shortened) and, for a bounded number, its whole range. Nothing for a
 * rule about the object around it (a missing or an unknown key).
 */
function valueDetail(text: string, pointer: string, message: string): string {
  if (/\(rule: (required|additionalProperties|anyOf|oneOf)\)/.test(message)) return '';
  let value: unknown;
  try {
    value = JSON.parse(text);
    for (const seg of unescapePointer(pointer === '/' ? '' : pointer)) value = (value as Record<string, unknown>)[seg];
  } catch {
    return '';
  }
  const node = schemaAt(pointer === '/' ? '' : pointer);
  const range =
    node && typeof node.minimum === 'number' && typeof node.maximum === 'number' && /\(rule: (minimum|maximum|type)\)/.test(message)
      ? `: ${node.type === 'integer' ? 'a whole number' : 'a number'} from ${node.minimum} to ${node.maximum}`
      : '';
  // Long values are cut, a string inside its quotes: one line is for the reason, not the whole value.
  const shown =
    typeof value === 'string' && value.length > 60
      ? `${JSON.stringify(`${value.slice(0, 60)}…`)} (${value.length} characters)`
      : (JSON.stringify(value) ?? String(value)).replace(/^(.{79}).{2,}$/s, '$1…');
  return `${range}, got ${shown}`;
}

/** A profile is at most this large: a JSON description of a few queues. */
const MAX_PROFILE_BYTES = 1 << 20;

/**
 * The profile's text: a regular file (a FIFO or a device must not hang an apply
 * at boot), at most 1 MiB, valid UTF-8 (one stray byte is a damaged or foreign file).
 */
export const readProfileText = (path: string): string => readInputText(path, 'profile', MAX_PROFILE_BYTES);

/**
 * The first key an object of this (valid) JSON text repeats, with the JSON
 * pointer of that object; null when there is none. JSON.parse keeps the last
 * silently, so the text is read again by a parser that keeps every member
 * (momoa, ESLint's JSON parser), loaded only here.
 */
export function duplicateKey(text: string): { pointer: string; key: string } | null {
  const { parse } = createRequire(import.meta.url)('@humanwhocodes/momoa') as typeof import('@humanwhocodes/momoa');
  type Node = ReturnType<typeof parse>['body'];
  const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const walk = (node: Node, pointer: string): { pointer: string; key: string } | null => {
    if (node.type === 'Object') {
      const seen = new Set<string>();
      for (const m of node.members) {
        const key = m.name.type === 'String' ? m.name.value : m.name.name;
        if (seen.has(key)) return { pointer, key };
        seen.add(key);
        const inner = walk(m.value, `${pointer}/${escape(key)}`);
        if (inner) return inner;
      }
    } else if (node.type === 'Array') {
      for (const [i, e] of node.elements.entries()) {
        const inner = walk(e.value, `${pointer}/${i}`);
        if (inner) return inner;
      }
    }
    return null;
  };
  return walk(parse(text).body, '');
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
