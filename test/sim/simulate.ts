import { CANCEL_LEASE_MS } from '../../functions/core/cancelJob';
import { apps, job, pbx, triggers, UUID, type ActorLog } from './actors';
import { violations } from './invariants';
import type { FaultCounts } from './runs';
import type { Scenario } from './scenario';
import { TENANT, World } from './world';

/** What one schedule did, for the totals a simulation run prints. */
export interface ScheduleStats {
  runs: number;
  deaths: number;
  incomingPushes: number;
  repeatedPushes: number;
  cancelPushes: number;
  followUpRounds: number;
  envCorrections: number;
  tokensDropped: number;
  redeliveries: number;
}

/**
 * Runs one schedule on virtual time: the PBX, the apps, the triggers and the jobs act as the
 * scenario says while stores and providers fail at random; then every fault heals, the jobs
 * run again and every retry plays out; then the invariants are checked.
 */
export async function simulate(
  scenario: Scenario,
  counts: FaultCounts,
): Promise<{ violations: string[]; stats: ScheduleStats; world: World }> {
  const world = new World(scenario, counts);
  const { clock } = world;
  const log: ActorLog = { replies: [], deliveries: 0, redeliveries: 0 };
  triggers(world, log);
  const jobs = scenario.jobsAt.map(async (at) => {
    await clock.sleep(at);
    await job(world);
  });
  await Promise.all([...pbx(world, log), ...apps(world), ...jobs]);
  await clock.settled();
  world.heal();
  // The expiry job runs every minute: twice more, once the ring time is over and again once
  // any cancel lease has lapsed.
  const over = world.start + scenario.ringTimeout * 1_000 + 1_000;
  for (const wait of [Math.max(1_000, over - clock.now()), CANCEL_LEASE_MS + 1_000]) {
    await clock.sleep(wait);
    await job(world);
    await clock.settled();
  }
  const records = world.providers.records.filter((r) => r.callUuid === UUID);
  const incoming = records.filter((r) => r.type === 'incoming_call');
  const call = world.calls.peek(TENANT, UUID);
  return {
    violations: violations(world, log),
    world,
    stats: {
      runs: world.runs.length,
      deaths: world.runs.filter((r) => r.isDead()).length,
      incomingPushes: incoming.length,
      repeatedPushes: incoming.length - new Set(incoming.map((r) => r.token)).size,
      cancelPushes: records.length - incoming.length,
      followUpRounds: call?.cancel?.round ?? 0,
      envCorrections: world.devices.envChanges.length,
      tokensDropped: world.devices.dropped.length,
      redeliveries: log.redeliveries,
    },
  };
}
