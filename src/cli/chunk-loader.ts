// How the entry loads a command's bundle (scripts/build.mjs turns each
// `import('./check.js')` of main.ts and preflight.ts into loadChunk('check.cjs')).
// It is require() plus V8's code cache: the build runs each command once and
// keeps the bytecode of every function that run compiled (NAME.cjs.cache).
// Compiling those functions lazily, as require() does on every start, was
// 10-15 ms of check's ~35 ms over `node -e 0`. Node 22's module.enableCompileCache
// would not do this: it caches only what compiles while a module loads (the
// top level), not the functions a command then calls, and it needs a writable
// directory at run time; v8-compile-cache was slower than no cache here.
import { readFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/**
 * NAME.cjs.cache, written by scripts/record-code-cache.cjs: the bundle's length
 * (u32 LE) and its own bytes, then V8's code cache. V8 checks only a source's
 * length, so the bytes are compared here: a bundle edited or rebuilt in place
 * never runs another build's bytecode.
 */
export const CACHE_SUFFIX = '.cache';

/** The code cache for exactly this source, or undefined (absent, or of another build). */
export function codeCacheFor(source: Buffer, file: Buffer | undefined): Buffer | undefined {
  if (file === undefined || file.length < 4) return undefined;
  const n = file.readUInt32LE(0);
  if (n !== source.length || file.length < 4 + n) return undefined;
  return file.subarray(4, 4 + n).equals(source) ? file.subarray(4 + n) : undefined;
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined; // no cache: compile as require() would
  }
}

const loaded = new Map<string, unknown>();

/**
 * Stacks a person reads (MQ_DOCTOR_DEBUG=1 prints them, --enable-source-maps
 * maps them): then a bundle loads through require(). A script that V8 takes
 * from a code cache keeps the file name it was recorded under, the builder's
 * path, and vm.Script does not read source maps; bin/mq-doctor.cjs does the same.
 */
export function stacksWanted(): boolean {
  return process.env.MQ_DOCTOR_DEBUG === '1' || process.sourceMapsEnabled === true;
}

/** The exports of dist/NAME, loaded once; a cache of another node or V8 is ignored by V8 (cachedDataRejected). */
export function loadChunk(name: string): unknown {
  const filename = fileURLToPath(new URL(name, import.meta.url));
  const done = loaded.get(filename);
  if (done !== undefined) return done;
  if (stacksWanted()) {
    const exports: unknown = createRequire(filename)(filename);
    loaded.set(filename, exports);
    return exports;
  }
  const source = readFileSync(filename);
  const script = new Script(wrap(source.toString('utf8')), {
    filename,
    cachedData: codeCacheFor(source, readOptional(filename + CACHE_SUFFIX)),
  });
  const mod = { exports: {} as unknown, id: filename, filename, loaded: false };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, createRequire(filename), mod, filename, dirname(filename));
  mod.loaded = true;
  loaded.set(filename, mod.exports);
  return mod.exports;
}
