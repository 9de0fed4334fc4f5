// Installs dependencies when they are missing or older than the lockfile, so
// `npm start` and `npm test` work on a fresh clone with no other step; then runs
// the script named in its arguments on the project's own Node (the deploy
// runtime's, node_modules/.bin/node).
//
// The npm script cannot just say `node scripts/ensure-deps.mjs && node scripts/test.mjs`:
// on a fresh clone the first `node` finds the machine's Node (node_modules/.bin/node does
// not exist yet), and the shell remembers where it found it, so the second `node` would be
// the machine's too.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const stale = !existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs;
if (stale) {
  console.log('Installing dependencies (npm ci)...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const [script, ...args] = process.argv.slice(2);
if (script) {
  const bin = join(root, 'node_modules', '.bin');
  const result = spawnSync(join(bin, 'node'), [script, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  process.exit(result.status ?? 1);
}
