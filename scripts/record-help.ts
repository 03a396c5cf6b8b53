// Records dist/help.json (src/cli/help-store.ts): runs the built
// dist/yargs-cli.cjs's runYargs for each help request at each width, in this
// process, with stdout captured: the bytes the CLI would write. Bundled and run
// by scripts/build.mjs after the code-cache runs (with a store in place, their
// --help run would not compile yargs). A request whose run fails or writes to
// stderr is left out: the CLI asks yargs for it.
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { HELP_STORE, HELP_WIDTHS, type HelpStore, helpLayoutWidth, helpRequests, requestKey } from '../src/cli/help-store.js';

const dist = process.argv[2];
if (!dist) throw new Error('record-help: the dist directory is the first argument');
// The store is what a user without it sees (help-store.ts asks yargs when it is set).
delete process.env.YARGS_DISABLE_WRAP;
const { runYargs } = createRequire(join(dist, 'x.cjs'))('./yargs-cli.cjs') as { runYargs(argv: string[]): Promise<number> };

async function capture(argv: string[], width: number): Promise<string | undefined> {
  // yargs-cli.ts wraps at helpLayoutWidth(process.stdout.columns): no columns is a pipe's layout.
  Object.defineProperty(process.stdout, 'columns', { value: width === helpLayoutWidth(undefined) ? undefined : width, configurable: true });
  const out: string[] = [];
  let err = false;
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = (() => ((err = true), true)) as typeof process.stderr.write;
  try {
    return (await runYargs(argv)) === 0 && !err ? out.join('') : undefined;
  } catch {
    return undefined;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}

async function record(): Promise<void> {
  const store: HelpStore = { format: 1, widths: {} };
  for (const width of HELP_WIDTHS) {
    const texts: Record<string, string> = {};
    for (const argv of helpRequests()) {
      const text = await capture(argv, width);
      if (text !== undefined && text.length > 0) texts[requestKey(argv)] = text;
    }
    store.widths[String(width)] = texts;
  }
  const file = join(dist!, HELP_STORE);
  writeFileSync(`${file}.tmp`, JSON.stringify(store));
  renameSync(`${file}.tmp`, file);
}

void record();
