import { writeOut } from './output.js';
import pkg from '../../package.json' with { type: 'json' };
import { roughTotalMemory, totalMemory } from '../probe/memory.js';
import { memoryWarning } from '../tune/derive.js';
import { ownerOf } from '../tune/profile.js';
import type { RenderInput } from '../tune/render/common.js';
import { comment } from '../tune/render/encode.js';
import { type Format, renderAll, renderFormat } from '../tune/render/index.js';
import type { TuneArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import { deriveOrFail, loadProfile } from './profile-input.js';
import { takeSnapshot } from './snapshot.js';

export const PRODUCER = `mq-doctor ${pkg.version}`;

export async function runTune(args: TuneArgs): Promise<number> {
  const profile = loadProfile(args.source, args.owner);
  const label = args.source.kind === 'file' ? `profile ${args.source.path}` : 'the workload';
  const d = deriveOrFail(profile, takeSnapshot(undefined), label);
  const input: RenderInput = { profile, settings: d.settings, owner: ownerOf(profile), producer: PRODUCER };
  let out = args.format === 'all' ? renderAll(input) : renderFormat(args.format as Format, input);
  // Comments keep every format valid when redirected into its file; the notes
  // quote the profile (queue names), so they are encoded like every other comment.
  const notes = [...d.notes];
  const ram = memoryWarning(d.settings, roughTotalMemory()) === null ? null : await totalMemory();
  const warning = ram?.ok ? memoryWarning(d.settings, ram.value) : null;
  if (warning) notes.unshift(`WARNING: ${warning}`);
  if (notes.length) out += `\n${notes.map(comment).join('\n')}\n`;
  writeOut(out);
  return EXIT.ok;
}
