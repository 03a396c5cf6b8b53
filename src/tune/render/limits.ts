import { parseLimitsLines } from '../limits-rules.js';
import { explained, FILES, header, limitValue, type RenderInput, rlimit } from './common.js';
import { comment, identifier } from './encode.js';

/** Each owner's lines sit under a marker of their own, so one apply never touches another owner's. */
const MARKER = /^# --- limits for (\S+) ---$/;
const marker = (domain: string) => `# --- limits for ${domain} ---`;

export function limitsDomain(input: Pick<RenderInput, 'owner'>): string {
  return input.owner.kind === 'user' ? identifier('limits domain', input.owner.user) : '*';
}

/**
 * The owners' blocks of an existing file, by domain, verbatim. A file from
 * before blocks existed holds one owner's lines: they become that owner's block.
 */
export function limitsBlocks(existing: string | null): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  if (!existing) return blocks;
  const lines = existing.split('\n');
  let current: string[] | undefined;
  for (const line of lines) {
    const m = MARKER.exec(line);
    if (m) {
      current = [];
      blocks.set(m[1]!, current);
    } else if (current) current.push(line);
  }
  if (blocks.size === 0) {
    for (const l of parseLimitsLines(existing)) {
      const b = blocks.get(l.domain) ?? [];
      b.push(`${l.domain} ${l.type} ${l.item} ${l.value}`);
      blocks.set(l.domain, b);
    }
  }
  for (const [domain, b] of blocks) {
    while (b.length && b[b.length - 1] === '') b.pop();
    if (!b.some((l) => l.trim() && !l.trim().startsWith('#'))) blocks.delete(domain);
  }
  return blocks;
}

/**
 * pam_limits lines: this owner's block, beside every other owner's block as
 * it was; null when no owner needs a line.
 */
export function renderLimits(input: RenderInput, existing: string | null = null): string | null {
  const mq = rlimit(input.settings, 'RLIMIT_MSGQUEUE');
  const nofile = rlimit(input.settings, 'RLIMIT_NOFILE');
  const who = limitsDomain(input);
  const blocks = limitsBlocks(existing);
  blocks.delete(who);
  if (mq || nofile) {
    const own = [
      ...(mq ? explained(mq, `${who} soft msgqueue ${limitValue(mq, 'unlimited')}\n${who} hard msgqueue ${limitValue(mq, 'unlimited')}`) : []),
      ...(nofile ? explained(nofile, `${who} soft nofile ${limitValue(nofile, 'unlimited')}\n${who} hard nofile ${limitValue(nofile, 'unlimited')}`) : []),
    ];
    // The block opens with the profile it came from, then its settings (no blank line between).
    blocks.set(who, [comment(`from profile "${input.profile.name}"`), ...own.slice(1)]);
  }
  if (blocks.size === 0) return null;
  const lines = header(input, FILES.limits, [
    'pam_limits applies this to new login sessions. systemd services ignore limits.conf and',
    'limits.d: give them LimitMSGQUEUE= / LimitNOFILE= (mq-doctor tune --format systemd).',
    'One block per owner: an apply for one owner leaves the others as they are.',
    ...(blocks.has('*') ? ['"*" matches every user but root; name the user with --user or "owner" in the profile.'] : []),
  ]);
  for (const domain of [...blocks.keys()].sort()) lines.push('', marker(domain), ...blocks.get(domain)!);
  return `${lines.join('\n')}\n`;
}
