// `npm run test:mutation`: StrykerJS mutates functions/core and runs the unit tests and the
// simulation (test/unit, which includes test/unit/sim) against each mutant; the mutation score
// is the share of mutants some test kills. Not part of `npm test`: it takes a while.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  mochaOptions: { config: '.mocharc.json', spec: ['test/unit/**/*.test.ts'] },
  mutate: ['functions/core/**/*.ts'],
  // Mutants that do not compile are dropped before they run, not counted as killed.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 60_000,
  tempDirName: '.cache/stryker-tmp',
  // A run reuses the previous run's result for every mutant whose code and covering tests did
  // not change (https://stryker-mutator.io/docs/stryker-js/incremental): a full run takes an
  // hour or more on a loaded 2-core machine, a run after a small change minutes. A fresh clone
  // has no .cache, so its first run (and CI's) is a full one; `-- --force` forces one.
  incremental: true,
  incrementalFile: '.cache/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: '.cache/mutation/index.html' },
  jsonReporter: { fileName: '.cache/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
};
