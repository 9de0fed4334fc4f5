// The Node.js runtime callwake deploys on, and the Firebase CLI that emulates and deploys it.
//
// firebase.json names the deploy runtime (nodejs24). The project installs that Node from the
// npm registry (the `node` devDependency), and npm puts node_modules/.bin first on the PATH of
// every `npm run` script, so the scripts, the tests and the emulators' function workers all run
// on it (firebase-tools runs a function on the Node that runs the CLI when its major is the
// runtime's: lib/deploy/functions/runtimes/node/index.js, getNodeBinary).
//
// firebase-tools is pinned to 14.27.0, the last release that starts the Firestore emulator on
// Java 17 (Debian 12's): it prints a deprecation warning for Java < 21 where 15.0 and later
// refuse to start (lib/emulator/controller.js, startAll). 14.27.0 knows nodejs24 and emulates
// firebase-functions 7.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Firebase CLI, run with this script's Node. */
export const FIREBASE_CLI = join(
  root,
  'node_modules',
  'firebase-tools',
  'lib',
  'bin',
  'firebase.js',
);

/** The runtime firebase.json deploys on, e.g. 'nodejs24'. */
export const DEPLOY_RUNTIME = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'))
  .functions[0].runtime;
export const DEPLOY_NODE_MAJOR = Number(/^nodejs(\d+)$/.exec(DEPLOY_RUNTIME)?.[1]);

/**
 * Stops a script that runs on another Node than the deploy runtime's: what is tested must be
 * what is deployed. Prints the Node in use.
 */
export function requireDeployNode(label) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== DEPLOY_NODE_MAJOR) {
    console.error(
      `${label}: running on Node ${process.version}, but callwake deploys on ${DEPLOY_RUNTIME}. ` +
        `Run it through npm (npm test, npm start, npm run ...), which puts the project's Node ` +
        `${DEPLOY_NODE_MAJOR} (node_modules/.bin/node) first on the PATH; run \`npm ci\` if it is missing.`,
    );
    process.exit(1);
  }
  console.log(`${label}: Node ${process.version} (deploy runtime ${DEPLOY_RUNTIME})`);
}
