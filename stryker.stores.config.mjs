// `npm run test:mutation -- --stores`: StrykerJS mutates the Firestore stores the simulation
// runs on and runs, inside the emulators, the store contract suite and the simulation on the
// Firestore stores (a shorter run of it) against every mutant.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mochaOptions: {
    config: '.mocharc.json',
    spec: ['test/integration/storeContract.test.ts', 'test/integration/simulation.test.ts'],
  },
  mutate: ['functions/store/callStore.ts', 'functions/store/deviceStore.ts'],
  // One emulator for all: mutants run one at a time.
  concurrency: 1,
  timeoutMS: 300_000,
  htmlReporter: { fileName: '.cache/mutation/stores.html' },
  jsonReporter: { fileName: '.cache/mutation/stores.json' },
};
