// `npm run test:mutation [-- --stores]`: StrykerJS mutates functions/core (stryker.config.mjs)
// and runs the unit tests and the simulation against every mutant; with --stores, it mutates
// the Firestore stores and runs the store contract and the simulation on the emulator
// (stryker.stores.config.mjs, inside `firebase emulators:exec`). It prints the mutation score
// and every surviving mutant, and fails below the threshold. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { emulatorEnv } from './emulators.mjs';
import { emulatorCommand } from './lib/emulatorCommand.mjs';
import { requireDeployNode, root } from './runtime.mjs';

requireDeployNode('npm run test:mutation');
const stores = process.argv.includes('--stores');
// Anything else is Stryker's (e.g. --force: a full run instead of an incremental one).
const extra = process.argv.slice(2).filter((arg) => arg !== '--stores');
const stryker = join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
const env = {
  ...process.env,
  // A killed mutant should fail fast: the first violating schedule, not its smallest form.
  CALLWAKE_SIM_NO_SHRINK: '1',
  // Each mutant of a store runs a shorter simulation on the emulator than npm test's.
  ...(stores ? { CALLWAKE_SIM_FIRESTORE_SCHEDULES: '40' } : {}),
};
const config = stores ? 'stryker.stores.config.mjs' : 'stryker.config.mjs';
const command = stores
  ? [
      ...emulatorCommand('emulators:exec', { only: 'firestore,auth' }),
      `${process.execPath} ${stryker} run ${config} ${extra.join(' ')}`.trim(),
    ]
  : [stryker, 'run', config, ...extra];
const result = spawnSync(process.execPath, command, {
  cwd: root,
  stdio: 'inherit',
  env: stores ? emulatorEnv(root, env) : env,
});
process.exit(result.status ?? 1);
