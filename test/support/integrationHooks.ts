import { requireEmulators } from './emulator';
import { startProviders, stopProviders } from './providers';

/** Mocha root hooks for the emulator suite: fail at once without emulators; run the fake providers. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(30_000);
    requireEmulators();
    await startProviders();
  },
  async afterAll() {
    await stopProviders();
  },
};
