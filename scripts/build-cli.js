// Bundles the operator CLI (bin/cli/main.ts) into bin/dist/ with the esbuild of devDependencies: ES
// modules split at the commands' dynamic imports, so `--help` loads commander and the program only and
// a command loads the SDK clients it uses. Dependencies come from their ES module builds (they
// tree-shake); the target is Node 20 and 22. `npm run build:cli` (and `prepare`, so `npm ci` builds
// it); bin/aqi-pipeline.js calls it when the bundle is missing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUTDIR = path.join(ROOT, 'bin', 'dist');
const ENTRY = path.join(OUTDIR, 'cli.mjs');

// Bundled CommonJS packages (commander) call require() for Node built-ins, and bin/cli/settings.ts finds
// the repository from __dirname: ES modules have neither, so every output file defines them.
const COMMONJS_GLOBALS = [
  "import { createRequire as __aqiCreateRequire } from 'node:module';",
  "import { fileURLToPath as __aqiFileURLToPath } from 'node:url';",
  "import { dirname as __aqiDirname } from 'node:path';",
  'const require = __aqiCreateRequire(import.meta.url);',
  'const __filename = __aqiFileURLToPath(import.meta.url);',
  'const __dirname = __aqiDirname(__filename);',
].join('\n');

function buildCli() {
  fs.rmSync(OUTDIR, { recursive: true, force: true });
  require('esbuild').buildSync({
    entryPoints: { cli: path.join(ROOT, 'bin', 'cli', 'main.ts') },
    outdir: OUTDIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: COMMONJS_GLOBALS },
    logLevel: 'warning',
  });
  return ENTRY;
}

if (require.main === module) process.stdout.write(`built ${path.relative(ROOT, buildCli())}\n`);

module.exports = { buildCli, ENTRY };
