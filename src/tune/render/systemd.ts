import { explained, FILES, header, limitValue, type RenderInput, rlimit } from './common.js';
import { identifier } from './encode.js';

/** A [Service] drop-in; null when no rlimit needs raising. */
export function renderSystemd(input: RenderInput): string | null {
  const mq = rlimit(input.settings, 'RLIMIT_MSGQUEUE');
  const nofile = rlimit(input.settings, 'RLIMIT_NOFILE');
  if (!mq && !nofile) return null;
  const unit = input.owner.kind === 'service' ? identifier('systemd unit', input.owner.service) : '<your-app>.service';
  const lines = header(input, FILES.dropIn(unit), [
    `Then: systemctl daemon-reload && systemctl restart ${unit}`,
    'limits.conf does not reach systemd services; this drop-in does.',
  ]);
  lines.push('[Service]');
  if (mq) lines.push(...explained(mq, `LimitMSGQUEUE=${limitValue(mq, 'infinity')}`));
  if (nofile) lines.push(...explained(nofile, `LimitNOFILE=${limitValue(nofile, 'infinity')}`));
  return `${lines.join('\n')}\n`;
}
