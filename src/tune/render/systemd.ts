import { explained, FILES, header, type RenderInput, rlimit } from './common.js';

/** A [Service] drop-in; null when no rlimit needs raising. */
export function renderSystemd(input: RenderInput): string | null {
  const mq = rlimit(input.settings, 'RLIMIT_MSGQUEUE');
  const nofile = rlimit(input.settings, 'RLIMIT_NOFILE');
  if (!mq && !nofile) return null;
  const unit = input.owner.kind === 'service' ? input.owner.service : '<your-app>.service';
  const lines = header(input, FILES.dropIn(unit), [
    `Then: systemctl daemon-reload && systemctl restart ${unit}`,
    'limits.conf does not reach systemd services; this drop-in does.',
  ]);
  lines.push('[Service]');
  if (mq) lines.push(...explained(mq, `LimitMSGQUEUE=${mq.value}`));
  if (nofile) lines.push(...explained(nofile, `LimitNOFILE=${nofile.value}`));
  return `${lines.join('\n')}\n`;
}
