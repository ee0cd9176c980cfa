#!/usr/bin/env node
// The operator CLI (`npx aqi-pipeline --help`). Its code is TypeScript under bin/cli/, loaded through tsx
// (a runtime dependency) so the CLI and the Lambdas share the same validation code with no build step.
'use strict';
require('tsx/cjs');
require('./cli/main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
