/**
 * The root hooks of the real-Asterisk run, loaded before its suites (`mocha --file
 * test/e2e/asterisk/hooks.ts`, scripts/e2e-asterisk.mjs): one world for all of them, started
 * before the first and stopped after the last, and each test's figures printed as it ends,
 * passed or failed.
 */
import { SUITE_TIMEOUT_MS } from '../../support/wait';
import { log, logTimings, shown } from './figures';
import { startWorld, stopWorld } from './setup';

before(async function () {
  this.timeout(SUITE_TIMEOUT_MS);
  await startWorld();
});

afterEach(function () {
  const figures = shown(this.currentTest?.title ?? '');
  if (figures) log(`     ${figures}`);
});

after(async function () {
  this.timeout(SUITE_TIMEOUT_MS);
  await stopWorld();
  logTimings();
});
