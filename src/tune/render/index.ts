import type { RenderInput } from './common.js';
import { renderCompose, renderDocker, renderKubernetes, renderQuadlet } from './containers.js';
import { renderLimits } from './limits.js';
import { renderSysctl } from './sysctl.js';
import { renderSystemd } from './systemd.js';

export const FORMATS = ['sysctl', 'limits', 'systemd', 'docker', 'compose', 'kubernetes', 'quadlet'] as const;
export type Format = (typeof FORMATS)[number];

export function renderFormat(format: Format, input: RenderInput): string {
  switch (format) {
    case 'sysctl':
      return renderSysctl(input) ?? '# No sysctl needs changing: the kernel defaults fit this profile.\n';
    case 'limits':
      return renderLimits(input) ?? '# No rlimit needs raising: the defaults fit this profile.\n';
    case 'systemd':
      return renderSystemd(input) ?? '# No rlimit needs raising: the defaults fit this profile.\n';
    case 'docker':
      return renderDocker(input);
    case 'compose':
      return renderCompose(input);
    case 'kubernetes':
      return renderKubernetes(input);
    case 'quadlet':
      return renderQuadlet(input);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

export function renderAll(input: RenderInput): string {
  return FORMATS.map((f) => `#### ${f}\n${renderFormat(f, input)}`).join('\n');
}
