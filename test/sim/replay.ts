/**
 * `npx tsx test/sim/replay.ts <failure.json>`: replays one schedule (as printed by a failing
 * simulation run) and prints its timeline: runs, provider requests, store effects, the end.
 */
import { readFileSync } from 'node:fs';
import { memoryBackend } from './backend';
import { emptyCounts } from './faults';
import type { Scenario } from './scenario';
import { simulate } from './simulate';

const file = process.argv[2];
if (!file) throw new Error('usage: replay.ts <failure.json>');
const parsed = JSON.parse(readFileSync(file, 'utf8')) as { scenario?: Scenario } & Scenario;
const scenario = parsed.scenario ?? parsed;
void simulate(scenario, emptyCounts(), { backend: memoryBackend, tenant: 't' }).then(
  ({ violations, world }) => {
    const t = (at: number) => at - world.start;
    console.log(`calm from ${t(world.calmAt)}`);
    for (const run of world.runs) {
      const died = run.diedAt === null ? '' : ` died ${t(run.diedAt)}`;
      const trouble = run.troubledAt === Infinity ? '' : ` troubled ${t(run.troubledAt)}`;
      console.log(
        `run ${run.id} ${run.kind} ${run.callUuid?.slice(0, 8) ?? ''} inst ${run.instance.id} start ${t(run.startedAt)}${died}${trouble}`,
      );
    }
    for (const r of world.providers.records) {
      console.log(
        `push run ${r.runId} start ${t(r.start)} arrival ${t(r.arrival)} ${r.provider}${r.env ? `/${r.env}` : ''} d${r.phone} ${r.type} ${r.callUuid.slice(0, 8)} ${r.outcome}${r.reached ? ' reached' : ''}${r.heard ? ' heard' : ''}`,
      );
    }
    for (const l of world.landed) {
      if (l.method === 'get' || l.method === 'getMany' || l.store === 'queries') continue;
      console.log(`landed ${t(l.at)} run ${l.runId} ${l.runKind} ${l.store}.${l.method}`);
    }
    for (const reply of world.pbxReplies) {
      console.log(
        `pbx ${reply.route} ${reply.callUuid.slice(0, 8)} run ${reply.runId} ${t(reply.startedAt)}→${t(reply.at)} ${reply.httpStatus} ${JSON.stringify(reply.body)}`,
      );
    }
    console.log('answers', world.appAnswers);
    console.log('churn', world.churn);
    console.log('violations', violations);
  },
);
