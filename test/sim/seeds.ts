/** The seed `npm test` runs the simulation from, in memory and on the emulator: the same schedules every time. */
export const SIM_SEED = 20_261_201;
/** The default seed of `npm run test:sim` (`--seed random` for a fresh one, printed). */
export const LONG_RUN_SEED = 20_261_211;
