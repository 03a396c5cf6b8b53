import { explained, FILES, header, type RenderInput, rlimit, value } from './common.js';
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
  if (mq) lines.push(...explained(mq, `LimitMSGQUEUE=${value(mq)}`));
  if (nofile) lines.push(...explained(nofile, `LimitNOFILE=${value(nofile)}`));
  return `${lines.join('\n')}\n`;
}
