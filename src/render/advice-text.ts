// The combined fix block of the check report: what works from here first,
// then who else must act, then the settings in each runtime's words.
import type { Advice } from '../model/advice.js';
import type { Fix } from '../model/types.js';
import { indent } from './format.js';

/** A one-line command carries its comment at the end; a longer one, above it. */
function fixLines(fixes: Fix[], pad: string): string[] {
  return fixes.flatMap((f) => (f.command.includes('\n') ? [`${pad}# ${f.what}`, indent(f.command, pad)] : [`${pad}${f.command}   # ${f.what}`]));
}

export function adviceLines(a: Advice, tune: string | null, more: string | null): string[] {
  const out: string[] = [];
  const any = a.here.length || a.persist.length || a.elsewhere.length || a.containers || a.application.length;
  if (!any) return more ? [`More: ${more}`] : out;
  out.push('', 'Fix, from here:');
  const local = [...a.here, ...a.persist];
  if (local.length) out.push(...fixLines(local, '  '));
  else out.push('  nothing; see who can, below');
  for (const e of a.elsewhere) {
    const why = e.why ? ` (${e.why})` : '';
    // Without a reason, what is done from here works but does not outlive the process: someone else keeps it.
    if (e.steps.length) out.push(`Only ${e.who} can${why}:`);
    else if (local.length && !e.why) out.push(`To keep it past a restart: ${e.who}.`);
    else out.push(`Only ${e.who} can set ${local.length ? 'the rest' : 'them'}${why}.`);
    out.push(...fixLines(e.steps, '  '));
  }
  if (a.alternative) out.push(`Or, ${a.alternative}`);
  if (a.application.length) out.push('In the application:', ...a.application.map((l) => `  ${l}`));
  if (a.containers) {
    out.push('Containers:', `  ${a.containers.docker}   (podman run takes the same flags)`);
    a.containers.compose.split('\n').forEach((l, i) => out.push(`${i === 0 ? '  Compose:    ' : '              '}${l}`));
    const notes = a.containers.notes.join('; ');
    out.push(a.containers.kubernetes ? `  Kubernetes: ${a.containers.kubernetes}${notes ? `   (${notes})` : ''}` : `  Kubernetes: ${notes}`);
  }
  out.push(...a.notes.map((n) => `Note: ${n}`));
  const files = tune ? `Whole files: ${tune} --format sysctl|limits|systemd|docker|compose|kubernetes|quadlet` : null;
  const tail = [files, more].filter(Boolean).join('; ');
  if (tail) out.push(tail);
  return out;
}
