// Preloaded (node -r) by scripts/build.mjs into one run of each command: when
// the run ends, every bundle that src/cli/chunk-loader.ts compiled gets its code
// cache, holding the bytecode of each function the run compiled. Only the
// build writes these files; the CLI only reads them.
'use strict';
const vm = require('node:vm');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = process.env.MQ_DOCTOR_CODE_CACHE_DIR;
if (!dist) throw new Error('record-code-cache.cjs: MQ_DOCTOR_CODE_CACHE_DIR is not set');
// The entry bundle (loaded by bin/mq-doctor.cjs) is shared by every command:
// its cache is recorded only by the runs that say so, one after another, each
// starting from the cache the one before left, so that it holds what each of
// them compiled. The other runs record only their commands' bundles.
const entry = join(dist, 'mq-doctor.cjs');
const entryRun = process.env.MQ_DOCTOR_CODE_CACHE_ENTRY === '1';
const scripts = [];
const Script = vm.Script;
vm.Script = class RecordedScript extends Script {
  constructor(code, options) {
    super(code, options);
    const file = options?.filename;
    if (typeof file === 'string' && file.startsWith(dist) && (file === entry) === entryRun) scripts.push([file, this]);
  }
};

process.on('exit', () => {
  for (const [filename, script] of scripts) {
    const source = readFileSync(filename);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(source.length, 0);
    const tmp = `${filename}.cache.${process.pid}`;
    writeFileSync(tmp, Buffer.concat([header, source, script.createCachedData()]));
    renameSync(tmp, `${filename}.cache`);
  }
});
