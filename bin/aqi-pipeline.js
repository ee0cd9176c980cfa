#!/usr/bin/env node
// The operator CLI (`npx aqi-pipeline --help`). Its TypeScript under bin/cli/ is bundled by esbuild into
// bin/dist/ (`npm run build:cli`, run by `npm ci` and `npm install` through `prepare`), so a start
// compiles no TypeScript and parses only what the command uses. A checkout without the bundle builds
// it on first use.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// A reader that stops early (`aqi-pipeline --help | head -1`) closes the pipe: that ends the output, it
// is not a crash to report with a stack trace (it happened on Node 20 and 22 alike).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const entry = path.join(__dirname, 'dist', 'cli.mjs');
if (!fs.existsSync(entry)) {
  try {
    require('../scripts/build-cli.js').buildCli();
  } catch (error) {
    process.stderr.write(`aqi-pipeline: the CLI is not built (${entry} is missing) and could not be built: ${error.message}\nRun \`npm ci\` in the repository, then retry.\n`);
    process.exit(1);
  }
}
import(pathToFileURL(entry).href)
  .then((cli) => cli.main(process.argv))
  .then((code) => {
    process.exitCode = code;
  });
