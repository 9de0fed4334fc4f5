import { runExpiryJob } from '../../../functions/scheduled/runExpiry';
import type { World } from '../world';
import { eventServices, queries } from '../runPorts';

const PERIOD_MS = 60_000;

/**
 * The expiry job, as Cloud Scheduler runs it: every minute (at the schedule's phase), each run
 * on its own, not retried; until the world's horizon.
 */
export async function jobs(world: World): Promise<void> {
  const { clock } = world;
  for (let at = world.start + world.scenario.jobPhase; at <= world.horizon; at += PERIOD_MS) {
    await clock.sleep(at - clock.now());
    const run = world.startRun('expireCalls', 'job', null);
    void world.execute(run, () => runExpiryJob(eventServices(world, run), queries(world, run)));
  }
}
