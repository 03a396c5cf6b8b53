// Prebuilds of the addon for `npm pack` (the prepack script): what an install
// loads through node-gyp-build without compiling, and without an install script.
//   node scripts/prebuild.mjs    linux-x64, and linux-arm64 when the Debian cross
//                                toolchain (g++-aarch64-linux-gnu) is installed
// One build per Node-API version, not per Node release (NAPI_VERSION=8 in
// binding.gyp): node-gyp-build takes it on every Node >= 20 of that platform and libc.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch as hostArch, platform } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, localNodedir } from '../native/getrlimit/node-gyp.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADDON = join(ROOT, 'native', 'getrlimit');
const OUT = join(ADDON, 'prebuilds');
const require = createRequire(import.meta.url);
const prebuildify = require('prebuildify');

const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const CROSS = { arm64: 'aarch64-linux-gnu' };
// ELF e_machine: a cross build that silently used the host's compiler must not ship as arm64.
const MACHINE = { x64: 62, arm64: 183 };

const [gyp, gypArgs] = findNodeGyp();
// prebuildify runs node-gyp as one executable; npm's node-gyp.js is one (#!/usr/bin/env node).
const nodeGyp = gypArgs.length === 1 ? gypArgs[0] : gypArgs.length === 0 ? gyp : undefined;
if (!nodeGyp) {
  process.stderr.write('prebuild: node-gyp not found (neither npm\'s own copy nor one on PATH)\n');
  process.exit(1);
}
// node-gyp reads npm_config_nodedir; with --target it would download headers otherwise.
const nodedir = localNodedir([]);
if (nodedir) process.env.npm_config_nodedir = nodedir;
process.env.npm_config_jobs ??= 'max';

const targets = [{ arch: hostArch() }];
if (platform() === 'linux' && hostArch() === 'x64') {
  const triple = CROSS.arm64;
  if (has(`${triple}-g++`)) targets.push({ arch: 'arm64', triple });
  else process.stderr.write(`prebuild: no linux-arm64 prebuild: ${triple}-g++ not found (apt-get install g++-aarch64-linux-gnu)\n`);
}

// Every pack starts from nothing, so no prebuild of older sources survives.
rmSync(OUT, { recursive: true, force: true });
for (const t of targets) {
  // A copy of the sources per arch under build/ (not packed): prebuildify moves
  // build/Release/getrlimit.node away, and a checkout's own build/Release, which
  // node-gyp-build prefers and the tests load, must stay the host's compile.
  const work = join(ADDON, 'build', `prebuild-${t.arch}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(ADDON, 'binding.gyp'), join(work, 'binding.gyp'));
  cpSync(join(ADDON, 'src'), join(work, 'src'), { recursive: true });
  // prebuildify hands node-gyp a copy of process.env.
  const env = { ...process.env };
  if (t.triple) Object.assign(process.env, { CC: `${t.triple}-gcc`, CXX: `${t.triple}-g++` });
  const started = Date.now();
  await new Promise((ok, fail) =>
    prebuildify(
      {
        cwd: work,
        out: ADDON,
        arch: t.arch,
        // Node-API: one build serves every ABI. The name prebuildify's README
        // documents (node.napi.glibc.node); 6.0.1 drops the first two tags when
        // the directory has no package.json.
        napi: true,
        name: 'node.napi',
        tagLibc: true,
        targets: [process.versions.node],
        strip: true,
        stripBin: t.triple ? `${t.triple}-strip` : 'strip',
        nodeGyp,
        quiet: !process.argv.includes('--verbose'),
      },
      (err) => (err ? fail(err) : ok()),
    ),
  ).catch((err) => {
    process.stderr.write(`prebuild: linux-${t.arch} failed: ${err.message} (run with --verbose for node-gyp's output)\n`);
    process.exit(1);
  });
  process.env = env;
  rmSync(work, { recursive: true, force: true });
  const dir = join(OUT, `${platform()}-${t.arch}`);
  for (const f of readdirSync(dir)) {
    const file = join(dir, f);
    const machine = readFileSync(file).readUInt16LE(18);
    if (machine !== MACHINE[t.arch]) {
      process.stderr.write(`prebuild: ${file} is for ELF machine ${machine}, not ${t.arch} (${MACHINE[t.arch]})\n`);
      process.exit(1);
    }
    process.stderr.write(`prebuild: ${relative(ROOT, file)} ${statSync(file).size} bytes, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
