// `npm run build`: tsc compiles functions/ (and bench/) to lib/, then esbuild bundles each
// deployed function's module in place, so an instance loads one file instead of some 150
// (our modules and zod's: a require() of zod alone loads 95 files, 60 of them its locales).
// Measured by `npm run bench` (cold start table). firebase-functions and firebase-admin stay
// external: the runtime and the deploy tooling load them by name. @noble/curves and uqr stay
// external too: they are loaded on first use (an APNs token, a pairing QR code), and a bundle
// would parse them at every cold start.
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildConsole } from './build-console.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

// The modules functions/index.ts requires by FUNCTION_TARGET (functions/functionModules.ts, as
// tsc just compiled it): one bundle each, written over tsc's output (the rest of lib/functions
// stays, unused by the bundles).
const require = createRequire(import.meta.url);
const { FUNCTION_MODULES } = require(join(root, 'lib', 'functions', 'functionModules.js'));
const ENTRIES = Object.values(FUNCTION_MODULES).map((module) => module.replace(/^\.\//, ''));

// For the bench: tsc's own onApiRequest.js, which requires its modules one by one. Any other
// build removes it, so a deploy after a bench run does not upload it.
const http = join(root, 'lib', 'functions', 'http');
const unbundled = join(http, 'onApiRequest.unbundled.js');
if (process.argv.includes('--keep-unbundled')) {
  copyFileSync(join(http, 'onApiRequest.js'), unbundled);
} else {
  rmSync(unbundled, { force: true });
}

/**
 * zod's namespace re-exports all of its 60 locales (`export * as locales` in
 * zod/v4/classic/external.js), so a bundle carries and loads them all (some 360 kB) although
 * only English, which zod configures itself (`config(en())`), is ever used: the API's messages
 * are English. This resolves zod's locales index to English alone. `z.locales.<other>` would be
 * undefined in the bundle; nothing here calls it.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'zod')}`)
        ? { path: join(dirname(args.importer), args.path), namespace: 'zod-en' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};`,
      resolveDir: dirname(args.path),
    }));
  },
};

await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, join('functions', `${e}.ts`)])),
  outdir: join('lib', 'functions'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  external: ['firebase-functions', 'firebase-admin', '@noble/curves', 'uqr'],
  // zod's ESM build, so that what the schemas never use can be left out.
  mainFields: ['module', 'main'],
  plugins: [zodEnglishOnly],
  logLevel: 'warning',
});

// The operator console, served by Firebase Hosting (scripts/build-console.mjs).
await buildConsole(root);
