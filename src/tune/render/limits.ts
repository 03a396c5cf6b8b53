import { explained, FILES, header, type RenderInput, rlimit } from './common.js';

/** pam_limits lines; null when no rlimit needs raising. */
export function renderLimits(input: RenderInput): string | null {
  const mq = rlimit(input.settings, 'RLIMIT_MSGQUEUE');
  const nofile = rlimit(input.settings, 'RLIMIT_NOFILE');
  if (!mq && !nofile) return null;
  const who = input.owner.kind === 'user' ? input.owner.user : '*';
  const lines = header(input, FILES.limits, [
    'pam_limits applies this to new login sessions. systemd services ignore limits.conf and',
    'limits.d: give them LimitMSGQUEUE= / LimitNOFILE= (mq-doctor tune --format systemd).',
    ...(who === '*' ? ['"*" matches every user but root; name the user with --user or "owner" in the profile.'] : []),
  ]);
  if (mq) lines.push(...explained(mq, `${who} soft msgqueue ${mq.value}\n${who} hard msgqueue ${mq.value}`));
  if (nofile) lines.push(...explained(nofile, `${who} soft nofile ${nofile.value}\n${who} hard nofile ${nofile.value}`));
  return `${lines.join('\n')}\n`;
}
