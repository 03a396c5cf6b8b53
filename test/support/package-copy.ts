// A copy of the built package for a test that changes its dist/: bin/, dist/
// and package.json copied, native/ and node_modules/ reached through links, in
// a scratch directory removed when the test ends.
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './run-cli.js';
import { scratchDir } from './scratch.js';

export function packageCopy(change: (dist: string) => void): string {
  const dir = scratchDir('mqd-package-');
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'native'), join(dir, 'native'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  change(join(dir, 'dist'));
  return dir;
}
