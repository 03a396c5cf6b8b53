// How the addon's two builders reach node-gyp: the install script's fallback
// compile (build.mjs) and the prebuilds made before packing (scripts/prebuild.mjs).
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command that runs node-gyp, npm's bundled copy first: it is the one
 * matched to this npm. [command, leading arguments].
 */
export function findNodeGyp() {
  const inNpm = (npmDir) => join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const scripts = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    process.env.npm_execpath && inNpm(join(dirname(process.env.npm_execpath), '..')),
    inNpm(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')),
  ];
  for (const s of scripts) {
    if (s && s.endsWith('.js') && existsSync(s)) return [process.execPath, [s]];
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = dir && join(dir, 'node-gyp');
    if (bin && isExecutable(bin)) return [bin, []];
  }
  // --no: never fetch node-gyp from the registry behind the user's back.
  return ['npm', ['exec', '--no', '--', 'node-gyp']];
}

/**
 * Outside npm the npmrc's nodedir is not seen, and node-gyp would try to
 * download headers. The headers installed next to this node binary (distro
 * packages, official tarballs) are the right ones, so use them when present.
 * The prefix to pass as --nodedir, or undefined when node-gyp has one already or none is there.
 */
export function localNodedir(argv = process.argv) {
  if (process.env.npm_config_nodedir || argv.some((a) => a.startsWith('--nodedir'))) return undefined;
  const prefix = resolve(dirname(process.execPath), '..');
  const headers = join(prefix, 'include', 'node');
  if (existsSync(join(headers, 'node_api.h')) && existsSync(join(headers, 'common.gypi'))) return prefix;
  return undefined;
}
