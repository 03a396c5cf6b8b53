// How mq-doctor's TypeScript becomes runnable CommonJS; shared by the build and
// by tests that bundle a module for a child process, so both run the same code.
export const cjsOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Sources are ESM and locate files relative to import.meta.url.
  define: { 'import.meta.url': '__mqDoctorModuleUrl' },
  banner: { js: 'const __mqDoctorModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // import() of another bundle would start Node's ESM loader (~20 ms): a require() inside a promise does not.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};
