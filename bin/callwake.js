#!/usr/bin/env node
/* global require, __dirname, process */
// `npx callwake`: runs the compiled operator CLI (functions/cli), building it first when lib/ is missing.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'lib', 'functions', 'cli', 'main.js');

if (!existsSync(entry)) {
  process.stderr.write('callwake: lib/ is missing; building it first (npm run build).\n');
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  } catch {
    process.stderr.write('callwake: the build failed; run `npm run build` to see why.\n');
    process.exit(1);
  }
}

require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
