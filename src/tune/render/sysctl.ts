import { explained, FILES, header, type RenderInput, sysctls, value } from './common.js';

/** /etc/sysctl.d/60-mq-doctor.conf; null when the profile needs no sysctl. */
export function renderSysctl(input: RenderInput): string | null {
  const keys = sysctls(input.settings);
  if (keys.length === 0) return null;
  const lines = header(input, FILES.sysctl, [
    'Applied at boot by systemd-sysctl.service; apply now with: sysctl --system',
    'These keys are per IPC namespace: containers with their own IPC namespace start from the',
    'kernel defaults and need --sysctl (see: mq-doctor tune --format docker).',
  ]);
  for (const s of keys) lines.push(...explained(s, `${s.key} = ${value(s)}`));
  return `${lines.join('\n')}\n`;
}
