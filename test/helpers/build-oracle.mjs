// Compiles test/helpers/mq_oracle.c once per source change. Test files run in
// parallel workers, so the binary is written under a temporary name and renamed
// into place: no worker ever executes a half-written file.
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'mq_oracle.c');
const binary = join(here, 'bin', 'mq_oracle');

function upToDate() {
  try {
    return statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    return false;
  }
}

async function build() {
  if (upToDate()) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  const tmp = `${binary}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await promisify(execFile)('gcc', ['-O2', '-Wall', '-o', tmp, source, '-lrt']);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err.code === 'ENOENT') return null; // no gcc: callers skip, saying why
    throw new Error(`gcc failed on ${source}:\n${err.stderr ?? err.message}`);
  }
  renameSync(tmp, binary);
  return binary;
}

let pending;

/** Path of the compiled mq_oracle, or null when gcc is missing. A compile error rejects. */
export function buildOracle() {
  pending ??= build();
  return pending;
}
