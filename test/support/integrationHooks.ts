import { requireEmulators } from './emulator';
import { startProviders, stopProviders } from './providers';
import { SUITE_TIMEOUT_MS } from './wait';

/** Mocha root hooks for the emulator suite: fail at once without emulators; run the fake providers. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(SUITE_TIMEOUT_MS);
    requireEmulators();
    await startProviders();
  },
  async afterAll() {
    await stopProviders();
  },
};
