/**
 * `npx tsx test/sim/replay.ts <scenario.json>`: replays one schedule (as printed by a failing
 * simulation run) and prints its timeline: runs, provider requests, the call as it ended.
 */
import { readFileSync } from 'node:fs';
import { emptyCounts } from './runs';
import type { Scenario } from './scenario';
import { simulate } from './simulate';
import { TENANT } from './world';
import { UUID } from './actors';

const file = process.argv[2];
if (!file) throw new Error('usage: replay.ts <scenario.json>');
const parsed = JSON.parse(readFileSync(file, 'utf8')) as { scenario?: Scenario } & Scenario;
const scenario = parsed.scenario ?? parsed;
void simulate(scenario, emptyCounts()).then(({ violations, world }) => {
  const t = (at: number) => at - world.start;
  for (const run of world.runs)
    console.log(`run ${run.id} ${run.kind}${run.isDead() ? ' (died)' : ''}`);
  for (const r of world.providers.records) {
    console.log(
      `push run ${r.runId} start ${t(r.start)} arrival ${t(r.arrival)} ${r.provider}${r.env ? `/${r.env}` : ''} ${r.token.slice(0, 10)} ${r.type} ${r.outcome}`,
    );
  }
  for (const o of world.observations) {
    console.log(`seen run ${o.runId} ${o.status} at ${t(o.at)} returned ${t(o.returnedAt)}`);
  }
  console.log(JSON.stringify(world.calls.peek(TENANT, UUID), null, 2));
  console.log('dropped', world.devices.dropped, 'env', world.devices.envChanges);
  console.log('violations', violations);
});
