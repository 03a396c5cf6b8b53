// Bundles the CLI for start-up speed. The hot path is one CommonJS file:
// an ESM import of a builtin such as node:fs evaluates every lazy export
// (streams, promises, watchers) and the ESM loader itself costs more than
// `check` does. yargs, pino and systeminformation stay in node_modules and are
// required only by the code paths that use them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { 'mq-doctor': 'src/cli/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Sources are ESM and locate files relative to import.meta.url.
  define: { 'import.meta.url': '__mqDoctorModuleUrl' },
  banner: { js: 'const __mqDoctorModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
