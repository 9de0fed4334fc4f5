// The `firebase emulators:*` command line every script runs the emulators with.
import { FIREBASE_CLI } from '../runtime.mjs';
import { PROJECT_ID } from './projectId.mjs';

/**
 * The emulators of the local stack, the tests and the SIP runs alike: without Pub/Sub
 * firebase-tools ignores the scheduled functions (it registers each on topic
 * firebase-schedule-<name>, though it cannot deliver to them: scripts/schedules.mjs calls them),
 * and Cloud Tasks carries the task that ends a call at its deadline.
 */
export const EMULATORS = 'firestore,functions,auth,pubsub,tasks';
/** With Hosting, which serves the console: `npm start` and the browser tests. */
export const WITH_CONSOLE = `${EMULATORS},hosting`;

/**
 * The arguments (after the Node binary) of `firebase <command>` (`emulators:exec`,
 * `emulators:start`) for `only` (EMULATORS by default) and `project` (PROJECT_ID by default);
 * `emulators:exec` takes its script after them.
 */
export function emulatorCommand(command, { config, only = EMULATORS, project = PROJECT_ID } = {}) {
  return [
    FIREBASE_CLI,
    command,
    ...(config ? ['--config', config] : []),
    '--only',
    only,
    '--project',
    project,
  ];
}
