/**
 * The Firebase project the tests run under: the emulators' (scripts/emulators.mjs starts them
 * for it), whose `demo-` prefix keeps every client off Google's servers.
 */
export const PROJECT_ID = 'demo-callwake';
